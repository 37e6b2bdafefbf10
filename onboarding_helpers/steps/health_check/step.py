"""Step 08's function: read what Postman holds, check it, and say why messages fail.

Read-only: every request is a GET, signed with the API key as Postman signs (``access``); the
Auth Token is never read. The inputs are checked before any request. The service, its Sender ID
and numbers (``reads``), the balance, and the service's messages of the last ``days`` (``log``)
are read; the checks (``checks``, ``findings``) are written to ``health-<UTC>.json`` and the run
report (``result``). A failing check is a finding, not a failed step: the step fails only when
nothing can be read, and then names the value to look at.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ...balance import DEFAULT_LOW_BALANCE, fetch_balance, low_balance_threshold
from ...errors import InputError, RunbookError, TwilioActionError
from ...journal import HandoffRecord, HealthRecord, ServiceRecord
from ...report import report_path, write_report
from ...runbook import Runbook, step_action
from ...twilio_gateway import call
from ..api_key.policy import LIST_MESSAGES
from ..registry import HANDOFF, MESSAGING_SERVICE
from ..registry import HEALTH_CHECK as STEP
from .access import (
    POLICY_REFUSED,
    REFUSED,
    RESTRICTED,
    STANDARD,
    Access,
    cannot_read,
    key_type_known,
    send_proven,
)
from .checks import Check, balance_check, key_checks, service_checks
from .findings import (
    error_checks,
    error_findings,
    foreign_countries,
    log_refused,
    rate_check,
    volume_check,
)
from .log import MessageCounts, PageRead, read_log
from .reads import ServiceSeen, read_service
from .result import HealthResult, write_health_file
from .values import PostmanValues, postman_values

if TYPE_CHECKING:
    from twilio.rest import Client

DEFAULT_DAYS = 7
MAX_DAYS = 400  # Twilio keeps the message log for 400 days


def check_days(value: object) -> float:
    """``days``: how far back to read, more than 0 and at most 400 (Twilio's log keeps that)."""
    fix = f"Give a number of days from 1 to {MAX_DAYS}, e.g. {DEFAULT_DAYS} (the default)."
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError("days", f"{value!r} is not a number of days.", fix)
    try:
        days = float(value) if not isinstance(value, str) or value.strip() else 7.0
    except ValueError:
        raise InputError("days", f"{value!r} is not a number of days.", fix) from None
    if not math.isfinite(days) or not 0 < days <= MAX_DAYS:
        raise InputError("days", f"{value!r} is outside 0 to {MAX_DAYS} days.", fix)
    return int(days) if days.is_integer() else days


@step_action(STEP.id)
def health_check(
    rb: Runbook,
    account_sid: object = "",
    api_key_sid: object = "",
    api_secret: object = "",
    messaging_service_sid: object = "",
    *,
    days: object = DEFAULT_DAYS,
    low_balance: object = DEFAULT_LOW_BALANCE,
    on_page: Callable[[PageRead], Any] | None = None,
    now: datetime | None = None,
) -> HealthResult:
    """Step 08: check a set-up in use with the four values Postman holds, read-only.

    The values typed (a set-up made by hand) win over the env file's; none is saved. ``days``:
    the window of messages read (default 7); ``low_balance``: warn below this balance;
    ``on_page``: called after each page of the message log (a progress line). Writes
    ``health-<UTC>.json`` and the run report to the state folder.
    """
    window = check_days(days)
    threshold = low_balance_threshold(low_balance)
    values = postman_values(rb, account_sid, api_key_sid, api_secret, messaging_service_sid)
    until = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    since = until - timedelta(days=window)
    try:
        client = values.client(rb, STEP.id)
        access = Access(values)
        service = read_service(access, client, values)
        balance = fetch_balance(client, values.account_sid, threshold)
        counts = access.read(
            "read the message log",
            LIST_MESSAGES,
            read_log,
            client,
            values.service_sid,
            since,
            until,
            on_page,
        )
        _key_type(rb, access, client)
    except RunbookError as err:
        if not isinstance(err, InputError):
            failed = HealthRecord(status="failed", reason=err.message, error_code=_code(err))
            rb.progress.save(STEP, failed)
        raise
    log = None if counts is REFUSED else counts
    assert log is None or isinstance(log, MessageCounts)
    sender_id = _registered_sender_id(rb, values.service_sid)
    checks = _checks(rb, access, service, log, sender_id, window, balance_check(balance))
    errors = () if log is None else tuple(error_findings(log, _held(service) or sender_id))
    if log is not None:
        checks += error_checks(list(errors), log.total)
    result = HealthResult(
        account_sid=values.account_sid,
        api_key_sid=values.api_key_sid,
        service_sid=values.service_sid,
        key_type=access.key_type,
        window_days=window,
        since=since,
        until=until,
        counts=log,
        errors=errors,
        checks=tuple(checks),
        balance=balance,
        typed=values.typed,
    )
    return _record(rb, result, values)


def _code(err: RunbookError) -> int | None:
    return err.code if isinstance(err, TwilioActionError) else None


def _key_type(rb: Runbook, access: Access, client: Client) -> None:
    """Which kind the key is: made by the runbook (the journal), else refused a read
    (Restricted), else one read a Standard key may make and the runbook's Restricted keys may
    not."""
    known = key_type_known(rb, access.values.api_key_sid)
    if known:
        access.key_type, access.how_known = known, "the runbook made it: journal"
        return
    if access.key_type:
        return
    try:
        call("list the account's phone numbers", client.incoming_phone_numbers.list, limit=1)
    except TwilioActionError as err:
        if err.code != POLICY_REFUSED or err.served_by:
            raise cannot_read(err, access.values) from None
        access.key_type = RESTRICTED
        access.how_known = "Twilio refused a read a Standard key may make (error 70051)"
        return
    access.key_type, access.how_known = STANDARD, "it may read what a Standard key may"


def _registered_sender_id(rb: Runbook, service_sid: str) -> str:
    """The Sender ID this set-up was made with (step 04, or 06's Expected Sender Name), when the
    runbook knows the service; "" for a set-up it did not make."""
    service: ServiceRecord = rb.progress.read(MESSAGING_SERVICE)
    if service.service_sid == service_sid and service.sender_id:
        return service.sender_id
    handoff: HandoffRecord = rb.progress.read(HANDOFF)
    if handoff.service_sid == service_sid:
        return handoff.expected_sender_name
    return ""


def _held(service: ServiceSeen) -> str:
    return service.sender_ids[0] if service.sender_ids else ""


def _checks(
    rb: Runbook,
    access: Access,
    service: ServiceSeen,
    log: MessageCounts | None,
    sender_id: str,
    window: float,
    balance: Check,
) -> list[Check]:
    proof = send_proven(rb, access.values.api_key_sid)
    foreign = foreign_countries(log) if log is not None else []
    checks = [*key_checks(access, proof), *service_checks(service, sender_id, foreign), balance]
    if log is None:
        return [*checks, log_refused(window)]
    checks.append(volume_check(log, window))
    rate = rate_check(log)
    return [*checks, rate] if rate else checks


def _record(rb: Runbook, result: HealthResult, values: PostmanValues) -> HealthResult:
    """The health file, the step's record and the run report with its health section."""
    generated = datetime.now(timezone.utc)
    path = write_health_file(rb, result, generated, [values.api_secret])
    report = report_path(rb.settings.state_dir, generated)
    log = result.counts
    rate = None if log is None or log.delivery_rate is None else round(log.delivery_rate, 4)
    record = HealthRecord(
        status="done",
        service_sid=result.service_sid,
        api_key_sid=result.api_key_sid,
        key_type=result.key_type,
        window_days=result.window_days,
        messages=None if log is None else log.total,
        delivered=None if log is None else log.delivered,
        delivery_rate=rate,
        problems=len(result.problems),
        worst=result.worst,
        health_file=str(path),
        report_path=str(report),
    )
    rb.progress.save(STEP, record)
    write_report(rb, report)
    return replace(result, health_file=str(path), report_path=str(report))
