"""Step 03: where the API secret is kept, and proof that the key SID + secret pair works.

One request: the pair signs in as Postman does (``pair.verify_pair``), with a call its type allows
(a Restricted key's policy holds only what Postman needs). Only when Twilio accepts it is the
step done. The env file's permissions are put back to 0600 if they were loosened, and
a copy can go to the OS keyring where one is usable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...credentials import mask
from ...errors import InputError, StepBlocked, TwilioActionError
from ...journal import KeyVerified, SecretCopiedToKeyring, SecretRecord
from ...runbook import Runbook, step_action
from ...validation import validate_flag
from ..registry import API_KEY, ROTATE_KEY
from ..registry import SECRET_KEY as STEP
from .os_keyring import KEYRING_SERVICE, KeyringStatus, keyring_keep, keyring_status, keyring_user
from .pair import (
    is_auth_failure,
    saved_account_sid,
    saved_key_type,
    stored_pair,
    verify_pair,
)


@dataclass(frozen=True)
class SecretResult:
    key_sid: str
    masked_secret: str
    env_file: str
    mode: str  # "0o600"
    verified: bool
    keyring: KeyringStatus
    copied_to_keyring: bool = False
    notes: tuple[str, ...] = ()
    key_type: str = "standard"


@step_action(STEP.id)
def check_secret(rb: Runbook, copy_to_keyring: bool = False) -> SecretResult:
    """Step 03: where the secret is kept, and proof that the key SID + secret pair works.

    Fixes the env file's permissions to 0600 if they were loosened. ``copy_to_keyring`` also
    keeps a copy in the OS keyring (only where one is usable); the env file stays the store the
    runbook reads.
    """
    copy_to_keyring = validate_flag(copy_to_keyring, "copy_to_keyring")
    ring = keyring_status()
    if copy_to_keyring and not ring.available:
        raise InputError(
            "copy_to_keyring",
            f"cannot be done: {ring.reason}.",
            "Leave it False: the env file (mode 0600) is the store the runbook uses.",
        )
    account_sid = saved_account_sid(rb)
    key_sid, secret = _saved_pair(rb)
    notes = _tighten_mode(rb)
    key_type = saved_key_type(rb, key_sid)
    _prove(rb, account_sid, key_sid, secret, key_type)
    rb.progress.log(STEP, KeyVerified(key_sid=key_sid, account_sid=account_sid))
    if copy_to_keyring:
        notes.append(_copy_to_keyring(rb, account_sid, key_sid, secret, ring))
    rb.progress.save(
        STEP,
        SecretRecord(
            status="done",
            key_sid=key_sid,
            verified=True,
            env_file=str(rb.store.path),
            mode="0o600",
            keyring=ring.backend if copy_to_keyring else "",
        ),
    )
    return SecretResult(
        key_sid=key_sid,
        masked_secret=mask(secret),
        env_file=str(rb.store.path),
        mode=oct(rb.store.mode() or 0),
        verified=True,
        keyring=ring,
        copied_to_keyring=copy_to_keyring,
        notes=tuple(notes),
        key_type=key_type,
    )


def _saved_pair(rb: Runbook) -> tuple[str, str]:
    """The pair step 02 saved; StepBlocked, with 02's own advice, when there is none."""
    key_sid, secret = stored_pair(rb)
    if key_sid and secret:
        return key_sid, secret
    unsaved = rb.progress.read(API_KEY).secret_saved is False
    raise StepBlocked(
        "The env file holds no API key secret" + (f" for the key {key_sid}." if key_sid else "."),
        advice=f"Step {API_KEY.number} reported that the secret could not be saved; follow its"
        f" advice, then run {API_KEY.number} again."
        if unsaved
        else f"Run {API_KEY.id} first. If the key was made and its secret is lost, run"
        f" {ROTATE_KEY.id}: it makes a new key and saves its secret (with no working pair it"
        " cannot check the old key first, and says so).",
        field="API secret",
    )


def _tighten_mode(rb: Runbook) -> list[str]:
    """Put the env file back to 0600 (only its owner reads it); a note when it was looser."""
    mode = rb.store.mode()
    if mode == 0o600:
        return []
    os.chmod(rb.store.path, 0o600)
    return [f"The env file's permissions were {oct(mode or 0)}; they are now 0o600."]


def _prove(rb: Runbook, account_sid: str, key_sid: str, secret: str, key_type: str) -> None:
    """Sign in with the pair; a refusal is recorded as failed and says what to do."""
    try:
        verify_pair(rb, account_sid, key_sid, secret, STEP.id, key_type)
    except TwilioActionError as err:
        if is_auth_failure(err):
            err.message = (
                f"The API key {key_sid} and the secret saved in {rb.store.path} were NOT accepted"
                " by Twilio (error 20003): they are saved, but they do not work."
            )
            err.advice = (
                f"If step {API_KEY.number} created the key a moment ago, wait a minute and run"
                " this step again: a new key can take a moment to work. Otherwise the secret in"
                " the env file is not this key's (edited by hand?) or the key was deleted in the"
                " console: put the right secret in the env file, or, if it is lost, run"
                f" {ROTATE_KEY.id} to make a new key in its place."
            )
        rb.progress.save(
            STEP, SecretRecord(status="failed", key_sid=key_sid, verified=False, reason=err.message)
        )
        raise


def _copy_to_keyring(
    rb: Runbook, account_sid: str, key_sid: str, secret: str, ring: KeyringStatus
) -> str:
    """Keep a second copy in the OS keyring; returns the note saying where."""
    if not keyring_keep(account_sid, key_sid, secret):
        raise StepBlocked(
            "The OS keyring did not keep the secret (read back differently).",
            advice="The env file still holds it; leave copy_to_keyring False.",
            field="copy_to_keyring",
        )
    rb.progress.log(STEP, SecretCopiedToKeyring(key_sid=key_sid, backend=ring.backend))
    user = keyring_user(account_sid, key_sid)
    return f"A copy is in the OS keyring (service '{KEYRING_SERVICE}', user '{user}')."
