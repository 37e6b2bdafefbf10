"""What the run knows about the Messaging Service the messages go through (step 04's work).

The progress record answers first; Twilio is asked (one GET) only when it does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..credentials import MESSAGING_SERVICE_SID
from ..errors import StepBlocked
from ..journal import ServiceRecord
from ..runbook import Runbook
from ..steps.registry import MESSAGING_SERVICE, PHONE_NUMBER
from ..twilio_gateway import call
from ..validation import validate_messaging_service_sid

if TYPE_CHECKING:
    from twilio.rest import Client


def saved_service_sid(rb: Runbook) -> str:
    """The Messaging Service SID from the env file, or StepBlocked saying to run step 04."""
    value = rb.store.get(MESSAGING_SERVICE_SID)
    if not value:
        raise StepBlocked(
            "No Messaging Service SID is saved yet.",
            advice=f"Run {MESSAGING_SERVICE.id} first: it creates the service with your Sender ID.",
            field="Messaging Service SID",
        )
    return validate_messaging_service_sid(value)


def service_record(rb: Runbook, service_sid: str) -> ServiceRecord:
    """Step 04's record when it is about this service, else an empty one."""
    record: ServiceRecord = rb.progress.read(MESSAGING_SERVICE)
    return record if record.service_sid == service_sid else ServiceRecord()


def phone_branch_taken(rb: Runbook, client: Client, service_sid: str) -> bool:
    """Whether the service can reach foreign numbers: step 04a bought a number, or its pool has one.

    Asks Twilio (one GET) only when the progress record does not already say so.
    """
    if rb.progress.read(PHONE_NUMBER).done:
        return True
    if service_record(rb, service_sid).phone_numbers:
        return True
    numbers = call(
        "list the Messaging Service's phone numbers",
        client.messaging.v1.services(service_sid).phone_numbers.list,
    )
    return bool(numbers)


def registered_sender_id(rb: Runbook, client: Client, service_sid: str) -> str | None:
    """The Sender ID step 04 put in this service, else the service's alpha sender (one GET)."""
    recorded = service_record(rb, service_sid).sender_id
    if recorded:
        return recorded
    alphas = call(
        "list the Messaging Service's alpha senders",
        client.messaging.v1.services(service_sid).alpha_senders.list,
    )
    return alphas[0].alpha_sender if alphas else None
