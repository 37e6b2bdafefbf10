"""Step 07's function: the inputs checked before any request, the rotation picked up where it
stands (``state``), one phase carried out (``phases``), and the keys nobody can account for
named."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from ...credentials import MESSAGING_SERVICE_SID, mask
from ...errors import InputError, RunbookError
from ...journal import RotationRecord
from ...messages import DEFAULT_WAIT_SECONDS, StatusCallback, check_wait_seconds
from ...phone import PhoneNumber, parse_phone
from ...runbook import Runbook, step_action
from ...validation import validate_flag, validate_messaging_service_sid
from ..api_key import UnsavedSecretHandler
from ..api_key.history import history
from ..api_key.keys import KeyRun
from ..api_key.leftovers import find_leftovers
from ..api_key.restore import restore_kept_secret
from ..registry import MESSAGING_SERVICE
from ..registry import ROTATE_KEY as STEP
from ..secret_key.pair import stored_pair
from .check import CheckOutcome
from .job import Job, RotationResult
from .phases import (
    begin,
    check_new_pair,
    journal_replacement,
    make_new_key,
    prove_like_postman,
    refuse_phase_two,
    revoke_replaced_key,
)
from .state import CREATING, FINISHED, WAITING, Rotation, rotation_state
from .where import new_label, old_label, postman_in_use, where_values_go


def _inputs(test_phone: object, postman_updated: object) -> tuple[PhoneNumber | None, bool]:
    updated = validate_flag(postman_updated, "postman_updated")
    given = str(test_phone).strip() if test_phone is not None else ""
    return (parse_phone(test_phone) if given else None), updated


def _service_sid(rb: Runbook) -> str:
    """Step 04's service SID; "" without one (the new key is then checked on its own)."""
    value = rb.store.get(MESSAGING_SERVICE_SID) or ""
    return validate_messaging_service_sid(value) if value else ""


@step_action(STEP.id)
def rotate_key(
    rb: Runbook,
    test_phone: object = "",
    postman_updated: bool = False,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_unsaved_secret: UnsavedSecretHandler | None = None,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RotationResult:
    """Step 07: rotate the API key without Postman ever holding a revoked one.

    Without ``postman_updated`` (phase one): a new key of the same type as the current one, its
    secret saved at once, checked, and proved the way Postman uses it (one SMS when
    ``test_phone`` is given, billed in live mode; else a fetch of the service); the old key keeps
    working. With ``postman_updated`` (phase two, once Postman uses the new key): the new pair
    checked again, then the old key revoked. A stopped run goes on where it stopped and never
    makes a second new key; a finished phase is not repeated.
    """
    wait_seconds = check_wait_seconds(wait_seconds)
    phone, updated = _inputs(test_phone, postman_updated)
    service_sid = _service_sid(rb)
    account_sid, token = rb.saved_account()
    job = Job(
        rb,
        KeyRun(rb, account_sid, token, step=STEP),
        phone,
        service_sid,
        postman_in_use(rb.progress),
        wait_seconds,
        rb.progress.read(STEP),
        on_unsaved_secret,
        on_status,
        sleep,
        clock,
    )
    try:
        restored = restore_kept_secret(rb, account_sid, history(rb, account_sid), STEP)
        if restored:
            job.notes.append(restored)
        rotation = rotation_state(rb)
        if updated:
            return _phase_two(job, rotation)
        return _phase_one(job, rotation)
    except RunbookError as err:
        if not isinstance(err, InputError):
            job.save(status="failed", reason=err.message, error_code=getattr(err, "code", None))
        raise


def _phase_one(job: Job, rotation: Rotation) -> RotationResult:
    created = False
    if not rotation.under_way:
        rotation = begin(job)
    if rotation.phase == CREATING:
        rotation = make_new_key(job, rotation)
        created = True
    elif job.record.new_key_sid != rotation.new_key_sid:  # saved, then stopped: record it now
        job.save(new_key_sid=rotation.new_key_sid)
    journal_replacement(job, rotation)
    check_new_pair(job, rotation)
    outcome = prove_like_postman(job, rotation)
    job.save(
        status="done",
        reason="",
        error_code=None,
        phase=WAITING,
        check=outcome.check,
        message_sid=outcome.message_sid,
        to=outcome.to,
    )
    return _result(job, replace(rotation, phase=WAITING), outcome, created=created)


def _phase_two(job: Job, rotation: Rotation) -> RotationResult:
    if job.record.phase == FINISHED:
        job.notes.append(
            f"This rotation finished at {job.record.at}: the old key {job.record.old_key_sid} is"
            " revoked. Nothing was done. To rotate again, run this step without postman_updated."
        )
        finished = Rotation(FINISHED, job.record.old_key_sid, job.record.new_key_sid, job.record)
        return _result(job, finished, CheckOutcome(job.record.check or "not run"))
    refuse_phase_two(rotation)
    revoke_replaced_key(job, rotation)
    done = Rotation(FINISHED, rotation.old_key_sid, rotation.new_key_sid, job.record)
    outcome = CheckOutcome(job.record.check or "not run", job.record.message_sid, job.record.to)
    return _result(job, done, outcome, revoked=True)


def _result(
    job: Job,
    rotation: Rotation,
    outcome: CheckOutcome,
    *,
    created: bool = False,
    revoked: bool = False,
) -> RotationResult:
    """The panel's content, with the keys nobody can account for (one listing)."""
    rb, run = job.rb, job.run
    found = find_leftovers(run, rotation.new_key_sid, False)
    known = history(rb, job.account_sid).known() | {rotation.new_key_sid, rotation.old_key_sid}
    others = tuple(k for k in run.keys() if k.sid not in known)
    old_keys = tuple(k for k in found.old_keys if k.sid != rotation.old_key_sid)
    notes = found.notes
    if found.old_keys and not old_keys:  # its note (the last) is this rotation's phase two
        notes = notes[:-1]
    record: RotationRecord = job.record
    sender_id = outcome.sender_id or rb.progress.read(MESSAGING_SERVICE).sender_id or None
    old = old_label(rb)
    new = new_label(old)
    return RotationResult(
        phase=rotation.phase,
        old_key_sid=rotation.old_key_sid,
        new_key_sid=rotation.new_key_sid,
        key_type=record.key_type or "standard",
        postman=job.postman,
        where=tuple(where_values_go(job.postman, old, new, sender_id)),
        old_label=old,
        new_label=new,
        account_sid=job.account_sid,
        service_sid=job.service_sid,
        secret_masked=mask(stored_pair(rb)[1]),
        env_file=str(rb.store.path),
        backup=record.backup,
        check=outcome,
        created=created,
        old_key_revoked=revoked or bool(record.old_key_revoked),
        orphans=found.orphans,
        old_keys=old_keys,
        other_keys=others,
        notes=(*job.notes, *outcome.notes, *notes),
    )
