"""Step 01: the Account SID, checked with the Auth Token by fetching the account."""

from __future__ import annotations

from dataclasses import dataclass

from ...credentials import ACCOUNT_SID, AUTH_TOKEN
from ...errors import StepBlocked, TwilioActionError
from ...journal import AccountFetched, AccountRecord
from ...runbook import Runbook, step_action
from ...twilio_gateway import call
from ...validation import validate_account_sid, validate_auth_token
from ..registry import ACCOUNT as STEP


@dataclass(frozen=True)
class AccountResult:
    account_sid: str
    friendly_name: str
    status: str
    type: str


@step_action(STEP.id)
def check_account(rb: Runbook, account_sid: str = "", auth_token: str = "") -> AccountResult:
    """Fetch the account with its Auth Token; save both only when the account is usable.

    Empty inputs fall back to what the env file holds. A Trial, suspended or closed account stops
    here with the guide's advice, and the env file is left as it was.
    """
    saved = rb.store.values()
    account_sid = validate_account_sid(account_sid or saved.get(ACCOUNT_SID, ""))
    auth_token = validate_auth_token(auth_token or saved.get(AUTH_TOKEN, ""))

    result = _fetch_account(rb, account_sid, auth_token)
    rb.progress.log(STEP, AccountFetched(account_sid=result.account_sid))
    _refuse_unusable(rb, account_sid, result)
    rb.store.save({ACCOUNT_SID: account_sid, AUTH_TOKEN: auth_token})
    rb.progress.save(
        STEP,
        AccountRecord(
            status="done",
            account_sid=result.account_sid,
            friendly_name=result.friendly_name,
            type=result.type,
            account_status=result.status,
        ),
    )
    return result


def _fetch_account(rb: Runbook, account_sid: str, auth_token: str) -> AccountResult:
    """The account as Twilio shows it to this SID and token; a refusal is recorded as failed."""
    client = rb.client_with_token(account_sid, auth_token, STEP.id)
    try:
        account = call(
            "fetch the account", client.api.v2010.accounts(account_sid).fetch, field="Auth Token"
        )
    except TwilioActionError as err:
        # Twilio itself refused the pair (not a foreign server): say which values to copy again.
        if (err.code == 20003 or err.status == 401) and not err.served_by:
            err.field = "Account SID / Auth Token"
            err.message = (
                "Twilio did not accept this Account SID with this Auth Token (error 20003)."
            )
            err.advice = (
                "Copy both again from the console dashboard (Account Info); the Auth Token is"
                " hidden until you click 'Show'. If the token was changed lately, use the new one."
            )
        rb.progress.save(STEP, AccountRecord(status="failed", reason=err.message))
        raise
    return AccountResult(
        account_sid=account.sid,
        friendly_name=account.friendly_name or "",
        status=account.status or "",
        type=account.type or "",
    )


def _refuse_unusable(rb: Runbook, account_sid: str, result: AccountResult) -> None:
    """Stop, recorded as blocked, when Postman could not send from this account."""
    if result.status != "active":
        rb.progress.save(
            STEP,
            AccountRecord(status="blocked", account_sid=account_sid, account_status=result.status),
        )
        raise StepBlocked(
            f"Account SID: the account '{result.friendly_name}' is {result.status}.",
            advice="Ask your agency's Twilio account owner, or Twilio support, to reactivate it."
            " Postman cannot send from an account that is not active.",
            field="Account SID",
        )
    if result.type == "Trial":
        rb.progress.save(
            STEP, AccountRecord(status="blocked", account_sid=account_sid, type=result.type)
        )
        raise StepBlocked(
            f"Account SID: the account '{result.friendly_name}' is still a Trial account.",
            advice="Upgrade billing first (Billing > Manage Billing > Upgrade, prepaid with a"
            " corporate card), as the onboarding guide asks. Trial accounts show SMS as"
            " Likely-SCAM and cannot use an alphanumeric Sender ID. Then run this step again.",
            field="Account SID",
        )
