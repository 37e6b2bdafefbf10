"""The service's sender pool of phone numbers: the number step 04a bought, put in once.

Adding a number twice is harmless (21710, "already in this service"), so a lost answer is checked
against the pool and, if the number is not there, simply tried again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import TwilioActionError
from ...journal import NumberAttached, NumberBought, NumberGone
from ...runbook import Runbook
from ...twilio_gateway import call, create_once
from ..registry import PHONE_NUMBER, Step
from .service import ServiceOutcome

if TYPE_CHECKING:
    from twilio.rest import Client


def bought_number(rb: Runbook, account_sid: str) -> NumberBought | None:
    """The latest number step 04a bought in this account (None if none).

    A number later found released (``NumberGone``) no longer counts.
    """
    gone = set()
    for event in reversed(rb.progress.events(NumberBought, NumberGone)):
        if isinstance(event, NumberGone):
            gone.add(event.phone_number_sid)
        elif (
            event.step == PHONE_NUMBER.id
            and event.account_sid == account_sid
            and event.phone_number_sid not in gone
        ):
            return event
    return None


def pool_numbers(client: Client, service_sid: str) -> dict[str, str]:
    """The sender pool's phone numbers: PN SID -> E.164 number."""
    rows = call(
        "list the sender pool's phone numbers",
        client.messaging.v1.services(service_sid).phone_numbers.list,
    )
    return {r.sid: r.phone_number for r in rows}


def attach_number(
    rb: Runbook, client: Client, step: Step, service: ServiceOutcome, pn_sid: str
) -> bool:
    """Put a bought number into the service's sender pool; False if it was already there."""
    try:
        create_once(
            lambda: call(
                "add the phone number to the sender pool",
                client.messaging.v1.services(service.sid).phone_numbers.create,
                phone_number_sid=pn_sid,
            ),
            lambda: True if pn_sid in pool_numbers(client, service.sid) else None,
        )
    except TwilioActionError as err:
        if err.code == 21710:  # already in this service: what we wanted
            return False
        if err.code == 21712:
            err.message = (
                f"The phone number {pn_sid} is already in another Messaging Service, and a number"
                " can be in only one (error 21712)."
            )
            err.advice = (
                "In the console (Messaging > Services > the other service > Sender Pool) remove"
                f" it there, then run this step again to add it to '{service.friendly_name}'."
            )
        raise
    rb.progress.log(step, NumberAttached(service_sid=service.sid, phone_number_sid=pn_sid))
    return True
