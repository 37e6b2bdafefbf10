"""The two phases of a rotation, in the order that keeps Postman sending.

Phase one: check the current pair (when it works), keep the old key's SID in the record, make a
new key of the same type and save its secret at once (the store keeps the old pair in a dated
backup), check the new pair, and prove it the way Postman uses it. The old key keeps working.
Phase two, once the officer says Postman uses the new key: check the new pair again, then revoke
the old key. Each phase is recorded as it is reached, so a stopped run goes on from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import StepBlocked, TwilioActionError
from ...journal import (
    CredentialsBackedUp,
    KeyReplaced,
    KeyVerified,
    PostmanUpdateConfirmed,
    RotationRecord,
)
from ...runbook import Runbook
from ..api_key import create_key, default_key_name, validate_key_name
from ..api_key.keys import key_type_in_twilio, made_by_runbook, revoke
from ..registry import API_KEY, MESSAGING_SERVICE
from ..registry import ROTATE_KEY as STEP
from ..secret_key.pair import is_auth_failure, saved_key_type, stored_pair, verify_pair
from .check import CheckOutcome, check_key_on_service, check_like_postman
from .job import Job
from .state import CREATING, FINISHED, NEW_KEY_SAVED, WAITING, Rotation

if TYPE_CHECKING:
    from twilio.rest import Client

ROTATED_SUFFIX = " (rotated)"


def rotation_key_name(rb: Runbook) -> str:
    """02's name for a key, marked as a rotation's, within Twilio's 64 characters."""
    base = default_key_name(rb)[: 64 - len(ROTATED_SUFFIX)].rstrip()
    return validate_key_name(base + ROTATED_SUFFIX)


def old_key_type(rb: Runbook, client: Client, old_sid: str) -> str:
    """The type of the key being replaced, so the new key is of the same type: as the runbook
    made it (the journal), else as Twilio holds it (Key resource v1: a console-made Restricted
    key is replaced by a Restricted key, never a broader Standard one). Reads only."""
    if made_by_runbook(rb, old_sid):
        return saved_key_type(rb, old_sid)
    return key_type_in_twilio(client, old_sid) or saved_key_type(rb, old_sid)


def begin(job: Job) -> Rotation:
    """Check the current pair, then record the old key's SID before anything is created."""
    rb = job.rb
    old_sid, old_secret = stored_pair(rb)
    if not old_sid:
        raise StepBlocked(
            "The env file holds no API key to rotate.",
            advice=f"Run {API_KEY.id} first: it makes the key Postman uses.",
            field="API key SID",
        )
    key_type = old_key_type(rb, job.run.client, old_sid)
    if not old_secret:
        job.notes.append(
            f"The env file names the key {old_sid} but holds no secret for it, so the new key is"
            " made without first checking the old one."
        )
    else:
        try:
            verify_pair(rb, job.account_sid, old_sid, old_secret, STEP.id, key_type)
        except TwilioActionError as err:
            if not is_auth_failure(err):
                raise
            job.notes.append(
                f"Twilio does not accept the saved pair of the key {old_sid} (error 20003: the"
                " secret is lost or wrong), so the new key is made without a working old one"
                " to check first. Postman cannot be using that pair either."
            )
        else:
            job.notes.append(f"The current key {old_sid} works; it keeps working until phase two.")
    job.save(
        status="failed",
        reason="stopped while the new key was being made: run this step again",
        phase=CREATING,
        old_key_sid=old_sid,
        new_key_sid="",
        key_type=key_type,
        postman=job.postman,
        check="",
        message_sid="",
        to="",
        backup="",
        old_key_revoked=None,
    )
    return Rotation(CREATING, old_sid, "", job.record)


def make_new_key(job: Job, rotation: Rotation) -> Rotation:
    """Create the new key (its intent journalled first) and save its secret in the same call."""
    run = job.run
    key = create_key(
        job.rb,
        run.client,
        job.account_sid,
        rotation_key_name(job.rb),
        job.on_unsaved_secret,
        listing=run.keys(),
        replaces=rotation.old_key_sid,
        key_type=job.record.key_type or "standard",
        step=STEP,
    )
    run.stale = True  # a lost answer may have made a key unseen: the report lists them again
    if key.backup:
        backed_up = CredentialsBackedUp(backup=key.backup, names=[API_KEY_SID, API_KEY_SECRET])
        job.rb.progress.log(STEP, backed_up)
    job.save(phase=NEW_KEY_SAVED, new_key_sid=key.sid, backup=key.backup, reason="")
    return Rotation(NEW_KEY_SAVED, rotation.old_key_sid, key.sid, job.record)


