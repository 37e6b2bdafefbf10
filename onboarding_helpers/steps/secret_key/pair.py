"""The API key SID + secret pair: where the runbook keeps it, and the check that proves it works.

Steps 02 and 03 both sign in the way Postman will (key + secret, scoped to the account) with a
call a Standard key may make: listing incoming numbers, not ``/Accounts`` and not ``/Keys``.
"""

from __future__ import annotations

from ...credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID
from ...errors import StepBlocked, TwilioActionError
from ...runbook import Runbook
from ...twilio_gateway import call
from ..registry import ACCOUNT

PAIR_FIELD = "API key SID / API secret"


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


def is_auth_failure(err: TwilioActionError) -> bool:
    """Twilio refused the credentials (20003 / 401)."""
    # A refusal from a server that is not Twilio says nothing about the key: not rewritten.
    return (err.code == 20003 or err.status == 401) and not err.served_by


def verify_pair(rb: Runbook, account_sid: str, key_sid: str, secret: str, step: str) -> None:
    """Sign in as Postman does (key + secret, scoped to the account) with a call a Standard key
    may make. Raises TwilioActionError; a 20003 one names the likely causes. ``step``: the id of
    the step asking, for the request's user agent."""
    client = rb.client_with_key(account_sid, key_sid, secret, step)
    try:
        call(
            "check the API key and its secret",
            client.incoming_phone_numbers.list,
            limit=1,
            field=PAIR_FIELD,
        )
    except TwilioActionError as err:
        if is_auth_failure(err):
            err.field = PAIR_FIELD
            err.message = (
                f"Twilio did not accept the API key {key_sid} with this secret (error 20003)."
            )
            err.advice = (
                "The secret may be wrong or cut short, the key SID may be wrong, the key may have"
                " been deleted in the console (Account > API keys & tokens), or it may belong to"
                " another account."
            )
        raise
