"""Step 04a (optional): a US phone number in the Messaging Service's sender pool.

Only for agencies that also send to numbers outside Singapore: an alphanumeric Sender ID does not
reach some countries (the US among them), and Twilio then sends from a number in the pool. The
guide quotes about USD 1.15 a month for a US number, billed to the agency.

Buying costs money, so it happens only when both ``buy`` and ``confirm`` are True; otherwise the
step lists candidate numbers and creates nothing. A number the runbook bought before is reused,
never bought twice: the purchase is journalled as an intent before the request and as a fact after
it, so even a purchase whose answer was lost is found again on the next run. Within a run, a lost
answer is checked at once (the account's numbers, filtered by the number) before buying again.

This step runs before step 04 (the guide puts the number into the pool before the alpha sender),
so it creates or reuses the service itself with ``ensure_service``, shared with step 04.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InputError, StepBlocked, TwilioActionError
from ..runbook import Runbook, step_action
from ..twilio_gateway import call, create_once, outcome_unknown
from ..validation import validate_flag, validate_friendly_name, validate_usecase
from .messaging_service import (
    DEFAULT_USECASE,
    PHONE_STEP,
    ServiceOutcome,
    _latest,
    attach_number,
    bought_number,
    ensure_service,
    pool_numbers,
    resolve_service_name,
)

if TYPE_CHECKING:
    from twilio.rest import Client

STEP = PHONE_STEP
COUNTRY = "US"
MONTHLY_PRICE = "about USD 1.15 a month"  # the guide's figure for a US number
CANDIDATES = 5
_US_NUMBER = re.compile(r"^\+1[2-9]\d{9}$")


@dataclass(frozen=True)
class Candidate:
    phone_number: str
    friendly_name: str
    place: str


@dataclass(frozen=True)
class PhoneNumberResult:
    """What step 04a did. ``phone_number`` is None when nothing was bought or reused."""

    phone_number: str | None
    phone_number_sid: str | None
    bought: bool  # bought in this run
    service_sid: str | None
    service_name: str
    attached: bool  # put into the sender pool in this run
    candidates: tuple[Candidate, ...] = ()
    notes: tuple[str, ...] = ()


def validate_us_number(value: object) -> str:
    if not isinstance(value, str) or not _US_NUMBER.match(value):
        raise InputError(
            "phone_number",
            f"{value!r} is not a US number written as +1 and 10 digits.",
            "Pick one of the numbers the search offered, or leave it empty to take the first.",
        )
    return value


def search_numbers(client: Client, limit: int = CANDIDATES) -> tuple[Candidate, ...]:
    """US local numbers Twilio offers with SMS capability (one GET)."""
    found = call(
        "search available US phone numbers",
        client.available_phone_numbers(COUNTRY).local.list,
        sms_enabled=True,
        limit=limit,
    )
    return tuple(
        Candidate(
            n.phone_number,
            n.friendly_name or n.phone_number,
            ", ".join(p for p in (n.locality, n.region) if p),
        )
        for n in found
    )


_PURCHASE_ACTIONS = (
    "buying phone number",
    "bought phone number",
    "purchase did not happen",
    "purchase refused",
)


def _unsettled_purchase(rb: Runbook, account_sid: str) -> bool:
    """Whether the last purchase attempt in this account has no recorded outcome."""
    for entry in reversed(rb.progress.journal_entries(STEP)):
        if entry.get("account_sid") == account_sid and entry.get("action") in _PURCHASE_ACTIONS:
            return entry["action"] == "buying phone number"
    return False


def _owned_number(rb: Runbook, client: Client, account_sid: str) -> tuple[dict[str, Any], str]:
    """The number the runbook bought earlier, if it is still on the account, and a note if not.

    Also recovers a purchase whose answer was lost (an intent with no recorded result).
    """
    bought = bought_number(rb, account_sid)
    if _unsettled_purchase(rb, account_sid):
        intent = _latest(rb, (STEP,), "buying phone number", account_sid=account_sid)
        rows = call(
            "look for a number bought in an earlier run",
            client.incoming_phone_numbers.list,
            phone_number=intent["phone_number"],
        )
        if rows:
            bought = rb.progress.journal(
                STEP,
                "bought phone number",
                phone_number_sid=rows[0].sid,
                phone_number=rows[0].phone_number,
                account_sid=account_sid,
                recovered=True,
            )
            return bought, ""
        rb.progress.journal(
            STEP, "purchase did not happen", phone_number=intent["phone_number"],
            account_sid=account_sid,
        )  # fmt: skip
    if not bought:
        return {}, ""
    try:
        call(
            "fetch the number bought earlier",
            client.incoming_phone_numbers(bought["phone_number_sid"]).fetch,
        )
    except TwilioActionError as err:
        if err.status != 404:
            raise
        rb.progress.journal(STEP, "phone number gone", phone_number_sid=bought["phone_number_sid"])
        return {}, (
            f"The number {bought['phone_number']} bought by an earlier run is no longer on the"
            " account (released in the console?)."
        )
    return bought, ""


def _not_confirmed(candidates: tuple[Candidate, ...], buy: bool, chosen: str = "") -> str:
    # A number picked in the form was not searched again: name it rather than "none found".
    shown = chosen or ", ".join(c.phone_number for c in candidates) or "none found"
    if buy:
        return (
            f"confirm_purchase: buying a US number costs {MONTHLY_PRICE}, billed to your agency,"
            f" so the runbook buys only after you confirm. Nothing was bought."
            f" {'Chosen' if chosen else 'Available'}: {shown}."
        )
    return f"No number bought (buy_phone_number is False). Available: {shown}."


@step_action(STEP)
def buy_phone_number(
    rb: Runbook,
    messaging_service_name: str = "",
    usecase: str = DEFAULT_USECASE,
    buy: object = False,
    confirm: object = False,
    phone_number: str = "",
) -> PhoneNumberResult:
    """Step 04a: buy (after confirmation) or reuse a US number, and put it in the sender pool.

    ``buy`` False: only list candidates. ``buy`` True without ``confirm``: StepBlocked, nothing
    bought or created. Both True: buy ``phone_number`` (or the first candidate) and attach it.
    A number bought by an earlier run is attached without a new purchase or confirmation.
    """
    buy = validate_flag(buy, "buy_phone_number")
    confirm = validate_flag(confirm, "confirm_purchase")
    name = validate_friendly_name(
        resolve_service_name(rb, messaging_service_name), "messaging_service_name"
    )
    rb.refuse_secrets("messaging_service_name", name)
    usecase = validate_usecase(usecase)
    if phone_number:
        phone_number = validate_us_number(phone_number)
    account_sid = rb.saved_account()[0]
    client = rb.auth_token_client(STEP)

    try:
        owned, gone = _owned_number(rb, client, account_sid)
        notes = [gone] if gone else []
        if not buy:
            candidates = () if owned else search_numbers(client)
            rb.progress.record(STEP, "skipped", service_name=name)
            return PhoneNumberResult(
                owned.get("phone_number"),
                owned.get("phone_number_sid"),
                False,
                None,
                name,
                False,
                candidates,
                tuple(notes),
            )
        bought_now = False
        if not owned:
            candidates = () if phone_number else search_numbers(client)
            if not confirm:
                raise StepBlocked(
                    _not_confirmed(candidates, buy, phone_number),
                    advice="If you send to foreign numbers, run this step again with"
                    " confirm_purchase True (headless: -p confirm_purchase True), or tick the"
                    " confirmation in the form. If you send only to Singapore numbers, skip 04a.",
                    field="confirm_purchase",
                )
            number = phone_number or (candidates[0].phone_number if candidates else "")
            if not number:
                raise StepBlocked(
                    "Twilio offered no US number with SMS capability right now.",
                    advice="Run this step again later; nothing was bought.",
                )
            owned = _purchase(rb, client, account_sid, number)
            bought_now = True
        # Bought first, service second: a failed purchase leaves no empty service behind.
        service = ensure_service(rb, client, STEP, account_sid, name, usecase)
        notes += service.notes
        attached = _attach(rb, client, service, owned["phone_number_sid"])
    except (TwilioActionError, StepBlocked) as err:
        status = "blocked" if isinstance(err, StepBlocked) else "failed"
        rb.progress.record(STEP, status, service_name=name, reason=err.message)
        raise

    result = PhoneNumberResult(
        phone_number=owned["phone_number"],
        phone_number_sid=owned["phone_number_sid"],
        bought=bought_now,
        service_sid=service.sid,
        service_name=service.friendly_name,
        attached=attached,
        notes=tuple(notes),
    )
    rb.progress.record(
        STEP,
        "done",
        service_sid=result.service_sid,
        service_name=result.service_name,
        phone_number=result.phone_number,
        phone_number_sid=result.phone_number_sid,
    )
    return result


def _purchase(rb: Runbook, client: Client, account_sid: str, number: str) -> dict[str, Any]:
    # The intent goes to disk first: if the answer is lost, the next run finds the number.
    rb.progress.journal(STEP, "buying phone number", phone_number=number, account_sid=account_sid)
    absent = [False]  # the latest lookup proved the number is not on the account

    def find() -> Any:
        # The answer was lost: the account's numbers say whether Twilio sold it to us.
        absent[0] = False
        rows = call(
            "look for the number just bought",
            client.incoming_phone_numbers.list,
            phone_number=number,
        )
        absent[0] = not rows
        return rows[0] if rows else None

    try:
        bought, recovered = create_once(
            lambda: call(
                f"buy the phone number {number}",
                client.incoming_phone_numbers.create,
                phone_number=number,
                field="phone_number",
            ),
            find,
        )
    except TwilioActionError as err:
        if err.status and err.status < 500:  # Twilio answered: it did not buy
            rb.progress.journal(
                STEP, "purchase refused", phone_number=number, account_sid=account_sid,
                code=err.code,
            )  # fmt: skip
        elif absent[0] or not outcome_unknown(err):  # surely not bought (looked, or 503)
            rb.progress.journal(
                STEP, "purchase did not happen", phone_number=number, account_sid=account_sid
            )
        raise
    return rb.progress.journal(
        STEP,
        "bought phone number",
        phone_number_sid=bought.sid,
        phone_number=bought.phone_number,
        account_sid=account_sid,
        **({"recovered": True} if recovered else {}),
    )


def _attach(rb: Runbook, client: Client, service: ServiceOutcome, pn_sid: str) -> bool:
    if not service.created and pn_sid in pool_numbers(client, service.sid):
        return False
    return attach_number(rb, client, STEP, service, pn_sid)
