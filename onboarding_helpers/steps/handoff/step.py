"""Step 06 itself: the Postman-equivalent check (or the key check at no cost), the card, the report.

Either way the step ends with the hand-off card and the run report. The secret never leaves the env
file: the card holds only its masked form, and the form's reveal reads the env file when clicked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InputError, RunbookError
from ...journal import HandoffRecord, PostmanCheckReused
from ...messages import (
    DEFAULT_WAIT_SECONDS,
    Delivery,
    StatusCallback,
    StatusUpdate,
    check_wait_seconds,
    delivered_earlier,
    registered_sender_id,
    sender_notes,
)
from ...phone import PhoneNumber, parse_phone
from ...report import report_path, write_report
from ...runbook import Runbook, step_action
from ...validation import validate_flag
from ..registry import HANDOFF as STEP
from ..registry import MESSAGING_SERVICE
from .card import HandoffCard, make_card
from .label import default_label, validate_label
from .postman import check_key_on_service, postman_send, postman_values, undelivered

if TYPE_CHECKING:
    from twilio.rest import Client


@dataclass(frozen=True)
class HandoffResult:
    card: HandoffCard
    postman_check: str  # "passed" | "not run"
    live: bool
    report_path: Path
    message_sid: str | None = None
    to: str | None = None
    delivery: str | None = None  # delivered | sent-not-confirmed | not-sent-yet
    statuses: tuple[StatusUpdate, ...] = ()
    reason: str = ""  # why the check was not run
    notes: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _passed_before(earlier: HandoffRecord, phone: PhoneNumber, card: HandoffCard) -> bool:
    """Whether these same values (key and service) already passed the check to this phone."""
    return (
        earlier.postman_check == "passed"
        and earlier.api_key_sid == card.api_key_sid
        and delivered_earlier(earlier, phone, card.messaging_service_sid)
    )


def _reuse_passed_check(
    rb: Runbook,
    earlier: HandoffRecord,
    common: HandoffRecord,
    phone: PhoneNumber,
    card: HandoffCard,
) -> HandoffResult:
    """A re-run after a passed check: it stands, and nothing is sent (or billed) again."""
    sid = earlier.postman_message_sid
    rb.progress.log(STEP, PostmanCheckReused(message_sid=sid))
    passed = replace(
        common,
        status="done",
        postman_check="passed",
        delivery="delivered",
        to=phone.masked,
        postman_message_sid=sid,
        sent_as="From",
    )
    rb.progress.save(STEP, passed)
    live = not rb.settings.is_sandbox
    return HandoffResult(
        card=card,
        postman_check="passed",
        live=live,
        report_path=Path(common.report_path),
        message_sid=sid,
        to=phone.e164,
        delivery="delivered",
        notes=(
            f"These same values already passed the Postman-equivalent check at {earlier.at}"
            f" (message {sid}), so no message was sent this time. Set resend to True to check"
            " again" + (", billed to your account." if live else "."),
        ),
    )


def _record_failure(
    rb: Runbook, common: HandoffRecord, err: RunbookError, delivery: Delivery | None
) -> None:
    """Record a failed check and write the report, naming it in the advice. A refused input
    leaves the record as it was."""
    if isinstance(err, InputError):
        return
    failed = replace(
        common,
        status="failed",
        postman_check="failed",
        reason=err.message,
        error_code=getattr(err, "code", None),
        postman_message_sid=delivery.message_sid if delivery else "",
    )
    rb.progress.save(STEP, failed)
    write_report(rb, Path(common.report_path))
    err.advice = f"{err.advice} The run report is {common.report_path}.".strip()


def _check_like_postman(
    rb: Runbook,
    client: Client,
    common: HandoffRecord,
    card: HandoffCard,
    phone: PhoneNumber,
    *,
    wait_seconds: float,
    on_status: StatusCallback | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> HandoffResult:
    """The Postman-equivalent check: Postman's send, followed; a failure recorded and raised."""
    service_sid = card.messaging_service_sid
    delivery = None
    try:
        delivery = postman_send(
            rb,
            client,
            phone,
            service_sid,
            wait_seconds=wait_seconds,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
        )
        sender_id = registered_sender_id(rb, client, service_sid)
        if delivery.outcome == "failed":
            raise undelivered(delivery, phone, sender_id)
    except RunbookError as err:
        _record_failure(rb, common, err, delivery)
        raise
    return _passed(rb, common, replace(card, sender_id=sender_id), delivery, phone, wait_seconds)


