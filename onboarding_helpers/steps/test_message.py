"""Step 05: a test SMS through the Messaging Service to the officer's own phone (guide step 5).

The guide does this in the console (Try it out > Send an SMS), as the account owner, so this step
uses the Auth Token: if it works here but step 06 fails, the API key is the culprit, not the
service. The message is sent with ``MessagingServiceSid`` (the console's way); step 06 repeats it
with ``From=MG...`` and the API key (Postman's way).

After sending, the message's status is polled with backoff (0.2 s, x1.5, at most 3 s apart) until
a final state or ``wait_seconds``; each fetch is one Twilio request, so they stay few. Every status
change is passed to ``on_status`` as it is seen. Failures end as ``TwilioActionError`` with the
guide's advice; a message still ``sent`` at the limit is reported as sent but not confirmed, not as
delivered.

Every SMS is billed, so a send is never repeated blindly. The intent is journalled before the
request ("sending test message"). If the answer is lost (dropped connection, timeout, 5xx), the
messages to that number are listed and one with this body, from this service, made in the last
minutes and unknown to the journal, is taken as the one sent; only if Twilio has none is it sent
again. A run stopped after sending (or while following) leaves a send with no recorded outcome:
the next run of the same step, to the same number within an hour, follows that message instead
of sending another.

The pieces shared with step 06 (``send_and_follow``, ``phone_branch_taken``,
``registered_sender_id``, the advice) live here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..credentials import MESSAGING_SERVICE_SID
from ..errors import InputError, RunbookError, StepBlocked, TwilioActionError
from ..phone import PhoneNumber, check_reachable, parse_phone
from ..runbook import Runbook, step_action
from ..twilio_gateway import ADVICE, call, create_once, outcome_unknown
from ..validation import validate_flag, validate_messaging_service_sid

if TYPE_CHECKING:
    from twilio.rest import Client

STEP = "05_send_test_message"
SERVICE_STEP = "04_messaging_service"
PHONE_STEP = "04a_buy_phone_number"

DEFAULT_WAIT_SECONDS = 60.0
# The first look comes after a second: most deliveries to Singapore take that long, and an
# earlier look costs a request that shows only 'queued'.
FIRST_DELAY = 1.0
BACKOFF = 1.5
MAX_DELAY = 3.0
# "read" is WhatsApp's; "canceled" only for scheduled messages. Both are final all the same.
FINAL_STATES = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})
FAILED_STATES = frozenset({"undelivered", "failed", "canceled"})
# What an SMS to Singapore costs per 160-character segment (the guide's figure, May 2023).
SG_PRICE_PER_SEGMENT = "USD 0.0415"
# A send with no recorded outcome younger than this is followed by the next run, not repeated.
RESUME_WINDOW = timedelta(hours=1)
# How far before the send a lost message may be dated (clock differences with Twilio).
CLOCK_SLACK = timedelta(minutes=5)
_SEND_ACTIONS = ("sending test message", "sent test message", "test message status")

TEST_BODY = "Test from the Postman onboarding runbook (step 05): your Twilio Sender ID works."

StatusCallback = Callable[["StatusUpdate"], None]


@dataclass(frozen=True)
class StatusUpdate:
    """One status the message was seen in, ``elapsed`` seconds after it was sent."""

    status: str
    elapsed: float
    error_code: int | None = None


@dataclass(frozen=True)
class Delivery:
    """What following one message found."""

    message_sid: str
    status: str  # the last status seen
    sender: str | None  # the message's ``from``: what the handset shows
    error_code: int | None
    error_message: str | None
    statuses: tuple[StatusUpdate, ...]
    fetches: int
    seconds: float
    timed_out: bool
    notes: tuple[str, ...] = ()  # how a lost answer or an interrupted run was made good

    @property
    def outcome(self) -> str:
        """delivered | failed | sent-not-confirmed | not-sent-yet."""
        if self.status in ("delivered", "read"):
            return "delivered"
        if self.status in FAILED_STATES:
            return "failed"
        if self.status == "sent":
            return "sent-not-confirmed"
        return "not-sent-yet"


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


def check_wait_seconds(wait_seconds: object) -> float:
    """The polling time limit, 0 to 600 seconds."""
    if isinstance(wait_seconds, bool) or not isinstance(wait_seconds, (int, float)):
        raise InputError("wait_seconds", "must be a number of seconds.", "Use e.g. 60.")
    if not 0 <= wait_seconds <= 600:
        raise InputError(
            "wait_seconds", f"is {wait_seconds}; allowed is 0 to 600 seconds.", "Use e.g. 60."
        )
    return float(wait_seconds)


# ---------------------------------------------------------------- what the run knows


def saved_service_sid(rb: Runbook) -> str:
    """The Messaging Service SID from the env file, or StepBlocked saying to run step 04."""
    value = rb.store.get(MESSAGING_SERVICE_SID)
    if not value:
        raise StepBlocked(
            "No Messaging Service SID is saved yet.",
            advice="Run 04_messaging_service first: it creates the service with your Sender ID.",
            field="Messaging Service SID",
        )
    return validate_messaging_service_sid(value)


def _service_record(rb: Runbook, service_sid: str) -> dict[str, Any]:
    record = rb.progress.step(SERVICE_STEP)
    return record if record.get("service_sid") == service_sid else {}


def phone_branch_taken(rb: Runbook, client: Client, service_sid: str) -> bool:
    """Whether the service can reach foreign numbers: step 04a bought a number, or its pool has one.

    Asks Twilio (one GET) only when the progress record does not already say so.
    """
    if rb.progress.step(PHONE_STEP).get("status") == "done":
        return True
    if _service_record(rb, service_sid).get("phone_numbers"):
        return True
    numbers = call(
        "list the Messaging Service's phone numbers",
        client.messaging.v1.services(service_sid).phone_numbers.list,
    )
    return bool(numbers)


def registered_sender_id(rb: Runbook, client: Client, service_sid: str) -> str | None:
    """The Sender ID step 04 put in this service, else the service's alpha sender (one GET)."""
    recorded = _service_record(rb, service_sid).get("sender_id")
    if recorded:
        return str(recorded)
    alphas = call(
        "list the Messaging Service's alpha senders",
        client.messaging.v1.services(service_sid).alpha_senders.list,
    )
    return alphas[0].alpha_sender if alphas else None


