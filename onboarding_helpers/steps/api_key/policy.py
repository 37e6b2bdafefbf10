"""Which kind of API key step 02 makes, and the policy of a Restricted one.

Both Postman guides ask for a Standard key. A Standard key can use every Twilio API except the
Accounts and Keys resources, so a leaked one can still buy numbers, send anywhere and read the
message log. Postman itself makes one call, ``messages.create``. Twilio's Restricted keys (iam v1
``Keys`` with ``KeyType=restricted``; generally available since December 2025, US region only)
hold only the permissions their policy lists; the runbook's policy is what Postman's sends and the
runbook's own checks need, nothing more. Permission names are Twilio's
(twilio.com/docs/iam/api-keys/restricted-api-keys).
"""

from __future__ import annotations

from typing import Any

from ...errors import InputError

STANDARD = "standard"
RESTRICTED = "restricted"
KEY_TYPES = (STANDARD, RESTRICTED)

# Twilio's names of the permissions the runbook's calls with a key need.
SEND = "/twilio/messaging/messages/create"
READ_MESSAGE = "/twilio/messaging/messages/read"
READ_SERVICE = "/twilio/messaging/services/read"
LIST_SENDER_IDS = "/twilio/messaging/services.alphasenders/list"
LIST_POOL_NUMBERS = "/twilio/messaging/services.phonenumbers/list"
# Reading the message log (step 08's health check). Left out of the policy on purpose: a leaked
# key could read every recipient and text; the price is that a send whose answer was lost cannot
# be looked up with the key (see messages.earlier), and that 08 cannot read the log with it.
LIST_MESSAGES = "/twilio/messaging/messages/list"

# Each permission, and the calls made with the key that need it. Left out on purpose:
# LIST_MESSAGES, and everything that buys, configures or deletes.
POSTMAN_PERMISSIONS = (
    # Postman's only call: messages.create with From = the Messaging Service SID. Also 06's and
    # 07's Postman-equivalent check, which make the same call.
    SEND,
    # Fetching one message by its SID: 06 and 07 follow their check message to its final status;
    # 03 proves the pair by looking up a message that cannot exist (Twilio answers 404 only once
    # the key is accepted and allowed to look).
    READ_MESSAGE,
    # Fetching the Messaging Service: 06's and 07's check when no test phone is given; 08.
    READ_SERVICE,
    # Listing the service's Sender ID: 06, when step 04's record does not name it; 08.
    LIST_SENDER_IDS,
    # Listing the service's numbers: 06, before a check message to a foreign phone; 08.
    LIST_POOL_NUMBERS,
)


def postman_policy() -> dict[str, Any]:
    """The policy of a Restricted key made by the runbook, as the iam v1 ``Policy`` takes it."""
    return {"allow": list(POSTMAN_PERMISSIONS)}


def validate_key_type(value: object) -> str:
    """``standard`` (what both Postman guides ask for) or ``restricted``."""
    text = value.strip().lower() if isinstance(value, str) else value
    if text in ("", None):
        return STANDARD
    if text not in KEY_TYPES:
        raise InputError(
            "api_key_type",
            f"{value!r} is not a key type.",
            "Use 'standard' (what Postman's guide asks for) or 'restricted' (only what Postman"
            " needs; Twilio's US region only).",
        )
    return str(text)
