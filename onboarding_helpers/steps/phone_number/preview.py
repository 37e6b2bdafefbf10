"""Step 04a in a change plan: keep or buy a US number (only once confirmed), the service, and the
number in its sender pool, found with the step's own look-ups (``look_up_owned``,
``plan_service``, ``pool_numbers``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...countries import parse_countries
from ...errors import StepBlocked
from ...validation import validate_flag, validate_friendly_name, validate_usecase
from ..messaging_service import DEFAULT_USECASE, pool_numbers, resolve_service_name
from ..messaging_service.preview import plan_service
from .destinations import plan_destinations
from .numbers import COUNTRY, MONTHLY_PRICE, MONTHLY_PRICE_USD, search_numbers, validate_us_number
from .purchase import look_up_owned
from .step import not_confirmed

if TYPE_CHECKING:
    from ...change_plan.survey import Survey

# The number a run buys is Twilio's first on offer when it runs: the plan names it so, since the
# offer moves (the number seen now is in the reason).
NEW_NUMBER = f"a {COUNTRY} number with SMS (the first Twilio offers)"


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """What step 04a would do, its inputs checked as the step checks them: nothing without
    ``buy_phone_number``; the number an earlier run bought, kept; else a purchase, only with
    ``confirm_purchase`` (without it the run stops here, as the step does)."""
    rb = survey.rb
    destinations = plan_destinations(
        parse_countries(values.get("foreign_countries", ""), "foreign_countries")
    )
    buy = validate_flag(values.get("buy_phone_number", False), "buy_phone_number")
    confirm = validate_flag(values.get("confirm_purchase", False), "confirm_purchase")
    given = values.get("messaging_service_name", "")
    name = validate_friendly_name(resolve_service_name(rb, given), "messaging_service_name")
    rb.refuse_secrets("messaging_service_name", name)
    validate_usecase(values.get("usecase", DEFAULT_USECASE))
    chosen = validate_us_number(values["phone_number"]) if values.get("phone_number") else ""
    client = survey.client()
    owned, gone = look_up_owned(rb, client, survey.account_sid)
    if gone:
        survey.notes.append(gone)
    if not buy:
        why = "buy_phone_number is not True: the step lists numbers on offer, buys nothing"
        survey.add("none", "phone_number", owned.phone_number if owned else NEW_NUMBER, why=why)
        return
    if owned is not None:
        sid, number = owned.phone_number_sid, owned.phone_number
        survey.add("reuse", "phone_number", number, why="bought by an earlier run", sid=sid)
    else:
        sid, number = "", _to_buy(survey, client, chosen, confirm, destinations)
    service_sid = plan_service(survey, name)
    survey.planned.number_sid, survey.planned.number = sid, number
    survey.planned.number_in_pool = True
    if sid and service_sid and sid in pool_numbers(client, service_sid):
        return
    survey.add("add", "service_number", number, why=f"into the sender pool of '{name}'", sid=sid)


def _to_buy(
    survey: Survey, client: Any, chosen: str, confirm: bool, destinations: tuple[Any, ...]
) -> str:
    """The purchase, as the step decides it: the number chosen (a form's), else Twilio's first
    on offer; refused without ``confirm_purchase``, or when nothing is on offer."""
    candidates = () if chosen else search_numbers(client)
    if not confirm:
        raise not_confirmed(candidates, chosen, destinations)
    if not (chosen or candidates):
        raise StepBlocked(
            "Twilio offered no US number with SMS capability right now.",
            advice="Run this step again later; nothing was bought.",
        )
    offered = chosen or candidates[0].phone_number
    why = f"confirm_purchase True; {MONTHLY_PRICE}; " + (
        "the number chosen" if chosen else f"on offer now: {offered}"
    )
    name = chosen or NEW_NUMBER
    survey.add("buy", "phone_number", name, billed=f"{MONTHLY_PRICE_USD}", why=why)
    return name
