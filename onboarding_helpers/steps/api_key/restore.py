"""A secret an earlier failed run kept elsewhere (a rescue file, the OS keyring), moved back into
the env file before step 02 (or 07) decides anything, so a re-run reuses the key instead of making
one. A rotation's new key whose secret went to a rescue file replaces the pair it was made for."""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import RunbookError
from ...journal import SecretRestored
from ...runbook import Runbook
from ..registry import API_KEY as STEP
from ..registry import Step
from ..secret_key.os_keyring import keyring_get
from ..secret_key.pair import stored_pair
from .history import History
from .rescue import failure_reason

_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9]{32}$")


def restore_kept_secret(
    rb: Runbook, account_sid: str, past: History, step: Step = STEP
) -> str | None:
    """Move a secret kept by an earlier failed run (rescue file, OS keyring) into the env file.

    Only when the env file holds no secret, or names that key without its secret, or holds the
    pair a rescued key was made to replace (step 07). Returns a note, or None when there was
    nothing to restore.
    """
    stored_sid, stored_secret = stored_pair(rb)
    for sid, path in list(past.rescued.items()):
        created = past.created.get(sid)
        replacing = bool(stored_sid) and created is not None and created.replaces == stored_sid
        if sid in past.gone or (stored_sid and stored_sid != sid and not replacing):
            continue
        if stored_secret and stored_sid == sid:
            continue
        secret = _rescued_secret(sid, path)
        if secret is None:
            continue
        _save_restored(rb, sid, secret, f"the rescue file {path}")
        Path(path).unlink(missing_ok=True)
        rb.progress.log(step, SecretRestored(key_sid=sid, source="rescue file"))
        return f"The secret of key {sid} was moved from the rescue file {path} into the env file."
    if stored_sid and not stored_secret:
        secret = keyring_get(account_sid, stored_sid)
        if secret and _SECRET_SHAPE.match(secret):
            _save_restored(rb, stored_sid, secret, "the OS keyring")
            rb.progress.log(step, SecretRestored(key_sid=stored_sid, source="OS keyring"))
            return f"The secret of key {stored_sid} was restored from the OS keyring."
    return None


def _rescued_secret(key_sid: str, path: str) -> str | None:
    """The secret in a rescue file, if the file is still there and holds this key's pair."""
    try:
        kept = dotenv_values(path)
    except OSError:
        return None
    secret = kept.get(API_KEY_SECRET) or ""
    if kept.get(API_KEY_SID) != key_sid or not _SECRET_SHAPE.match(secret):
        return None
    return secret


def _save_restored(rb: Runbook, key_sid: str, secret: str, source: str) -> None:
    try:
        rb.store.save({API_KEY_SID: key_sid, API_KEY_SECRET: secret})
    except Exception as exc:
        raise RunbookError(
            f"The secret of key {key_sid} is kept in {source}, but writing it into the env file"
            f" {rb.store.path} failed: {failure_reason(exc)}.",
            advice=f"It is still in {source}. Fix what stops the env file being written, then"
            " run this step again.",
            field="env_file",
        ) from None
