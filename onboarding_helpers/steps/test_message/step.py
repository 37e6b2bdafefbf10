"""Step 05 itself: send the test SMS the console's way and record what became of it.

A message Twilio handed to the carrier but whose delivery the carrier never confirmed ends
``sent``: Postman counts that as finished (a campaign shows it as a success), the runbook calls it
"sent, carrier did not confirm" and says what to look for on the phone. Step 06 reads that
outcome so that it does not wait the whole ``wait_seconds`` for the same carrier again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ...errors import InputError, RunbookError, TwilioActionError
from ...journal import DeliveredMessageReused, TestMessageRecord
from ...messages import (
    DEFAULT_WAIT_SECONDS,
    SG_PRICE_PER_SEGMENT,
    Delivery,
    StatusCallback,
    StatusUpdate,
    check_wait_seconds,
    delivered_earlier,
    delivery_failure,
    registered_sender_id,
    saved_service_sid,
    send_and_follow,
)
from ...phone import US_CONFIRMATION, PhoneNumber, parse_phone
from ...recipients import check_recipient, explain_destination, recipient_notes
from ...runbook import Runbook, step_action
from ...validation import validate_flag
from ..registry import TEST_MESSAGE as STEP

TEST_BODY = "Test from the Postman onboarding runbook (step 05): your Twilio Sender ID works."


@dataclass(frozen=True)
class MessageCheckResult:
    outcome: str  # delivered | sent-not-confirmed | not-sent-yet | skipped
    live: bool
    message_sid: str | None = None
    to: str | None = None  # E.164; shown in the notebook, masked in the report and journal
    service_sid: str | None = None
    sender_id: str | None = None  # the registered Sender ID, when known
    shown_from: str | None = None
    statuses: tuple[StatusUpdate, ...] = ()
    seconds: float = 0.0
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    reason: str = ""  # why it was skipped
    notes: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _reuse_delivered(
    rb: Runbook,
    earlier: TestMessageRecord,
    phone: PhoneNumber,
    service_sid: str,
    wait_seconds: float,
) -> MessageCheckResult:
    """A re-run after a delivery: the recorded message stands, and nothing is sent (or billed)."""
    rb.progress.log(STEP, DeliveredMessageReused(message_sid=earlier.message_sid))
    live = not rb.settings.is_sandbox
    return MessageCheckResult(
        outcome="delivered",
        live=live,
        message_sid=earlier.message_sid,
        to=phone.e164,
        service_sid=service_sid,
        sender_id=earlier.sender_id or None,
        shown_from=earlier.shown_from or None,
        seconds=earlier.seconds or 0.0,
        wait_seconds=wait_seconds,
        warnings=phone.warnings,
        notes=(
            f"A test message ({earlier.message_sid}) was already delivered to"
            f" {phone.masked} at {earlier.at}, so none was sent this time."
            " Set resend to True (or press the button in the form) to send another"
            + (", billed to your account." if live else "."),
        ),
    )


def _send(
    rb: Runbook,
    phone: PhoneNumber,
    service_sid: str,
    *,
    us_sender_registered: bool,
    wait_seconds: float,
    on_status: StatusCallback | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> tuple[Delivery, str | None, list[str], list[str]]:
    """Send and follow with the Auth Token, as the console does: (delivery, registered Sender ID,
    notes, warnings about the sender the phone shows).

    A foreign number the service cannot reach is refused first (nothing sent). A failure is
    recorded (unless it is a refused input, which leaves the record as it was) and raised with
    the guide's advice.
    """
    client = rb.auth_token_client(STEP.id)
    prediction = None
    try:
        prediction = check_recipient(
            rb, client, phone, service_sid, us_sender_registered=us_sender_registered
        )
        delivery = send_and_follow(
            rb,
            client,
            STEP,
            phone,
            service_sid,
            body=TEST_BODY,
            postman_style=False,
            wait_seconds=wait_seconds,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
        )
        sender_id = registered_sender_id(rb, client, service_sid)
        if delivery.outcome == "failed":
            raise delivery_failure(delivery, phone, sender_id)
    except TwilioActionError as err:
        _record_failure(rb, phone, service_sid, err)
        raise explain_destination(err, phone, prediction) from None
    except RunbookError as err:
        _record_failure(rb, phone, service_sid, err)
        raise
    notes, warnings = recipient_notes(delivery, phone, sender_id, prediction)
    return delivery, sender_id, notes, warnings


def _record_failure(rb: Runbook, phone: PhoneNumber, service_sid: str, err: RunbookError) -> None:
    if isinstance(err, InputError):
        return
    failed = TestMessageRecord(
        status="failed",
        to=phone.masked,
        service_sid=service_sid,
        reason=err.message,
        error_code=getattr(err, "code", None),
    )
    rb.progress.save(STEP, failed)


# How the runbook says "sent": Twilio handed it on, the carrier never confirmed delivery.
SENT_NOT_CONFIRMED = "sent, carrier did not confirm"


def _outcome_warnings(delivery: Delivery, wait_seconds: float) -> list[str]:
    """What to do when the message was not (yet) confirmed delivered."""
    if delivery.outcome == "sent-not-confirmed":
        return [
            f"{SENT_NOT_CONFIRMED[0].upper()}{SENT_NOT_CONFIRMED[1:]} within {wait_seconds:g} s:"
            " Twilio handed the message to the mobile network, but no delivery receipt came back."
            " Postman counts 'sent' as finished, so a campaign would show this message as a"
            " success; the runbook only calls 'delivered' proof. Look at your phone: did the SMS"
            " arrive, and does the sender show your registered Sender ID? If it did, go on to"
            " step 06. If nothing arrives within a few minutes, check the message in the console"
            " (Monitor > Logs > Messaging): a Sender ID that another organisation registered, or"
            " that is not yet mapped to your account, is the usual cause."
        ]
    if delivery.outcome == "not-sent-yet":
        return [
            f"After {wait_seconds:g} s the message was still '{delivery.status}': Twilio has not"
            " sent it yet. Check it in the console (Monitor > Logs > Messaging) in a few minutes,"
            " or run this step again with a longer wait_seconds."
        ]
    return []


def _record_done(rb: Runbook, result: MessageCheckResult, phone: PhoneNumber) -> None:
    record = TestMessageRecord(
        status="done",
        outcome=result.outcome,
        message_sid=result.message_sid or "",
        to=phone.masked,
        service_sid=result.service_sid or "",
        sender_id=result.sender_id or "",
        shown_from=result.shown_from or "",
        statuses=[u.status for u in result.statuses],
        seconds=result.seconds,
    )
    rb.progress.save(STEP, record)


@step_action(STEP.id)
def send_test_message(
    rb: Runbook,
    test_phone: object = "",
    *,
    resend: bool = False,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    us_sender_registered: bool = False,
    allow_skip: bool = True,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> MessageCheckResult:
    """Step 05: send a test SMS to ``test_phone`` through the service and follow it to the end.

    With no ``test_phone`` and ``allow_skip`` (headless), nothing is sent and the step is recorded
    as skipped. A message already delivered to this phone through this service is not sent again
    unless ``resend`` (a re-run creates nothing, and needs no Auth Token). ``wait_seconds``: how
    long to follow the message for ``delivered`` before reporting it as sent but not confirmed.
    ``us_sender_registered``: the officer confirms the US sender is registered (A2P 10DLC or
    toll-free verification), without which a US number is refused. In live mode each send is one
    real, billed SMS.
    """
    live = not rb.settings.is_sandbox
    wait_seconds = check_wait_seconds(wait_seconds)
    resend = validate_flag(resend, "resend")
    us_sender_registered = validate_flag(us_sender_registered, US_CONFIRMATION)
    given = "" if test_phone is None else str(test_phone).strip()
    if not given and allow_skip:
        reason = "No test_phone was given, so no test message was sent."
        rb.progress.save(STEP, TestMessageRecord(status="skipped", reason=reason))
        return MessageCheckResult("skipped", live, reason=reason, wait_seconds=wait_seconds)
    phone = parse_phone(test_phone)  # refused here, before any Twilio request
    service_sid = saved_service_sid(rb)
    earlier: TestMessageRecord = rb.progress.read(STEP)
    if not resend and delivered_earlier(earlier, phone, service_sid):
        return _reuse_delivered(rb, earlier, phone, service_sid, wait_seconds)
    delivery, sender_id, notes, warnings = _send(
        rb,
        phone,
        service_sid,
        us_sender_registered=us_sender_registered,
        wait_seconds=wait_seconds,
        on_status=on_status,
        sleep=sleep,
        clock=clock,
    )
    warnings += _outcome_warnings(delivery, wait_seconds)
    if live:
        notes.append(f"This message was billed to your account (about {SG_PRICE_PER_SEGMENT}).")
    result = MessageCheckResult(
        outcome=delivery.outcome,
        live=live,
        message_sid=delivery.message_sid,
        to=phone.e164,
        service_sid=service_sid,
        sender_id=sender_id,
        shown_from=delivery.sender,
        statuses=delivery.statuses,
        seconds=delivery.seconds,
        wait_seconds=wait_seconds,
        notes=(*delivery.notes, *notes),
        warnings=tuple(warnings),
    )
    _record_done(rb, result, phone)
    return result