# ---------------------------------------------------------------- advice


def _guide_send_advice(code: int | None, phone: PhoneNumber) -> tuple[str, str, str] | None:
    """(message, field, advice) for refusals at send time, in the guide's terms."""
    if code == 21612 or code == 21408:
        return (
            f"Twilio cannot send from this Messaging Service to {phone.e164} ({phone.country}):"
            f" the destination is not possible from this sender (error {code}).",
            "test_phone",
            "An alphanumeric Sender ID reaches Singapore numbers but not most other countries."
            " Test with your Singapore mobile, or, if campaigns go abroad, take step 04a (buy a"
            " phone number), run 04 again, and enable the country in Messaging > Settings > Geo"
            " permissions.",
        )
    if code == 21614:
        return (
            f"{phone.e164} is not a mobile number, so it cannot receive SMS (error 21614).",
            "test_phone",
            "Use your own mobile number (Singapore mobiles start with 8 or 9).",
        )
    if code == 21608:
        return (
            "Twilio refused to send because this is still a Trial account: Trial accounts may"
            " only text numbers verified in the console (error 21608).",
            "Account SID",
            "Upgrade billing (Billing > Manage Billing > Upgrade, prepaid with a corporate card) as"
            " the guide asks, run 01_account_sid again, then this step. Trial messages also show"
            " as Likely-SCAM and cannot carry your Sender ID.",
        )
    if code == 21703:
        return (
            "The Messaging Service's sender pool is empty, so there is nothing to send from"
            " (error 21703).",
            "Messaging Service SID",
            "Run 04_messaging_service again: it adds your Sender ID to the sender pool.",
        )
    if code == 21701:
        return (
            "Twilio does not know this Messaging Service SID in this account (error 21701).",
            "Messaging Service SID",
            "Run 04_messaging_service again, or copy the MG... SID from the service's Properties"
            " page into the env file.",
        )
    return None


def explain_send_error(err: TwilioActionError, phone: PhoneNumber) -> TwilioActionError:
    """Rewrite a refused send with the guide's advice (known codes); others keep the gateway's."""
    known = _guide_send_advice(err.code, phone)
    if known:
        err.message, err.field, err.advice = known
    return err