def _passed(
    rb: Runbook,
    common: HandoffRecord,
    card: HandoffCard,
    delivery: Delivery,
    phone: PhoneNumber,
    wait_seconds: float,
) -> HandoffResult:
    """Record the check that passed; say what the handset shows and whether delivery is sure."""
    live = not rb.settings.is_sandbox
    notes, warnings = sender_notes(delivery, phone, card.sender_id)
    if delivery.outcome != "delivered":
        warnings.append(
            f"Postman's check will pass (Twilio accepted the message), but no delivery receipt"
            f" came within {wait_seconds:g} s (last status: {delivery.status}). Check that the"
            " SMS reached your phone before relying on these values."
        )
    if live:
        notes.append("The check message was billed to your account, as Postman's will be.")
    passed = replace(
        common,
        status="done",
        postman_check="passed",
        postman_message_sid=delivery.message_sid,
        delivery=delivery.outcome,
        to=phone.masked,
        sent_as="From",
    )
    rb.progress.save(STEP, passed)
    return HandoffResult(
        card=card,
        postman_check="passed",
        live=live,
        report_path=Path(common.report_path),
        message_sid=delivery.message_sid,
        to=phone.e164,
        delivery=delivery.outcome,
        statuses=delivery.statuses,
        notes=(*delivery.notes, *notes),
        warnings=tuple(warnings),
    )


def _check_without_phone(
    rb: Runbook, client: Client, common: HandoffRecord, card: HandoffCard
) -> HandoffResult:
    """No phone, so no SMS: the key check at no cost, and the step recorded as skipped."""
    service_sid = card.messaging_service_sid
    try:
        check_key_on_service(rb, client, service_sid, card.api_key_sid)
        sender_id = registered_sender_id(rb, client, service_sid)
    except RunbookError as err:
        _record_failure(rb, common, err, None)
        raise
    reason = (
        "No test_phone was given, so the Postman-equivalent check (one SMS, sent with the API"
        " key and From = the Messaging Service SID) was not run. The API key did sign in and"
        " can see the Messaging Service, at no cost."
    )
    skipped = replace(
        common, status="skipped", postman_check="not run", key_check="passed", reason=reason
    )
    rb.progress.save(STEP, skipped)
    return HandoffResult(
        card=replace(card, sender_id=sender_id),
        postman_check="not run",
        live=not rb.settings.is_sandbox,
        report_path=Path(common.report_path),
        reason=reason,
    )


@step_action(STEP.id)
def hand_off(
    rb: Runbook,
    test_phone: object = "",
    credential_label: str = "",
    *,
    resend: bool = False,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> HandoffResult:
    """Step 06: the Postman-equivalent check (when ``test_phone`` is given), the card, the report.

    In live mode the check sends one real, billed SMS, exactly as Postman's own check will. A
    check that already passed with these same values and phone is not sent again unless
    ``resend`` (a re-run creates nothing); the card and report are made afresh either way.
    """
    wait_seconds = check_wait_seconds(wait_seconds)
    resend = validate_flag(resend, "resend")
    label = validate_label(credential_label) if credential_label else default_label(rb)
    rb.refuse_secrets("credential_label", label)
    given = str(test_phone).strip() if test_phone is not None else ""
    phone = parse_phone(test_phone) if given else None
    card = make_card(label, postman_values(rb))
    # Postman's client: API key + secret, scoped to the account. Never the Auth Token here.
    client = rb.api_key_client(STEP.id)
    path = report_path(rb.settings.state_dir)
    common = HandoffRecord(
        credential_label=label,
        account_sid=card.account_sid,
        api_key_sid=card.api_key_sid,
        service_sid=card.messaging_service_sid,
        auth="api_key",
        report_path=str(path),
    )
    earlier: HandoffRecord = rb.progress.read(STEP)
    if phone is None:
        result = _check_without_phone(rb, client, common, card)
    elif not resend and _passed_before(earlier, phone, card):
        sender_id = rb.progress.read(MESSAGING_SERVICE).sender_id or None
        result = _reuse_passed_check(rb, earlier, common, phone, replace(card, sender_id=sender_id))
    else:
        result = _check_like_postman(
            rb,
            client,
            common,
            card,
            phone,
            wait_seconds=wait_seconds,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
        )
    write_report(rb, path)
    return result
