"""Buying a number, never twice: the purchase is journalled as an intent before the request and as
a fact after it, so even a purchase whose answer was lost is found again on the next run. Within a
run, a lost answer is checked at once (the account's numbers, filtered by the number) before
buying again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ...errors import TwilioActionError
from ...journal import (
    Event,
    NumberBought,
    NumberBuying,
    NumberGone,
    PurchaseNotMade,
    PurchaseRefused,
)
from ...runbook import Runbook
from ...twilio_gateway import call, create_once, outcome_unknown
from ..messaging_service import bought_number
from ..registry import PHONE_NUMBER as STEP

if TYPE_CHECKING:
    from twilio.rest import Client

E = TypeVar("E", bound=Event)


def unsettled_purchase(rb: Runbook, account_sid: str) -> NumberBuying | None:
    """The last purchase attempt in this account if it has no recorded outcome, else None."""
    attempts = rb.progress.events(
        NumberBuying, NumberBought, PurchaseNotMade, PurchaseRefused, step=STEP
    )
    for event in reversed(attempts):
        if event.account_sid == account_sid:
            return event if isinstance(event, NumberBuying) else None
    return None


def owned_number(rb: Runbook, client: Client, account_sid: str) -> tuple[NumberBought | None, str]:
    """The number the runbook bought earlier, if it is still on the account, and a note if not.

    Also recovers a purchase whose answer was lost (an intent with no recorded result).
    """
    return look_up_owned(rb, client, account_sid, lambda event: rb.progress.log(STEP, event))


def look_up_owned(
    rb: Runbook,
    client: Client,
    account_sid: str,
    journal: Callable[[E], E] = lambda event: event,
) -> tuple[NumberBought | None, str]:
    """``owned_number``'s look-up, which reads only: what it learns goes to ``journal`` as it
    learns it (the step writes it to the journal; the change plan, which writes nothing, keeps
    the default)."""
    bought = bought_number(rb, account_sid)
    intent = unsettled_purchase(rb, account_sid)
    if intent:
        rows = call(
            "look for a number bought in an earlier run",
            client.incoming_phone_numbers.list,
            phone_number=intent.phone_number,
        )
        if rows:
            found = NumberBought(
                phone_number_sid=rows[0].sid,
                phone_number=rows[0].phone_number,
                account_sid=account_sid,
                recovered=True,
            )
            return journal(found), ""
        journal(PurchaseNotMade(phone_number=intent.phone_number, account_sid=account_sid))
    if not bought:
        return None, ""
    try:
        call(
            "fetch the number bought earlier",
            client.incoming_phone_numbers(bought.phone_number_sid).fetch,
        )
    except TwilioActionError as err:
        if err.status != 404:
            raise
        journal(NumberGone(phone_number_sid=bought.phone_number_sid))
        return None, (
            f"The number {bought.phone_number} bought by an earlier run is no longer on the"
            " account (released in the console?)."
        )
    return bought, ""


def purchase(rb: Runbook, client: Client, account_sid: str, number: str) -> NumberBought:
    """Buy ``number``; the intent goes to disk first, so a lost answer is found next run."""
    rb.progress.log(STEP, NumberBuying(phone_number=number, account_sid=account_sid))
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
            refused = PurchaseRefused(phone_number=number, account_sid=account_sid, code=err.code)
            rb.progress.log(STEP, refused)
        elif absent[0] or not outcome_unknown(err):  # surely not bought (looked, or 503)
            rb.progress.log(STEP, PurchaseNotMade(phone_number=number, account_sid=account_sid))
        raise
    return rb.progress.log(
        STEP,
        NumberBought(
            phone_number_sid=bought.sid,
            phone_number=bought.phone_number,
            account_sid=account_sid,
            recovered=True if recovered else None,
        ),
    )
