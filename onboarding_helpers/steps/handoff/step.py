"""Step 06 itself: the Postman-equivalent check (or the key check at no cost), the card, the report.

Either way the step ends with the hand-off card, made for the Postman in use (``which_postman``),
and the run report. The secret never leaves the env file: the card holds only its masked form, and
the form's reveal reads the env file when clicked. With ``forget_auth_token`` the step ends by
removing the Auth Token from the env file (``auth_token``).

``wait_seconds`` is how long the check follows its message for ``delivered``. When step 05 already
followed a message to the same phone through the same service to ``sent`` or ``delivered``, the
carrier's habit is known: the check then follows its own message for ``BRIEF_FOLLOW_SECONDS`` at
most, and a message still ``sent`` is reported at once as "sent, carrier did not confirm" (Postman
counts ``sent`` as finished) instead of waiting the whole window a second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ...countries import SenderPrediction
from ...errors import InputError, RunbookError
from ...journal import HandoffRecord, PostmanCheckReused, TestMessageRecord
from ...messages import (
    DEFAULT_WAIT_SECONDS,
    Delivery,
    StatusCallback,
    StatusUpdate,
    check_wait_seconds,
    delivered_earlier,
    registered_sender_id,
)
from ...phone import US_CONFIRMATION, PhoneNumber, parse_phone
from ...recipients import check_recipient, recipient_notes
from ...report import report_path, write_report
from ...runbook import Runbook, step_action
from ...validation import validate_flag
from ...which_postman import V2, postman_in_use
from ..registry import ACCOUNT, MESSAGING_SERVICE, TEST_MESSAGE
from ..registry import HANDOFF as STEP
from .auth_token import FORGET_FLAG, TokenRemoval, keep_or_remove_note, remove_auth_token
from .card import HandoffCard, make_card
from .label import default_label, validate_label
from .postman import check_key_on_service, postman_send, postman_values, undelivered

if TYPE_CHECKING:
    from twilio.rest import Client

# How long the check follows its message when step 05 already learnt how this carrier answers.
BRIEF_FOLLOW_SECONDS = 10.0
_PROVED_BY_05 = ("delivered", "sent-not-confirmed")


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
    token_removal: TokenRemoval | None = None  # set when forget_auth_token was asked for

    @property
    def postman(self) -> str:
        return self.card.postman


@dataclass(frozen=True)
class _Follow:
    """How long to follow the check's message, and why (``brief``: step 05 already knows)."""

    seconds: float
    brief: bool = False
    earlier_outcome: str = ""


def _follow_window(rb: Runbook, phone: PhoneNumber, service_sid: str, wait: float) -> _Follow:
    """Briefly, when step 05 followed a message to this phone through this service to an end."""
    proved: TestMessageRecord = rb.progress.read(TEST_MESSAGE)
    known = (
        proved.done
        and proved.outcome in _PROVED_BY_05
        and proved.to == phone.masked
        and proved.service_sid == service_sid
    )
    if not known or wait <= BRIEF_FOLLOW_SECONDS:
        return _Follow(wait)
    return _Follow(BRIEF_FOLLOW_SECONDS, brief=True, earlier_outcome=proved.outcome)


def _passed_before(earlier: HandoffRecord, phone: PhoneNumber, card: HandoffCard) -> bool:
    """Whether these same values (key and service) already passed the check to this phone."""
    return passed_before(earlier, phone, card.api_key_sid, card.messaging_service_sid)


def passed_before(
    earlier: HandoffRecord, phone: PhoneNumber, key_sid: str, service_sid: str
) -> bool:
    """Whether this key and service already passed the check to this phone (then a re-run sends
    nothing); the change plan asks too."""
    return (
        earlier.postman_check == "passed"
        and earlier.api_key_sid == key_sid
        and delivered_earlier(earlier, phone, service_sid)
    )


