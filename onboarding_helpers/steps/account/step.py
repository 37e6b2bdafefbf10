"""Step 01: the Account SID, checked with the Auth Token by fetching the account; then its
prepaid balance, read and recorded (``balance``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...balance import DEFAULT_LOW_BALANCE, AccountBalance, fetch_balance, low_balance_threshold
from ...credentials import ACCOUNT_SID, AUTH_TOKEN
from ...errors import StepBlocked, TwilioActionError
from ...journal import AccountFetched, AccountRecord
from ...runbook import Runbook, step_action
from ...twilio_gateway import call
from ...validation import validate_account_sid, validate_auth_token, validate_flag
from ..registry import ACCOUNT as STEP
from ..registry import HANDOFF

if TYPE_CHECKING:
    from twilio.rest import Client


@dataclass(frozen=True)
class AccountResult:
    account_sid: str
    friendly_name: str
    status: str
    type: str
    balance: AccountBalance | None = None
    live: bool = False
    # Whether the env file holds the Auth Token after the check (False: used for the check only).
    token_saved: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


@step_action(STEP.id)
def check_account(
    rb: Runbook,
    account_sid: str = "",
    auth_token: str = "",
    *,
    low_balance: object = DEFAULT_LOW_BALANCE,
    keep_auth_token: object = False,
) -> AccountResult:
    """Fetch the account with its Auth Token, read its balance; save both values only when the
    account is usable.

    Empty ``account_sid`` uses the env file's. The token is ``auth_token`` (typed in this step's
    form), else one typed for this action (``rb.with_typed_token``), else the env file's; with
    none, StepBlocked names ``TWILIO_AUTH_TOKEN``. A typed token is saved, as this step always
    did, except after the officer put it away on purpose (step 06): then only with
    ``keep_auth_token``. A token typed through ``with_typed_token`` is never saved. A Trial,
    suspended or closed account stops here with the guide's advice, and the env file is left as
    it was. ``low_balance``: warn when the balance is below this (the account's currency).
    """
    saved = rb.store.values()
    account_sid = validate_account_sid(account_sid or saved.get(ACCOUNT_SID, ""))
    threshold = low_balance_threshold(low_balance)
    keep = validate_flag(keep_auth_token, "keep_auth_token")
    put_away = rb.auth_token_put_away()
    typed = validate_auth_token(auth_token) if auth_token else ""
    token = typed or rb.auth_token()

    client = rb.client_with_token(account_sid, token, STEP.id)
    result = _fetch_account(rb, client, account_sid)
    rb.progress.log(STEP, AccountFetched(account_sid=result.account_sid))
    _refuse_unusable(rb, account_sid, result)
    balance = fetch_balance(client, account_sid, threshold)  # never fails the step
    # A token typed into this step's own field is saved, unless it had been put away on purpose.
    save_token = bool(typed) and (put_away is None or keep)
    rb.store.save({ACCOUNT_SID: account_sid, **({AUTH_TOKEN: token} if save_token else {})})
    rb.progress.save(STEP, _record(result, balance))
    token_saved = bool(rb.store.get(AUTH_TOKEN))
    notes = _token_notes(token_saved, put_away is not None and bool(typed))
    return AccountResult(
        account_sid=result.account_sid,
        friendly_name=result.friendly_name,
        status=result.status,
        type=result.type,
        balance=balance,
        live=not rb.settings.is_sandbox,
        token_saved=token_saved,
        notes=tuple(notes),
    )


def _record(result: AccountResult, balance: AccountBalance) -> AccountRecord:
    return AccountRecord(
        status="done",
        account_sid=result.account_sid,
        friendly_name=result.friendly_name,
        type=result.type,
        account_status=result.status,
        balance=balance.amount,
        currency=balance.currency,
        balance_low=balance.low,
    )


def _token_notes(token_saved: bool, typed_after_put_away: bool) -> list[str]:
    if token_saved:
        return ["The Account SID and Auth Token are saved in the env file."]
    if typed_after_put_away:
        return [
            "The Account SID is saved. The Auth Token you typed was used for this check only and"
            " not saved, because you had put it away on purpose; tick 'Keep the Auth Token' to"
            " save it again."
        ]
    return ["The Account SID is saved; the Auth Token was used for this check only."]


def _fetch_account(rb: Runbook, client: Client, account_sid: str) -> AccountResult:
    """The account as Twilio shows it to this SID and token; a refusal is recorded as failed."""
    try:
        return read_account(client, account_sid)
    except TwilioActionError as err:
        rb.progress.save(STEP, AccountRecord(status="failed", reason=err.message))
        raise


def read_account(client: Client, account_sid: str) -> AccountResult:
    """The account as Twilio shows it to this SID and token (one GET; changes nothing, so the
    change plan reads it too). A refusal of the pair by Twilio itself says which values to copy
    again."""
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
        raise
    return AccountResult(
        account_sid=account.sid,
        friendly_name=account.friendly_name or "",
        status=account.status or "",
        type=account.type or "",
    )


def _refuse_unusable(rb: Runbook, account_sid: str, result: AccountResult) -> None:
    """Stop, recorded as blocked, when Postman could not send from this account."""
    refusal = why_unusable(result)
    if refusal is None:
        return
    if result.status != "active":
        record = AccountRecord(
            status="blocked", account_sid=account_sid, account_status=result.status
        )
    else:
        record = AccountRecord(status="blocked", account_sid=account_sid, type=result.type)
    rb.progress.save(STEP, record)
    raise refusal


def why_unusable(result: AccountResult) -> StepBlocked | None:
    """Why Postman could not send from this account (not active, or a Trial account), as the
    refusal step 01 stops with; None when it can. The change plan asks too."""
    if result.status != "active":
        return StepBlocked(
            f"Account SID: the account '{result.friendly_name}' is {result.status}.",
            advice="Ask your agency's Twilio account owner, or Twilio support, to reactivate it."
            " A prepaid account is also suspended when its balance reaches zero: check Billing >"
            " Billing Overview and add funds if so. Postman cannot send from an account that is"
            " not active.",
            field="Account SID",
        )
    if result.type == "Trial":
        return StepBlocked(
            f"Account SID: the account '{result.friendly_name}' is still a Trial account.",
            advice="Upgrade billing first (Billing > Manage Billing > Upgrade, prepaid with a"
            " corporate card), as the onboarding guide asks. Trial accounts show SMS as"
            " Likely-SCAM and cannot use an alphanumeric Sender ID. Then run this step again.",
            field="Account SID",
        )
    return None


# The result note recommending the token be put away (live mode): shown by 01, and the text
# step 06's card uses.
PUT_AWAY_ADVICE = (
    "Postman never needs the Auth Token: it is the account's master credential, and Twilio"
    " advises against keeping it where it is not needed. Once the hand-off is done, remove it"
    f" from the env file with step {HANDOFF.number} ('Remove the Auth Token' in its form, or"
    f" -p forget_auth_token True). Steps that need it later ask for it."
)
