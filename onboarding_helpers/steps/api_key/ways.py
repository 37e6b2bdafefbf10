"""The three ways step 02 ends with a key whose secret the env file holds: reuse the saved pair or
create a key, replace the saved key, or take a key made in the console.

Every pair is checked with Twilio before it is reported as good, except a key just created (its
secret comes straight from Twilio; step 03 checks the pair).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import StepBlocked, TwilioActionError
from ...journal import ConsoleKeyRecorded, KeyGone, KeyReplaced, KeyReused
from ..registry import API_KEY as STEP
from ..secret_key.pair import is_auth_failure, stored_pair, verify_pair
from .create import create_key
from .history import known_name
from .keys import KeyInfo, KeyRun
from .rescue import UnsavedSecretHandler


@dataclass(frozen=True)
class ApiKeyResult:
    key_sid: str
    friendly_name: str
    how: str  # "created", "reused", "console" or "replaced"
    secret_saved: bool
    verified: bool  # False after a fresh create: step 03 checks the pair
    env_file: str
    keys_listed: bool = False
    existing_keys: tuple[KeyInfo, ...] = ()  # the account's keys before this run created one
    orphans: tuple[KeyInfo, ...] = ()  # keys nobody holds a secret for, still in Twilio
    old_keys: tuple[KeyInfo, ...] = ()  # keys replaced by replace_key, still in Twilio
    revoked: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _result(run: KeyRun, key: KeyInfo, how: str, verified: bool, **more: Any) -> ApiKeyResult:
    return ApiKeyResult(
        key_sid=key.sid,
        friendly_name=key.friendly_name,
        how=how,
        secret_saved=True,
        verified=verified,
        env_file=str(run.rb.store.path),
        keys_listed=run.listing is not None,
        **more,
    )


def use_console_key(run: KeyRun, key_sid: str, secret: str) -> ApiKeyResult:
    """A pair made in the console: checked with Twilio, then saved (nothing saved if refused)."""
    rb = run.rb
    stored_sid, stored_secret = stored_pair(rb)
    try:
        verify_pair(rb, run.account_sid, key_sid, secret, STEP.id)
    except TwilioActionError as err:
        if is_auth_failure(err):
            err.advice += (
                " Copy both again from where you saved them. If the secret is lost, choose"
                " 'create' to make a new key. Nothing was saved."
            )
        raise
    same = key_sid == stored_sid and secret == stored_secret
    if not same:
        rb.store.save({API_KEY_SID: key_sid, API_KEY_SECRET: secret})
        if stored_sid and stored_sid != key_sid:
            run.notes.append(f"The env file held the key {stored_sid}; it now holds {key_sid}.")
    event = KeyReused if same else ConsoleKeyRecorded
    rb.progress.log(STEP, event(key_sid=key_sid, account_sid=run.account_sid))
    run.notes.append(
        "The runbook cannot read a key's type through the API: make sure this key is Standard"
        " (a Main key can do everything your Auth Token can, which Postman does not need)."
    )
    key = KeyInfo(key_sid, known_name(rb, key_sid))
    return _result(run, key, "reused" if same else "console", True)


def reuse_or_create(
    run: KeyRun, name: str, on_unsaved_secret: UnsavedSecretHandler | None
) -> ApiKeyResult:
    """The saved pair if Twilio accepts it; else a new key called ``name``, saved at once."""
    reused = _reuse_saved_pair(run)
    if reused is not None:
        return reused
    existing = tuple(run.keys())
    namesakes = [k.sid for k in existing if k.friendly_name == name]
    if namesakes:
        run.notes.append(
            f"A key called '{name}' already exists ({', '.join(namesakes)}). Twilio never shows"
            " an existing key's secret again, so the runbook made a new one."
        )
    rb = run.rb
    key = create_key(rb, run.client, run.account_sid, name, on_unsaved_secret, listing=existing)
    run.stale = True  # keys may have appeared since (a lost answer): list again if needed
    return _result(run, key, "created", False, existing_keys=existing)


def _reuse_saved_pair(run: KeyRun) -> ApiKeyResult | None:
    """The saved pair, checked (one request); None when a new key is needed, with a note why.

    A key still in Twilio whose saved secret it refuses blocks the step: making a new key then
    would hide a mistake the officer can fix.
    """
    rb = run.rb
    stored_sid, stored_secret = stored_pair(rb)
    if stored_sid and not stored_secret:
        run.notes.append(
            f"The env file names the key {stored_sid} but holds no secret for it, so a new key"
            " was created."
        )
    if not (stored_sid and stored_secret):
        return None
    try:
        verify_pair(rb, run.account_sid, stored_sid, stored_secret, STEP.id)
    except TwilioActionError as err:
        if not is_auth_failure(err):
            raise
        if stored_sid in {k.sid for k in run.keys()}:
            raise StepBlocked(
                f"API secret: the env file holds the key {stored_sid}, which still exists in"
                " Twilio, but Twilio does not accept the secret saved with it (error 20003):"
                " the secret in the env file is not this key's. Nothing was created.",
                advice=f"If you have the right secret, put it in {rb.store.path} as"
                f" {API_KEY_SECRET}=... and run again. If it is lost, run this step with"
                " replace_key True (form: 'Replace the key') to make a new key; the old one"
                " is revoked only when you also set revoke_old_key True.",
                field="API secret",
            ) from None
        rb.progress.log(STEP, KeyGone(key_sid=stored_sid, account_sid=run.account_sid))
        run.notes.append(
            f"The saved key {stored_sid} is no longer in the account (deleted in the"
            " console?), so a new key was created."
        )
        return None
    rb.progress.log(STEP, KeyReused(key_sid=stored_sid, account_sid=run.account_sid))
    return _result(run, KeyInfo(stored_sid, known_name(rb, stored_sid)), "reused", True)


def replace_saved_key(
    run: KeyRun, name: str, on_unsaved_secret: UnsavedSecretHandler | None
) -> ApiKeyResult:
    """A new key although one is saved (lost or leaked secret), checked before it counts; the
    old key is left for ``find_leftovers`` to report or revoke."""
    rb = run.rb
    old_sid = stored_pair(rb)[0] or rb.progress.read(STEP).key_sid or None
    existing = tuple(run.keys())
    key = create_key(
        rb, run.client, run.account_sid, name, on_unsaved_secret, listing=existing, replaces=old_sid
    )
    run.stale = True  # keys may have appeared since (a lost answer): list again if needed
    try:
        verify_pair(rb, run.account_sid, key.sid, stored_pair(rb)[1] or "", STEP.id)
    except TwilioActionError as err:
        err.message = (
            f"The new key {key.sid} was created and its secret IS saved in {rb.store.path}, but"
            f" checking it failed. {err.message}"
        )
        err.advice = (
            "Nothing was revoked. Wait a minute, then run this step again WITHOUT replace_key:"
            " it checks the saved key again and creates nothing. " + err.advice
        )
        raise
    if old_sid and old_sid != key.sid:
        rb.progress.log(
            STEP,
            KeyReplaced(old_key_sid=old_sid, new_key_sid=key.sid, account_sid=run.account_sid),
        )
    return _result(run, key, "replaced", True, existing_keys=existing)