def _for_card(common: HandoffRecord, card: HandoffCard) -> HandoffRecord:
    """The record with what the card says that is only known after the check (v2's Sender ID)."""
    name = (card.sender_id or "") if card.postman == V2 else ""
    return replace(common, expected_sender_name=name)


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
        _for_card(common, card),
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
        warnings=phone.warnings,
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


@dataclass(frozen=True)
class _Check:
    """What the Postman-equivalent check needs besides the runbook and its client."""

    phone: PhoneNumber
    wait_seconds: float
    us_sender_registered: bool
    on_status: StatusCallback | None
    sleep: Callable[[float], None]
    clock: Callable[[], float]


def _check_like_postman(
    rb: Runbook, client: Client, common: HandoffRecord, card: HandoffCard, check: _Check
) -> HandoffResult:
    """The Postman-equivalent check: Postman's send, followed; a failure recorded and raised.
    A foreign number nothing in the sender pool reaches is refused first (nothing sent)."""
    service_sid, phone = card.messaging_service_sid, check.phone
    follow = _follow_window(rb, phone, service_sid, check.wait_seconds)
    delivery = None
    try:
        prediction = check_recipient(
            rb, client, phone, service_sid, us_sender_registered=check.us_sender_registered
        )
        delivery = postman_send(
            rb,
            client,
            phone,
            service_sid,
            wait_seconds=follow.seconds,
            prediction=prediction,
            on_status=check.on_status,
            sleep=check.sleep,
            clock=check.clock,
        )
        sender_id = registered_sender_id(rb, client, service_sid)
        if delivery.outcome == "failed":
            raise undelivered(delivery, phone, sender_id)
    except RunbookError as err:
        _record_failure(rb, common, err, delivery)
        raise
    card = replace(card, sender_id=sender_id)
    return _passed(rb, common, card, delivery, phone, prediction, follow, check.wait_seconds)


def _delivery_warnings(delivery: Delivery, follow: _Follow, wait_seconds: float) -> list[str]:
    """What a check message that is not confirmed delivered means, and what to check."""
    if delivery.outcome == "delivered":
        return []
    postman_counts = (
        "Postman's own check passes (Twilio accepted the message), and Postman counts 'sent' as"
        " finished."
    )
    if delivery.outcome == "sent-not-confirmed" and follow.brief:
        earlier = "sent, not confirmed" if follow.earlier_outcome != "delivered" else "delivered"
        return [
            f"Sent, carrier did not confirm. Step 05's message to this phone through this service"
            f" ended {earlier}, so this check followed its own message for {follow.seconds:g} s"
            f" instead of waiting {wait_seconds:g} s again. {postman_counts} Check that this SMS"
            " reached your phone, showing your Sender ID, before relying on these values."
        ]
    if delivery.outcome == "sent-not-confirmed":
        return [
            f"Sent, carrier did not confirm within {follow.seconds:g} s. {postman_counts} Check"
            " that the SMS reached your phone, showing your Sender ID, before relying on these"
            " values."
        ]
    return [
        f"After {follow.seconds:g} s the message was still '{delivery.status}': Twilio took it"
        " (so Postman would save these values) but has not sent it yet. Check it in the console"
        " (Monitor > Logs > Messaging) in a few minutes."
    ]


