"""What earlier runs left: a delivered message that stands, a send stopped before its outcome.

Every SMS is billed, so a send is never repeated blindly. A run stopped after sending (or while
following) leaves a send with no recorded outcome in the journal: the next run of the same step,
to the same number through the same service within ``RESUME_WINDOW``, follows that message instead
of sending another. A send whose answer was lost is looked for in Twilio's log among the messages
the journal does not know.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..credentials import AUTH_TOKEN
from ..errors import TwilioActionError
from ..journal import (
    DeliveredMessageReused,
    Event,
    HandoffRecord,
    MessageNotSent,
    MessageSending,
    MessageSent,
    MessageStatus,
    PostmanCheckReused,
    TestMessageRecord,
)
from ..phone import PhoneNumber
from ..runbook import Runbook
from ..steps.registry import Step
from ..twilio_gateway import call

if TYPE_CHECKING:
    from twilio.rest import Client

# Twilio's "Authorization Failed": a Restricted key's policy lacks the permission.
RESTRICTED_KEY_REFUSED = 70051
# A send with no recorded outcome younger than this is followed by the next run, not repeated.
RESUME_WINDOW = timedelta(hours=1)
# How far before the send a lost message may be dated (clock differences with Twilio).
CLOCK_SLACK = timedelta(minutes=5)
# The journal's events that name a message: a message they name is not a lost one.
_NAMING_A_MESSAGE = (
    MessageSent,
    MessageNotSent,
    MessageStatus,
    DeliveredMessageReused,
    PostmanCheckReused,
)


def delivered_earlier(
    record: TestMessageRecord | HandoffRecord, phone: PhoneNumber, service_sid: str
) -> bool:
    """Whether a step's last record is a message delivered to this phone through this service:
    then a re-run need not send again."""
    delivery = record.outcome if isinstance(record, TestMessageRecord) else record.delivery
    return (
        record.done
        and delivery == "delivered"
        and record.to == phone.masked
        and record.service_sid == service_sid
    )


def journal_time(event: Event) -> datetime | None:
    """When an event was written (None if its time cannot be read)."""
    try:
        return datetime.strptime(event.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def find_sent_message(
    rb: Runbook, client: Client, phone: PhoneNumber, service_sid: str, body: str, since: datetime
) -> Any:
    """The message a send whose answer was lost made, or None: to this number, with this body,
    through this service, dated after ``since``, and not one the journal already knows (one GET).
    """
    known = {e.message_sid for e in rb.progress.events(*_NAMING_A_MESSAGE) if e.message_sid}
    for message in _recent_messages(rb, client, phone):
        created = message.date_created
        if (
            message.sid not in known
            and message.body == body
            and message.messaging_service_sid == service_sid
            and (created is None or created >= since)
        ):
            return message
    return None


def _recent_messages(rb: Runbook, client: Client, phone: PhoneNumber) -> list[Any]:
    """The latest messages to ``phone``. A Restricted key may not list messages (its policy
    leaves the message log out on purpose): then the account's Auth Token looks, if it is in the
    env file, so a lost answer can still be settled without a second SMS."""
    action = "look for a test message whose answer was lost"
    try:
        return call(action, client.messages.list, to=phone.e164, limit=20)
    except TwilioActionError as err:
        if err.code != RESTRICTED_KEY_REFUSED or not rb.store.get(AUTH_TOKEN):
            if err.code == RESTRICTED_KEY_REFUSED:
                err.advice = (
                    "This API key may not read the message log, so whether the earlier message"
                    " went out cannot be checked with it. Look in the console (Monitor > Logs >"
                    " Messaging), or put the Auth Token back in the env file for this run, then"
                    " run again; nothing was sent twice."
                )
            raise
    owner = rb.auth_token_client("lookup")
    return call(action, owner.messages.list, to=phone.e164, limit=20)


def _unsettled_send(
    rb: Runbook, step: Step, phone: PhoneNumber, service_sid: str
) -> MessageSending | MessageSent | None:
    """The latest send of ``step`` with no recorded outcome, if it was to this number through
    this service within ``RESUME_WINDOW``: a run stopped mid-send or while following."""
    kinds = (MessageSending, MessageSent, MessageStatus, MessageNotSent)
    for event in reversed(rb.progress.events(*kinds, step=step)):
        if isinstance(event, (MessageStatus, MessageNotSent)):
            return None  # the latest send has its outcome
        if event.to != phone.masked or event.service_sid != service_sid:
            return None
        when = journal_time(event)
        if when is None or datetime.now(timezone.utc) - when > RESUME_WINDOW:
            return None
        return event
    return None


def _message_of(
    rb: Runbook,
    client: Client,
    step: Step,
    earlier: MessageSending | MessageSent,
    phone: PhoneNumber,
    body: str,
) -> Any:
    """The message the unsettled send made, or None (then the journal says it was not sent)."""
    if isinstance(earlier, MessageSent):
        sid = earlier.message_sid
        try:
            message = call("fetch the earlier test message", client.messages(sid).fetch)
        except TwilioActionError as err:
            if err.status != 404:
                raise
            message = None
        if message is None or message.to != phone.e164:  # gone, or another phone after all
            rb.progress.log(step, MessageNotSent(message_sid=sid))
            return None
        return message
    since = (journal_time(earlier) or datetime.now(timezone.utc)) - CLOCK_SLACK
    message = find_sent_message(rb, client, phone, earlier.service_sid, body, since)
    if message is None:  # the stopped run never got its message to Twilio
        rb.progress.log(step, MessageNotSent(reason="no trace in Twilio"))
        return None
    sent = MessageSent(
        message_sid=message.sid,
        service_sid=earlier.service_sid,
        to=phone.masked,
        sent_as=earlier.sent_as,
        recovered=True,
    )
    rb.progress.log(step, sent)
    return message


def resume_earlier_send(
    rb: Runbook,
    client: Client,
    step: Step,
    phone: PhoneNumber,
    service_sid: str,
    body: str,
    notes: list[str],
) -> Any:
    """The message an interrupted run of this step sent, to follow instead of sending another;
    None when there is none (then this run sends)."""
    earlier = _unsettled_send(rb, step, phone, service_sid)
    if earlier is None:
        return None
    message = _message_of(rb, client, step, earlier, phone, body)
    if message is not None:
        notes.append(
            f"An earlier run of this step was stopped after sending the message {message.sid} to"
            f" {phone.masked}; this run followed that message instead of sending (and billing)"
            " another."
        )
    return message