def delivery_failure(
    delivery: Delivery, phone: PhoneNumber, sender: str | None
) -> TwilioActionError:
    """The error for a message that ended undelivered, failed or canceled."""
    code = delivery.error_code
    said = f" Twilio said: {delivery.error_message.rstrip('.')}." if delivery.error_message else ""
    field_name: str | None = None
    if code == 30007 and phone.is_singapore:
        sender_text = f"'{sender}'" if sender else "your Sender ID"
        what = (
            f"The test message was filtered by the carrier (error 30007): Singapore blocked"
            f" {sender_text}."
        )
        advice = (
            "In Singapore this means the Sender ID is not registered with SGNIC's SMS Sender ID"
            " Registry, not yet mapped to your account by Twilio, or owned by another agency."
            " Check your SSIR approval (the ID must be exactly as registered), ask Twilio to map it"
            " to this account if it is yours, or register your agency's own ID if another agency"
            " holds it. Then run this step again."
        )
        field_name = "Sender ID"
    elif code in ADVICE:
        known_what, field_name, advice = ADVICE[code]
        what = f"The test message was {delivery.status} (error {code}): {known_what}"
    elif code:
        what = f"The test message was {delivery.status} (error {code})."
        advice = (
            "Look the code up on Twilio's error page below, check the message in the console"
            " (Monitor > Logs > Messaging), then run this step again."
        )
    else:
        what = f"The test message ended {delivery.status}, without an error code."
        advice = "Check the message in the console (Monitor > Logs > Messaging), then run again."
    return TwilioActionError(
        what + said,
        advice=advice,
        field=field_name,
        code=code,
        more_info=f"https://www.twilio.com/docs/errors/{code}" if code else None,
    )


# ---------------------------------------------------------------- sending and following


def follow_message(
    fetch: Callable[[], Any],
    first: Any,
    *,
    wait_seconds: float,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    started: float | None = None,
) -> Delivery:
    """Poll a message until a final status or ``wait_seconds``; report each change.

    ``first`` is the message as created; ``fetch`` returns it afresh (one request each). Waits
    start at 1 s and grow by half each time up to 3 s, so a quick delivery costs one request and
    a slow one few.
    """
    started = clock() if started is None else started
    current = first
    seen = [StatusUpdate(current.status or "unknown", 0.0, current.error_code)]
    if on_status:
        on_status(seen[0])
    fetches, delay, timed_out = 0, FIRST_DELAY, False
    while current.status not in FINAL_STATES:
        remaining = wait_seconds - (clock() - started)
        if remaining <= 0:
            timed_out = True
            break
        sleep(min(delay, remaining))
        delay = min(delay * BACKOFF, MAX_DELAY)
        current = fetch()
        fetches += 1
        if current.status != seen[-1].status:
            update = StatusUpdate(
                current.status or "unknown", clock() - started, current.error_code
            )
            seen.append(update)
            if on_status:
                on_status(update)
    return Delivery(
        message_sid=current.sid,
        status=current.status or "unknown",
        sender=current.from_,
        error_code=current.error_code,
        error_message=current.error_message,
        statuses=tuple(seen),
        fetches=fetches,
        seconds=round(clock() - started, 3),
        timed_out=timed_out,
    )


