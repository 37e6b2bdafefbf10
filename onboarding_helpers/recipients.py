"""Who a test message can reach, and which sender the phone will show: steps 05 and 06.

Singapore numbers always go out with the registered Sender ID. For a foreign number the country
table (``countries.sender_for``) is applied to the Messaging Service's senders: Twilio sends
with the Sender ID to every country that takes one, and from a number in the sender pool only
where alphanumeric Sender IDs are not supported. So a foreign number is not refused for lack of
a bought number; it is refused, before anything is sent, only where nothing in the pool reaches
the country, or for the United States until the officer confirms the US sender is registered
(``phone.check_reachable``). After the send, the notes say which sender the phone shows and
what the country still needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .countries import SenderPrediction, sender_for
from .errors import TwilioActionError
from .messages import Delivery, registered_sender_id, sender_notes, service_record
from .phone import PhoneNumber, check_reachable
from .runbook import Runbook
from .steps.registry import PHONE_NUMBER
from .twilio_gateway import call

if TYPE_CHECKING:
    from twilio.rest import Client

# Twilio's answers that mean "this country cannot be reached from this sender", and 30034, the
# US carriers' block of an unregistered 10DLC number.
_DESTINATION_CODES = frozenset({21408, 21612, 21657, 30034})


def pool_numbers(rb: Runbook, client: Client, service_sid: str) -> list[str]:
    """The phone numbers in the service's sender pool: from steps 04 and 04a's records, else from
    Twilio (one GET)."""
    recorded = service_record(rb, service_sid).phone_numbers
    if recorded:
        return list(recorded)
    bought = rb.progress.read(PHONE_NUMBER)
    if bought.done and bought.phone_number and bought.service_sid == service_sid:
        return [bought.phone_number]
    numbers = call(
        "list the Messaging Service's phone numbers",
        client.messaging.v1.services(service_sid).phone_numbers.list,
    )
    return [n.phone_number for n in numbers if n.phone_number]


def predict_sender(
    rb: Runbook, client: Client, phone: PhoneNumber, service_sid: str
) -> SenderPrediction | None:
    """Which sender a phone in that country sees from this service; None for Singapore."""
    if phone.is_singapore:
        return None
    sender_id = registered_sender_id(rb, client, service_sid)
    numbers = pool_numbers(rb, client, service_sid)
    return sender_for(phone.region, sender_id is not None, numbers, sender_id=sender_id or "")


def check_recipient(
    rb: Runbook,
    client: Client,
    phone: PhoneNumber,
    service_sid: str,
    *,
    us_sender_registered: bool = False,
) -> SenderPrediction | None:
    """The prediction for ``phone``, or InputError (nothing sent) when it cannot be reached."""
    prediction = predict_sender(rb, client, phone, service_sid)
    check_reachable(phone, prediction, us_sender_registered=us_sender_registered)
    return prediction


def recipient_notes(
    delivery: Delivery,
    phone: PhoneNumber,
    sender_id: str | None,
    prediction: SenderPrediction | None,
) -> tuple[list[str], list[str]]:
    """(notes, warnings) about the sender the phone shows and what its country needs."""
    if prediction is None:
        notes, warnings = sender_notes(delivery, phone, sender_id)
        return notes, [*phone.warnings, *warnings]
    notes = [f"{phone.country}: {prediction.summary}", *prediction.notes]
    warnings = list(phone.warnings)
    if prediction.advice and prediction.reach != "yes":
        warnings.append(prediction.advice)
    elif prediction.advice:
        notes.append(prediction.advice)
    expected = sender_id if prediction.sender == "sender_id" else prediction.number
    shown = delivery.sender
    if shown and expected and shown != expected:
        warnings.append(
            f"Twilio sent it from '{shown}', where the country table expects '{expected}' for"
            f" {phone.country}. Check the sender pool (Messaging > Services > Sender Pool)."
        )
    elif shown:
        notes.append(f"Twilio sent it from '{shown}'.")
    return notes, warnings


def explain_destination(
    err: TwilioActionError, phone: PhoneNumber, prediction: SenderPrediction | None
) -> TwilioActionError:
    """A refused or failed foreign message, with what that country needs (from the table)."""
    if prediction is None:
        return err
    # 30007 abroad: the carrier filtered a Sender ID that country wants registered first.
    filtered = err.code == 30007 and prediction.reach == "if registered"
    if err.code not in _DESTINATION_CODES and not filtered:
        return err
    rule = prediction.rule
    err.field = "test_phone"
    err.advice = (
        f"{phone.country}: {rule.needs} {rule.advice} Twilio's rules for the country:"
        f" {rule.source}. Messaging Geo Permissions must allow it too (Messaging > Settings > Geo"
        " permissions). Or test with your Singapore mobile."
    )
    return err
