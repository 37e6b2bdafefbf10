"""Step 04a: say what the agency's destinations need; buy (after confirmation) or reuse a US
number, and put it in the sender pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...countries import parse_countries
from ...errors import StepBlocked, TwilioActionError
from ...journal import NumberBought, PhoneNumberRecord
from ...runbook import Runbook, step_action
from ...validation import validate_flag, validate_friendly_name, validate_usecase
from ..messaging_service import (
    DEFAULT_USECASE,
    ServiceOutcome,
    attach_number,
    ensure_service,
    pool_numbers,
    resolve_service_name,
)
from ..registry import PHONE_NUMBER as STEP
from .destinations import Destination, plan_destinations
from .numbers import MONTHLY_PRICE, Candidate, search_numbers, validate_us_number
from .purchase import owned_number, purchase

if TYPE_CHECKING:
    from twilio.rest import Client


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
    destinations: tuple[Destination, ...] = ()  # what each named country needs


@step_action(STEP.id)
def buy_phone_number(
    rb: Runbook,
    messaging_service_name: str = "",
    usecase: str = DEFAULT_USECASE,
    buy: object = False,
    confirm: object = False,
    phone_number: str = "",
    foreign_countries: object = "",
) -> PhoneNumberResult:
    """Step 04a: buy (after confirmation) or reuse a US number, and put it in the sender pool.

    ``foreign_countries`` ("MY, US"): the destinations outside Singapore; the result says what
    each needs (``destinations``), whether or not anything is bought. ``buy`` False: only list
    candidates. ``buy`` True without ``confirm``: StepBlocked, nothing bought or created. Both
    True: buy ``phone_number`` (or the first candidate) and attach it. A number bought by an
    earlier run is attached without a new purchase or confirmation.
    """
    destinations = plan_destinations(parse_countries(foreign_countries, "foreign_countries"))
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
    client = rb.auth_token_client(STEP.id)

    try:
        owned, gone = owned_number(rb, client, account_sid)
        notes = [gone] if gone else []
        if not buy:
            return _nothing_bought(rb, client, name, owned, notes, destinations)
        bought_now = not owned
        if not owned:
            owned = _buy_confirmed(rb, client, account_sid, confirm, phone_number, destinations)
        # Bought first, service second: a failed purchase leaves no empty service behind.
        service = ensure_service(rb, client, STEP, account_sid, name, usecase)
        notes += service.notes
        attached = _attach(rb, client, service, owned.phone_number_sid)
    except (TwilioActionError, StepBlocked) as err:
        status = "blocked" if isinstance(err, StepBlocked) else "failed"
        rb.progress.save(
            STEP, PhoneNumberRecord(status=status, service_name=name, reason=err.message)
        )
        raise

    result = PhoneNumberResult(
        phone_number=owned.phone_number,
        phone_number_sid=owned.phone_number_sid,
        bought=bought_now,
        service_sid=service.sid,
        service_name=service.friendly_name,
        attached=attached,
        notes=tuple(notes),
        destinations=destinations,
    )
    rb.progress.save(
        STEP,
        PhoneNumberRecord(
            status="done",
            service_sid=result.service_sid,
            service_name=result.service_name,
            phone_number=result.phone_number,
            phone_number_sid=result.phone_number_sid,
        ),
    )
    return result


def _nothing_bought(
    rb: Runbook,
    client: Client,
    name: str,
    owned: NumberBought | None,
    notes: list[str],
    destinations: tuple[Destination, ...],
) -> PhoneNumberResult:
    """``buy`` False: the number owned already, or the candidates on offer; nothing changes."""
    candidates = () if owned else search_numbers(client)
    rb.progress.save(STEP, PhoneNumberRecord(status="skipped", service_name=name))
    return PhoneNumberResult(
        phone_number=owned.phone_number if owned else None,
        phone_number_sid=owned.phone_number_sid if owned else None,
        bought=False,
        service_sid=None,
        service_name=name,
        attached=False,
        candidates=candidates,
        notes=tuple(notes),
        destinations=destinations,
    )


def _buy_confirmed(
    rb: Runbook,
    client: Client,
    account_sid: str,
    confirm: bool,
    chosen: str,
    destinations: tuple[Destination, ...],
) -> NumberBought:
    """Buy the chosen number (or the first on offer), only once the officer confirmed the cost."""
    candidates = () if chosen else search_numbers(client)
    if not confirm:
        raise not_confirmed(candidates, chosen, destinations)
    number = chosen or (candidates[0].phone_number if candidates else "")
    if not number:
        raise StepBlocked(
            "Twilio offered no US number with SMS capability right now.",
            advice="Run this step again later; nothing was bought.",
        )
    return purchase(rb, client, account_sid, number)


def not_confirmed(
    candidates: tuple[Candidate, ...], chosen: str, destinations: tuple[Destination, ...]
) -> StepBlocked:
    """The refusal to buy without ``confirm_purchase`` (nothing bought); the change plan's too."""
    needing = [d.country for d in destinations if d.number_helps]
    why = (
        f" Of the countries you named, only {', '.join(needing)} need a number."
        if needing
        else " None of the countries you named is reached by a bought number."
        if destinations
        else ""
    )
    return StepBlocked(
        _not_confirmed(candidates, chosen) + why,
        advice="If a country you send to needs a number, run this step again with"
        " confirm_purchase True (headless: -p confirm_purchase True), or tick the"
        " confirmation in the form. If you send only to Singapore numbers, skip 04a.",
        field="confirm_purchase",
    )


def _not_confirmed(candidates: tuple[Candidate, ...], chosen: str) -> str:
    # A number picked in the form was not searched again: name it rather than "none found".
    shown = chosen or ", ".join(c.phone_number for c in candidates) or "none found"
    return (
        f"confirm_purchase: buying a US number costs {MONTHLY_PRICE}, billed to your agency,"
        f" so the runbook buys only after you confirm. Nothing was bought."
        f" {'Chosen' if chosen else 'Available'}: {shown}."
    )


def _attach(rb: Runbook, client: Client, service: ServiceOutcome, pn_sid: str) -> bool:
    """Put the number into the pool unless it is there already (a new service's pool is empty)."""
    if not service.created and pn_sid in pool_numbers(client, service.sid):
        return False
    return attach_number(rb, client, STEP, service, pn_sid)
