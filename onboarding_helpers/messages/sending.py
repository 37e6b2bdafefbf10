"""One billed message sent through the Messaging Service and followed to its end.

The intent is journalled before the request (``MessageSending``). If the answer is lost (dropped
connection, timeout, 5xx), the messages to that number are listed and one with this body, from
this service, made in the last minutes and unknown to the journal, is taken as the one sent; only
if Twilio has none is it sent again. A send that a stopped run left without an outcome is followed
instead of sending another (``earlier``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import TwilioActionError
from ..journal import MessageNotSent, MessageSending, MessageSent, MessageStatus
from ..phone import PhoneNumber
from ..runbook import Runbook
from ..steps.registry import Step
from ..twilio_gateway import call, create_once, outcome_unknown
from .advice import explain_send_error
from .earlier import CLOCK_SLACK, find_sent_message, resume_earlier_send
from .following import FINAL_STATES, Delivery, StatusCallback, follow_message

if TYPE_CHECKING:
    from twilio.rest import Client

# What an SMS to Singapore costs per 160-character segment (the guide's figure, May 2023).
SG_PRICE_PER_SEGMENT = "USD 0.0415"


def _send_once(
    rb: Runbook,
    client: Client,
    step: Step,
    phone: PhoneNumber,
    service_sid: str,
    *,
    body: str,
    postman_style: bool,
    notes: list[str],
) -> Any:
    """Send the message once, even when the answer is lost; journal the intent and the outcome."""
    sender_arg = {"from_": service_sid} if postman_style else {"messaging_service_sid": service_sid}
    sent_as = "From" if postman_style else "MessagingServiceSid"
    rb.progress.log(step, MessageSending(service_sid=service_sid, to=phone.masked, sent_as=sent_as))
    since = datetime.now(timezone.utc) - CLOCK_SLACK
    absent = [False]  # the latest lookup proved Twilio has no such message

    def find() -> Any:
        absent[0] = False
        found = find_sent_message(rb, client, phone, service_sid, body, since)
        absent[0] = found is None
        return found

    try:
        message, recovered = create_once(
            lambda: call(
                "send the test message",
                client.messages.create,
                to=phone.e164,
                body=body,
                field="test_phone",
                **sender_arg,
            ),
            find,
        )
    except TwilioActionError as err:
        if absent[0] or not outcome_unknown(err):  # surely not sent: no later run looks
            rb.progress.log(step, MessageNotSent(code=err.code))
        raise explain_send_error(err, phone) from None
    if recovered:
        notes.append(
            f"Twilio's answer to the send was lost on the way back; the message"
            f" {message.sid} was found in Twilio's log and was not sent a second time."
        )
    sent = MessageSent(
        message_sid=message.sid,
        service_sid=service_sid,
        to=phone.masked,
        sent_as=sent_as,
        recovered=True if recovered else None,
    )
    rb.progress.log(step, sent)
    return message


def _follow_sent(
    client: Client,
    message: Any,
    *,
    wait_seconds: float,
    on_status: StatusCallback | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    started: float,
) -> Delivery:
    """Follow a sent message; a status check that fails on the way is tried at the next poll."""
    latest: list[Any] = [message, None]  # the last message seen, the last fetch's error

    def fetch() -> Any:
        # A status check that fails on the way (network, 429, 5xx) is tried again at the next
        # poll rather than ending the step; only a failure at the deadline counts.
        try:
            latest[0] = call("check the test message's status", client.messages(message.sid).fetch)
        except TwilioActionError as err:
            if err.status is not None and err.status < 500 and err.status != 429:
                raise
            latest[1] = err
        else:
            latest[1] = None
        return latest[0]

    try:
        delivery = follow_message(
            fetch,
            message,
            wait_seconds=wait_seconds,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
            started=started,
        )
        if latest[1] is not None and delivery.status not in FINAL_STATES:
            raise latest[1]
    except TwilioActionError as err:
        err.advice = (
            f"The message {message.sid} was sent; only following it failed. See it in the console"
            f" (Monitor > Logs > Messaging) or run the step again: it follows the same message"
            f" instead of sending another. {err.advice}"
        ).strip()
        raise
    return delivery


def send_and_follow(
    rb: Runbook,
    client: Client,
    step: Step,
    phone: PhoneNumber,
    service_sid: str,
    *,
    body: str,
    postman_style: bool,
    wait_seconds: float,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Delivery:
    """Send one message through the service and follow it; refusals come out with advice.

    ``postman_style``: pass the MG SID as ``From`` (what Postman does) instead of
    ``MessagingServiceSid`` (what the console does).
    """
    started = clock()
    notes: list[str] = []
    message = resume_earlier_send(rb, client, step, phone, service_sid, body, notes)
    if message is None:
        message = _send_once(
            rb,
            client,
            step,
            phone,
            service_sid,
            body=body,
            postman_style=postman_style,
            notes=notes,
        )
    delivery = _follow_sent(
        client,
        message,
        wait_seconds=wait_seconds,
        on_status=on_status,
        sleep=sleep,
        clock=clock,
        started=started,
    )
    delivery = replace(delivery, notes=tuple(notes))
    status = MessageStatus(
        message_sid=delivery.message_sid,
        status=delivery.status,
        error_code=delivery.error_code,
        seconds=delivery.seconds,
        fetches=delivery.fetches,
    )
    rb.progress.log(step, status)
    return delivery
