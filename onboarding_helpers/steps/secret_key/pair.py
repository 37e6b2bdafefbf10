"""The API key SID + secret pair: where the runbook keeps it, and the check that proves it works.

Steps 02, 03 and 07 sign in the way Postman will (key + secret, scoped to the account) with a call
the key's type allows. A Standard key lists incoming numbers (not ``/Accounts``, not ``/Keys``). A
Restricted key made by the runbook may touch only what Postman needs, so it looks up one message
by a SID that cannot exist: Twilio refuses unknown credentials (20003) and calls outside the
policy (70051) before it looks, so its "not found" (404) proves the key, the secret and the
policy, at no cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID
from ...errors import StepBlocked, TwilioActionError
from ...journal import ApiKeyRecord, KeyCreated
from ...runbook import Runbook
from ...twilio_gateway import call
from ...validation import API_KEYS_CONSOLE
from ..registry import ACCOUNT, API_KEY, ROTATE_KEY

if TYPE_CHECKING:
    from twilio.rest import Client

PAIR_FIELD = "API key SID / API secret"
RESTRICTED = "restricted"
# A message SID no account holds: the Restricted key's check looks it up (see the docstring).
PROBE_MESSAGE_SID = "SM" + "0" * 32


def stored_pair(rb: Runbook) -> tuple[str | None, str | None]:
    """The key SID and secret the env file holds (None for a value it does not hold)."""
    values = rb.store.values()
    return values.get(API_KEY_SID), values.get(API_KEY_SECRET)


def saved_account_sid(rb: Runbook) -> str:
    """The Account SID step 01 saved, or StepBlocked saying to run it."""
    sid = rb.store.get(ACCOUNT_SID)
    if not sid:
        raise StepBlocked("No Account SID is saved yet.", advice=f"Run {ACCOUNT.id} first.")
    return sid


def saved_key_type(rb: Runbook, key_sid: str | None) -> str:
    """The type ("standard" or "restricted") the runbook made this key with: its creation in the
    journal (step 02 or 07), else step 02's record; "standard" when neither says (a console key,
    or a journal written before key types)."""
    if not key_sid:
        return "standard"
    for event in reversed(rb.progress.events(KeyCreated)):
        if event.key_sid == key_sid and event.step in (API_KEY.id, ROTATE_KEY.id):
            return event.key_type or "standard"
    record: ApiKeyRecord = rb.progress.read(API_KEY)
    if record.key_sid == key_sid and record.key_type:
        return record.key_type
    return "standard"


def explain_policy_refusal(err: TwilioActionError) -> TwilioActionError:
    """Twilio's 70051, "Authorization Failed": a Restricted key's policy lacks a permission."""
    if err.code == 70051 and not err.served_by:
        err.field = "API key SID"
        err.message = (
            "Twilio did not authorize this call with the API key: a Restricted key's policy does"
            f" not allow it (error 70051). {err.message}"
        )
        err.advice = (
            f"Replace the key ({ROTATE_KEY.id} makes a new one of the runbook's kind, with the"
            " policy Postman needs), or add the missing permission to the key's policy in the"
            f" console ({API_KEYS_CONSOLE})."
        )
    return err


def is_auth_failure(err: TwilioActionError) -> bool:
    """Twilio refused the credentials (20003 / 401)."""
    # A refusal from a server that is not Twilio says nothing about the key: not rewritten.
    return (err.code == 20003 or err.status == 401) and not err.served_by


def verify_pair(
    rb: Runbook, account_sid: str, key_sid: str, secret: str, step: str, key_type: str = "standard"
) -> None:
    """Sign in as Postman does (key + secret, scoped to the account) with a call this type of key
    may make. Raises TwilioActionError; a 20003 one names the likely causes. ``step``: the id of
    the step asking, for the request's user agent."""
    client = rb.client_with_key(account_sid, key_sid, secret, step)
    try:
        if key_type == RESTRICTED:
            _look_up_probe(client)
        else:
            call(
                "check the API key and its secret",
                client.incoming_phone_numbers.list,
                limit=1,
                field=PAIR_FIELD,
            )
    except TwilioActionError as err:
        explain_policy_refusal(err)
        if is_auth_failure(err):
            err.field = PAIR_FIELD
            err.message = (
                f"Twilio did not accept the API key {key_sid} with this secret (error 20003)."
            )
            err.advice = (
                "The secret may be wrong or cut short, the key SID may be wrong, the key may have"
                f" been deleted in the console ({API_KEYS_CONSOLE}),"
                " or it may belong to another account."
            )
        raise


def _look_up_probe(client: Client) -> None:
    """The Restricted key's check: a 404 for a message that cannot exist is the good answer."""
    try:
        call(
            "check the restricted API key and its secret",
            client.messages(PROBE_MESSAGE_SID).fetch,
            field=PAIR_FIELD,
        )
    except TwilioActionError as err:
        if err.status == 404 and not err.served_by:
            return  # accepted and allowed to look: the pair works
        raise