def _passed(
    rb: Runbook,
    common: HandoffRecord,
    card: HandoffCard,
    delivery: Delivery,
    phone: PhoneNumber,
    prediction: SenderPrediction | None,
    follow: _Follow,
    wait_seconds: float,
) -> HandoffResult:
    """Record the check that passed; say what the handset shows and whether delivery is sure."""
    live = not rb.settings.is_sandbox
    notes, warnings = recipient_notes(delivery, phone, card.sender_id, prediction)
    warnings += _delivery_warnings(delivery, follow, wait_seconds)
    if live:
        notes.append("The check message was billed to your account, as Postman's will be.")
    passed = replace(
        _for_card(common, card),
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
    card = replace(card, sender_id=sender_id)
    reason = (
        "No test_phone was given, so the Postman-equivalent check (one SMS, sent with the API"
        " key and From = the Messaging Service SID) was not run. The API key did sign in and"
        " can see the Messaging Service, at no cost."
    )
    skipped = replace(
        _for_card(common, card),
        status="skipped",
        postman_check="not run",
        key_check="passed",
        reason=reason,
    )
    rb.progress.save(STEP, skipped)
    return HandoffResult(
        card=card,
        postman_check="not run",
        live=not rb.settings.is_sandbox,
        report_path=Path(common.report_path),
        reason=reason,
    )


def _label(rb: Runbook, postman: str, credential_label: object) -> tuple[str, list[str]]:
    """Legacy: the given label (Postman's rule) or a suggested one. V2 takes none: a given label
    is not used, and a note says so."""
    if postman == V2:
        if credential_label:
            return "", [
                "Postman v2 keeps no credential label, so credential_label was not used: the"
                " values go straight into each campaign."
            ]
        return "", []
    label = validate_label(credential_label) if credential_label else default_label(rb)
    rb.refuse_secrets("credential_label", label)
    return label, []


def _with_balance(rb: Runbook, card: HandoffCard) -> HandoffCard:
    """The card with the prepaid balance step 01 recorded, when it read one."""
    account = rb.progress.read(ACCOUNT)
    if not account.balance:
        return card
    shown = f"{account.currency} {account.balance}".strip()
    return replace(card, balance=shown, balance_low=bool(account.balance_low))


def _sender_id_known(rb: Runbook, card: HandoffCard) -> HandoffCard:
    """The card with the Sender ID step 04 recorded for this service (no request)."""
    record = rb.progress.read(MESSAGING_SERVICE)
    known = record.sender_id if record.service_sid == card.messaging_service_sid else ""
    return replace(card, sender_id=known or None)


@step_action(STEP.id)
def hand_off(
    rb: Runbook,
    test_phone: object = "",
    credential_label: str = "",
    *,
    resend: bool = False,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    us_sender_registered: bool = False,
    forget_auth_token: bool = False,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> HandoffResult:
    """Step 06: the Postman-equivalent check (when ``test_phone`` is given), the card, the report.

    In live mode the check sends one real, billed SMS, exactly as Postman's own check will. A
    check that already passed with these same values and phone is not sent again unless
    ``resend`` (a re-run creates nothing); the card and report are made afresh either way. The
    card follows the Postman step 00 recorded. ``forget_auth_token``: once the check passed,
    remove the Auth Token from the env file (on purpose: no copy kept).
    """
    wait_seconds = check_wait_seconds(wait_seconds)
    resend = validate_flag(resend, "resend")
    us_sender_registered = validate_flag(us_sender_registered, US_CONFIRMATION)
    forget = validate_flag(forget_auth_token, FORGET_FLAG)
    postman = postman_in_use(rb.progress)
    label, label_notes = _label(rb, postman, credential_label)
    given = str(test_phone).strip() if test_phone is not None else ""
    phone = parse_phone(test_phone) if given else None
    values = postman_values(rb)
    card = _with_balance(rb, make_card(label, values, postman, phone.e164 if phone else ""))
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
        postman=postman,
    )
    earlier: HandoffRecord = rb.progress.read(STEP)
    if phone is None:
        result = _check_without_phone(rb, client, common, card)
    elif not resend and _passed_before(earlier, phone, card):
        result = _reuse_passed_check(rb, earlier, common, phone, _sender_id_known(rb, card))
    else:
        check = _Check(phone, wait_seconds, us_sender_registered, on_status, sleep, clock)
        result = _check_like_postman(rb, client, common, card, check)
    removal = remove_auth_token(rb) if forget else None
    write_report(rb, path)
    notes = (*result.notes, *label_notes, keep_or_remove_note(rb))
    return replace(result, notes=notes, token_removal=removal)