def send_and_follow(
    rb: Runbook,
    client: Client,
    step: str,
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
    sender_arg = {"from_": service_sid} if postman_style else {"messaging_service_sid": service_sid}
    sent_as = "From" if postman_style else "MessagingServiceSid"
    started = clock()
    notes: list[str] = []
    message = _resume_earlier_send(rb, client, step, phone, service_sid, body, notes)
    if message is None:
        rb.progress.journal(
            step, "sending test message", service_sid=service_sid, to=phone.masked,
            sent_as=sent_as,
        )  # fmt: skip
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
                rb.progress.journal(step, "test message not sent", code=err.code)
            raise explain_send_error(err, phone) from None
        if recovered:
            notes.append(
                f"Twilio's answer to the send was lost on the way back; the message"
                f" {message.sid} was found in Twilio's log and was not sent a second time."
            )
        rb.progress.journal(
            step,
            "sent test message",
            message_sid=message.sid,
            service_sid=service_sid,
            to=phone.masked,
            sent_as=sent_as,
            **({"recovered": True} if recovered else {}),
        )

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
    delivery = replace(delivery, notes=tuple(notes))
    rb.progress.journal(
        step,
        "test message status",
        message_sid=delivery.message_sid,
        status=delivery.status,
        error_code=delivery.error_code,
        seconds=delivery.seconds,
        fetches=delivery.fetches,
    )
    return delivery


def _journal_time(entry: dict[str, Any]) -> datetime | None:
    try:
        return datetime.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (KeyError, TypeError, ValueError):
        return None


def find_sent_message(
    rb: Runbook, client: Client, phone: PhoneNumber, service_sid: str, body: str, since: datetime
) -> Any:
    """The message a send whose answer was lost made, or None: to this number, with this body,
    through this service, dated after ``since``, and not one the journal already knows (one GET).
    """
    known = {e.get("message_sid") for e in rb.progress.journal_entries() if e.get("message_sid")}
    listed = call(
        "look for a test message whose answer was lost",
        client.messages.list,
        to=phone.e164,
        limit=20,
    )
    for message in listed:
        created = message.date_created
        if (
            message.sid not in known
            and message.body == body
            and message.messaging_service_sid == service_sid
            and (created is None or created >= since)
        ):
            return message
    return None


def _earlier_send(
    rb: Runbook, step: str, phone: PhoneNumber, service_sid: str
) -> dict[str, Any] | None:
    """The latest send of ``step`` with no recorded outcome, if it was to this number through
    this service within ``RESUME_WINDOW``: a run stopped mid-send or while following."""
    for entry in reversed(rb.progress.journal_entries(step)):
        action = entry.get("action")
        if action not in _SEND_ACTIONS and action != "test message not sent":
            continue
        if action in ("test message status", "test message not sent"):
            return None
        if entry.get("to") != phone.masked or entry.get("service_sid") != service_sid:
            return None
        when = _journal_time(entry)
        if when is None or datetime.now(timezone.utc) - when > RESUME_WINDOW:
            return None
        return entry
    return None


def _resume_earlier_send(
    rb: Runbook,
    client: Client,
    step: str,
    phone: PhoneNumber,
    service_sid: str,
    body: str,
    notes: list[str],
) -> Any:
    """The message an interrupted run of this step sent, to follow instead of sending another;
    None when there is none (then this run sends)."""
    earlier = _earlier_send(rb, step, phone, service_sid)
    if earlier is None:
        return None
    if earlier["action"] == "sent test message":
        sid = earlier["message_sid"]
        try:
            message = call("fetch the earlier test message", client.messages(sid).fetch)
        except TwilioActionError as err:
            if err.status != 404:
                raise
            message = None
        if message is None or message.to != phone.e164:  # gone, or another phone after all
            rb.progress.journal(step, "test message not sent", message_sid=sid)
            return None
    else:
        since = (_journal_time(earlier) or datetime.now(timezone.utc)) - CLOCK_SLACK
        message = find_sent_message(rb, client, phone, service_sid, body, since)
        if message is None:  # the stopped run never got its message to Twilio
            rb.progress.journal(step, "test message not sent", reason="no trace in Twilio")
            return None
        rb.progress.journal(
            step, "sent test message", message_sid=message.sid, service_sid=service_sid,
            to=phone.masked, sent_as=earlier.get("sent_as"), recovered=True,
        )  # fmt: skip
    notes.append(
        f"An earlier run of this step was stopped after sending the message {message.sid} to"
        f" {phone.masked}; this run followed that message instead of sending (and billing)"
        " another."
    )
    return message


def sender_notes(
    delivery: Delivery, phone: PhoneNumber, sender_id: str | None
) -> tuple[list[str], list[str]]:
    """(notes, warnings) about what the handset shows as the sender."""
    notes: list[str] = []
    warnings: list[str] = []
    shown = delivery.sender
    if not phone.is_singapore:
        notes.append(
            f"Messages to {phone.country} go out from the number in your sender pool"
            f" ({shown or 'unknown'}); your Sender ID is used for Singapore numbers."
        )
    elif not sender_id:
        warnings.append(
            "The service has no alphanumeric Sender ID in its pool, so Singapore phones do not see"
            " your registered name. Run 04_messaging_service with your sender_id."
        )
    elif shown == sender_id:
        notes.append(f"Your phone should show the sender as '{sender_id}', your registered ID.")
    else:
        warnings.append(
            f"Twilio sent it from '{shown}', not your registered Sender ID '{sender_id}'. Check"
            " the sender pool (Messaging > Services > Sender Pool) holds the ID exactly as"
            " registered with SGNIC, then run 04_messaging_service again."
        )
    return notes, warnings


# ---------------------------------------------------------------- the step


def delivered_earlier(
    record: dict[str, Any], phone: PhoneNumber, service_sid: str, **same: str
) -> bool:
    """Whether a step's last record is a delivered message to this phone via this service
    (and with the same ``same`` fields, e.g. the API key): then a re-run need not send again."""
    return (
        record.get("status") == "done"
        and (record.get("outcome") or record.get("delivery")) == "delivered"
        and record.get("to") == phone.masked
        and record.get("service_sid") == service_sid
        and all(record.get(name) == value for name, value in same.items())
    )


@step_action(STEP)
def send_test_message(
    rb: Runbook,
    test_phone: object = "",
    *,
    resend: bool = False,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    allow_skip: bool = True,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> MessageCheckResult:
    """Step 05: send a test SMS to ``test_phone`` through the service and follow it to the end.

    With no ``test_phone`` and ``allow_skip`` (headless), nothing is sent and the step is recorded
    as skipped. A message already delivered to this phone through this service is not sent again
    unless ``resend`` (a re-run creates nothing). In live mode each send is one real, billed SMS.
    """
    live = not rb.settings.is_sandbox
    wait_seconds = check_wait_seconds(wait_seconds)
    resend = validate_flag(resend, "resend")
    given = "" if test_phone is None else str(test_phone).strip()
    if not given and allow_skip:
        reason = "No test_phone was given, so no test message was sent."
        rb.progress.record(STEP, "skipped", reason=reason)
        return MessageCheckResult("skipped", live, reason=reason, wait_seconds=wait_seconds)
    phone = parse_phone(test_phone)  # refused here, before any Twilio request
    service_sid = saved_service_sid(rb)
    earlier = rb.progress.step(STEP)
    if not resend and delivered_earlier(earlier, phone, service_sid):
        sid = earlier["message_sid"]
        rb.progress.journal(STEP, "reused delivered test message", message_sid=sid)
        return MessageCheckResult(
            outcome="delivered",
            live=live,
            message_sid=earlier["message_sid"],
            to=phone.e164,
            service_sid=service_sid,
            sender_id=earlier.get("sender_id"),
            shown_from=earlier.get("shown_from"),
            seconds=earlier.get("seconds") or 0.0,
            wait_seconds=wait_seconds,
            notes=(
                f"A test message ({earlier['message_sid']}) was already delivered to"
                f" {phone.masked} at {earlier.get('at')}, so none was sent this time."
                " Set resend to True (or press the button in the form) to send another"
                + (", billed to your account." if live else "."),
            ),
        )
    client = rb.auth_token_client(STEP)
    try:
        if not phone.is_singapore:
            check_reachable(phone, has_phone_number=phone_branch_taken(rb, client, service_sid))
        delivery = send_and_follow(
            rb, client, STEP, phone, service_sid, body=TEST_BODY, postman_style=False,
            wait_seconds=wait_seconds, on_status=on_status, sleep=sleep, clock=clock,
        )  # fmt: skip
        sender_id = registered_sender_id(rb, client, service_sid)
        if delivery.outcome == "failed":
            raise delivery_failure(delivery, phone, sender_id)
    except RunbookError as err:
        if not isinstance(err, InputError):  # a refused input leaves the record as it was
            rb.progress.record(
                STEP, "failed", to=phone.masked, service_sid=service_sid, reason=err.message,
                error_code=getattr(err, "code", None),
            )  # fmt: skip
        raise

    notes, warnings = sender_notes(delivery, phone, sender_id)
    notes = [*delivery.notes, *notes]
    if delivery.outcome == "sent-not-confirmed":
        warnings.append(
            f"Twilio handed the message to the carrier, but no delivery receipt came within"
            f" {wait_seconds:g} s. Not every carrier confirms delivery. Check your phone: if it"
            " arrived showing your Sender ID, go on to step 06. If nothing arrives within a few"
            " minutes, the guide's likely cause is that the Sender ID belongs to another agency;"
            " check the message in the console (Monitor > Logs > Messaging)."
        )
    elif delivery.outcome == "not-sent-yet":
        warnings.append(
            f"After {wait_seconds:g} s the message was still '{delivery.status}': Twilio has not"
            " sent it yet. Check it in the console (Monitor > Logs > Messaging) in a few minutes,"
            " or run this step again with a longer wait_seconds."
        )
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
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
    rb.progress.record(
        STEP,
        "done",
        outcome=result.outcome,
        message_sid=result.message_sid,
        to=phone.masked,
        service_sid=service_sid,
        sender_id=sender_id,
        shown_from=result.shown_from,
        statuses=[u.status for u in result.statuses],
        seconds=result.seconds,
    )
    return result