def journal_replacement(job: Job, rotation: Rotation) -> None:
    """``KeyReplaced`` for this rotation, once: it tells step 02 the old key is not an orphan."""
    done = job.rb.progress.events(KeyReplaced, step=STEP)
    if not any(
        e.old_key_sid == rotation.old_key_sid and e.new_key_sid == rotation.new_key_sid
        for e in done
    ):
        replaced = KeyReplaced(
            old_key_sid=rotation.old_key_sid,
            new_key_sid=rotation.new_key_sid,
            account_sid=job.account_sid,
        )
        job.rb.progress.log(STEP, replaced)


def check_new_pair(job: Job, rotation: Rotation) -> None:
    """Sign in with the new pair; a refusal leaves everything as it is and says so."""
    rb = job.rb
    secret = stored_pair(rb)[1] or ""
    key_type = job.record.key_type or "standard"
    try:
        verify_pair(rb, job.account_sid, rotation.new_key_sid, secret, STEP.id, key_type)
    except TwilioActionError as err:
        err.message = (
            f"The new key {rotation.new_key_sid} is saved in {rb.store.path}, but checking it"
            f" failed. {err.message}"
        )
        err.advice = (
            f"Nothing was revoked: the old key {rotation.old_key_sid} still works. Wait a"
            " minute (a new key can take a moment to work), then run this step again: it checks"
            f" the same new key and creates nothing. {err.advice}"
        ).strip()
        raise
    rb.progress.log(STEP, KeyVerified(key_sid=rotation.new_key_sid, account_sid=job.account_sid))


def prove_like_postman(job: Job, rotation: Rotation) -> CheckOutcome:
    """The Postman-equivalent check with the new pair (or the key check at no cost); a check
    that already passed for this new key stands and nothing is sent again."""
    earlier: RotationRecord = job.record
    if earlier.check == "passed" and (job.phone is None or job.phone.masked == earlier.to):
        return CheckOutcome(
            "passed",
            earlier.message_sid,
            earlier.to,
            "stands",
            notes=(
                f"The new key already passed the Postman-equivalent check (message"
                f" {earlier.message_sid}); nothing was sent again.",
            ),
        )
    if not job.service_sid:
        unused = " test_phone was not used: no SMS was sent." if job.phone else ""
        return CheckOutcome(
            "not run",
            notes=(
                f"No Messaging Service SID is saved yet ({MESSAGING_SERVICE.id}), so only the key"
                " itself was checked: the Postman-equivalent check sends through the service."
                + unused,
            ),
        )
    rb = job.rb
    secret = stored_pair(rb)[1] or ""
    client = rb.client_with_key(job.account_sid, rotation.new_key_sid, secret, STEP.id)
    if job.phone is None:
        check_key_on_service(rb, client, job.service_sid, rotation.new_key_sid)
        return CheckOutcome(
            "key check passed",
            notes=(
                "No test_phone was given, so no SMS was sent: the new key fetched the Messaging"
                " Service, which proves key, secret, account and service belong together.",
            ),
        )
    return check_like_postman(
        rb,
        client,
        job.phone,
        job.service_sid,
        wait_seconds=job.wait_seconds,
        on_status=job.on_status,
        sleep=job.sleep,
        clock=job.clock,
    )


def revoke_replaced_key(job: Job, rotation: Rotation) -> None:
    """Phase two: the officer's word journalled, the new pair checked again, the old key revoked."""
    rb = job.rb
    confirmed = PostmanUpdateConfirmed(
        new_key_sid=rotation.new_key_sid, old_key_sid=rotation.old_key_sid, postman=job.postman
    )
    rb.progress.log(STEP, confirmed)
    check_new_pair(job, rotation)
    reason = f"rotated: Postman uses {rotation.new_key_sid}"
    revoke(rb, job.run.client, rotation.old_key_sid, reason, STEP)
    job.save(status="done", phase=FINISHED, old_key_revoked=True, reason="")


def refuse_phase_two(rotation: Rotation) -> None:
    """``postman_updated`` with no rotation waiting for Postman: nothing may be revoked."""
    if rotation.phase == WAITING:
        return
    if rotation.phase in (CREATING, NEW_KEY_SAVED):
        what = (
            f"The new key {rotation.new_key_sid or '(not made yet)'} has not passed phase one's"
            " checks, so Postman cannot be using it yet."
        )
    else:
        what = "No rotation is waiting for Postman, so there is no old key to revoke."
    raise StepBlocked(
        f"postman_updated: {what} Nothing was revoked.",
        advice="Run this step without postman_updated first (form: leave the box unticked): it"
        " makes and checks the new key and shows where it goes in Postman. Tick the box only"
        " once Postman uses it.",
        field="postman_updated",
    )
