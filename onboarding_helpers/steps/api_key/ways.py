"""The two ways step 02 ends with a key whose secret the env file holds: reuse the saved pair or
create a key, or take a key made in the console. (Replacing a saved key is step 07's.)

Every pair is checked with Twilio before it is reported as good, except a key just created (its
secret comes straight from Twilio; step 03 checks the pair).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import StepBlocked, TwilioActionError
from ...journal import ConsoleKeyRecorded, KeyGone, KeyReused
from ..registry import API_KEY as STEP
from ..registry import ROTATE_KEY
from ..secret_key.pair import is_auth_failure, saved_key_type, stored_pair, verify_pair
from .create import create_key
from .history import known_name
from .keys import KeyInfo, KeyRun
from .policy import STANDARD
from .rescue import UnsavedSecretHandler


@dataclass(frozen=True)
class ApiKeyResult:
    key_sid: str
    friendly_name: str
    how: str  # "created", "reused" or "console"
    secret_saved: bool
    verified: bool  # False after a fresh create: step 03 checks the pair
    env_file: str
    keys_listed: bool = False
    existing_keys: tuple[KeyInfo, ...] = ()  # the account's keys before this run created one
    orphans: tuple[KeyInfo, ...] = ()  # keys nobody holds a secret for, still in Twilio
    old_keys: tuple[KeyInfo, ...] = ()  # keys step 07 replaced, still in Twilio
    revoked: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    key_type: str = STANDARD  # "standard" or "restricted"


def _result(
    run: KeyRun, key: KeyInfo, how: str, verified: bool, key_type: str, **more: Any
) -> ApiKeyResult:
    return ApiKeyResult(
        key_type=key_type,
        key_sid=key.sid,
        friendly_name=key.friendly_name,
        how=how,
        secret_saved=True,
        verified=verified,
        env_file=str(run.rb.store.path),
        keys_listed=run.listing is not None,
        **more,
    )


def use_console_key(run: KeyRun, key_sid: str, secret: str, key_type: str) -> ApiKeyResult:
    """A pair made in the console: checked with Twilio (with a call ``key_type`` allows), then
    saved (nothing saved if refused)."""
    rb = run.rb
    stored_sid, stored_secret = stored_pair(rb)
    try:
        verify_pair(rb, run.account_sid, key_sid, secret, STEP.id, key_type)
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
        "The runbook cannot tell a Main key from a Standard one through the API: make sure this"
        " key is Standard or Restricted (a Main key can do everything your Auth Token can, which"
        " Postman does not need)."
    )
    key = KeyInfo(key_sid, known_name(rb, key_sid))
    return _result(run, key, "reused" if same else "console", True, key_type)


def reuse_or_create(
    run: KeyRun, name: str, key_type: str, on_unsaved_secret: UnsavedSecretHandler | None
) -> ApiKeyResult:
    """The saved pair if Twilio accepts it; else a new key of ``key_type`` called ``name``, saved
    at once."""
    reused = _reuse_saved_pair(run)
    if reused is not None:
        if reused.key_type != key_type:
            run.notes.append(
                f"api_key_type {key_type} applies when a key is made; the saved"
                f" {reused.key_type.capitalize()} key works, so it was kept."
            )
        return reused
    existing = tuple(run.keys())
    namesakes = [k.sid for k in existing if k.friendly_name == name]
    if namesakes:
        run.notes.append(
            f"A key called '{name}' already exists ({', '.join(namesakes)}). Twilio never shows"
            " an existing key's secret again, so the runbook made a new one."
        )
    rb = run.rb
    key = create_key(
        rb,
        run.client,
        run.account_sid,
        name,
        on_unsaved_secret,
        listing=existing,
        key_type=key_type,
    )
    run.stale = True  # keys may have appeared since (a lost answer): list again if needed
    return _result(run, key, "created", False, key_type, existing_keys=existing)


@dataclass(frozen=True)
class SavedPair:
    """What the env file's pair is worth: ``verdict`` "none" (no key saved), "no secret" (a key
    SID without its secret), "works" (Twilio accepts it) or "gone" (Twilio refuses it and the
    key is no longer in the account)."""

    key_sid: str = ""
    verdict: str = "none"
    key_type: str = STANDARD


def check_saved_pair(run: KeyRun) -> SavedPair:
    """The env file's pair, checked with Twilio (one request; the keys listed only when Twilio
    refuses it). Changes nothing, so the change plan asks it too.

    A key still in Twilio whose saved secret it refuses blocks the step: making a new key then
    would hide a mistake the officer can fix.
    """
    rb = run.rb
    stored_sid, stored_secret = stored_pair(rb)
    if not stored_sid:
        return SavedPair()
    if not stored_secret:
        return SavedPair(stored_sid, "no secret")
    key_type = saved_key_type(rb, stored_sid)
    try:
        verify_pair(rb, run.account_sid, stored_sid, stored_secret, STEP.id, key_type)
    except TwilioActionError as err:
        if not is_auth_failure(err):
            raise
        if stored_sid in {k.sid for k in run.keys()}:
            raise StepBlocked(
                f"API secret: the env file holds the key {stored_sid}, which still exists in"
                " Twilio, but Twilio does not accept the secret saved with it (error 20003):"
                " the secret in the env file is not this key's. Nothing was created.",
                advice=f"If you have the right secret, put it in {rb.store.path} as"
                f" {API_KEY_SECRET}=... and run again. If it is lost, run {ROTATE_KEY.id}: it"
                " makes a new key in its place and saves its secret (with no working pair it"
                " cannot check the old key first, and says so), and revokes the old key only"
                " once you say Postman uses the new one.",
                field="API secret",
            ) from None
        return SavedPair(stored_sid, "gone", key_type)
    return SavedPair(stored_sid, "works", key_type)


def _reuse_saved_pair(run: KeyRun) -> ApiKeyResult | None:
    """The saved pair, checked (``check_saved_pair``); None when a new key is needed, with a
    note why."""
    rb = run.rb
    saved = check_saved_pair(run)
    if saved.verdict == "no secret":
        run.notes.append(
            f"The env file names the key {saved.key_sid} but holds no secret for it, so a new key"
            " was created."
        )
    if saved.verdict == "gone":
        rb.progress.log(STEP, KeyGone(key_sid=saved.key_sid, account_sid=run.account_sid))
        run.notes.append(
            f"The saved key {saved.key_sid} is no longer in the account (deleted in the"
            " console?), so a new key was created."
        )
    if saved.verdict != "works":
        return None
    rb.progress.log(STEP, KeyReused(key_sid=saved.key_sid, account_sid=run.account_sid))
    key = KeyInfo(saved.key_sid, known_name(rb, saved.key_sid))
    return _result(run, key, "reused", True, saved.key_type)
