"""Step 01: the Account SID, checked with the Auth Token by fetching the account."""

from __future__ import annotations

from dataclasses import dataclass

from ..credentials import ACCOUNT_SID, AUTH_TOKEN
from ..errors import StepBlocked, TwilioActionError
from ..runbook import Runbook, step_action
from ..twilio_gateway import call
from ..validation import validate_account_sid, validate_auth_token

STEP = "01_account_sid"


@dataclass(frozen=True)
class AccountResult:
    account_sid: str
    friendly_name: str
    status: str
    type: str


@step_action(STEP)
def check_account(rb: Runbook, account_sid: str = "", auth_token: str = "") -> AccountResult:
    """Fetch the account with its Auth Token; save both only when the account is usable.

    Empty inputs fall back to what the env file holds. A Trial, suspended or closed account stops
    here with the guide's advice, and the env file is left as it was.
    """
    saved = rb.store.values()
    account_sid = validate_account_sid(account_sid or saved.get(ACCOUNT_SID, ""))
    auth_token = validate_auth_token(auth_token or saved.get(AUTH_TOKEN, ""))

    client = rb.client_with_token(account_sid, auth_token, STEP)
    try:
        account = call(
            "fetch the account", client.api.v2010.accounts(account_sid).fetch, field="Auth Token"
        )
    except TwilioActionError as err:
        if (err.code == 20003 or err.status == 401) and not err.served_by:
            err.field = "Account SID / Auth Token"
            err.message = (
                "Twilio did not accept this Account SID with this Auth Token (error 20003)."
            )
            err.advice = (
                "Copy both again from the console dashboard (Account Info); the Auth Token is"
                " hidden until you click 'Show'. If the token was changed lately, use the new one."
            )
        rb.progress.record(STEP, "failed", reason=err.message)
        raise

    result = AccountResult(
        account_sid=account.sid,
        friendly_name=account.friendly_name or "",
        status=account.status or "",
        type=account.type or "",
    )
    rb.progress.journal(STEP, "fetched account", account_sid=result.account_sid)
    if result.status != "active":
        rb.progress.record(STEP, "blocked", account_sid=account_sid, account_status=result.status)
        raise StepBlocked(
            f"Account SID: the account '{result.friendly_name}' is {result.status}.",
            advice="Ask your agency's Twilio account owner, or Twilio support, to reactivate it."
            " Postman cannot send from an account that is not active.",
            field="Account SID",
        )
    if result.type == "Trial":
        rb.progress.record(STEP, "blocked", account_sid=account_sid, type=result.type)
        raise StepBlocked(
            f"Account SID: the account '{result.friendly_name}' is still a Trial account.",
            advice="Upgrade billing first (Billing > Manage Billing > Upgrade, prepaid with a"
            " corporate card), as the onboarding guide asks. Trial accounts show SMS as"
            " Likely-SCAM and cannot use an alphanumeric Sender ID. Then run this step again.",
            field="Account SID",
        )
    rb.store.save({ACCOUNT_SID: account_sid, AUTH_TOKEN: auth_token})
    rb.progress.record(
        STEP,
        "done",
        account_sid=result.account_sid,
        friendly_name=result.friendly_name,
        type=result.type,
        account_status=result.status,
    )
    return result
