"""Copies of the env file keep what may still be needed, and nothing else.

The store never replaces a non-empty value without a dated backup first, and step 02 writes a
rescue file when the env file cannot take a new secret. Left alone, those copies would keep what
the officer asked to forget (the Auth Token after ``forget_auth_token``) and the secrets of keys
Twilio has since revoked. So, whenever a step acts under the lock:

- a copy loses the values the officer asked to forget (only when asked: ``forget``);
- a copy loses the API key pair whose key SID the journal records as revoked;
- a copy that then holds nothing the env file lacks is deleted.

An unrevoked key's secret that the env file does not hold is never dropped: it may be the one
Postman still uses. Every change is journalled (``CredentialCopiesTidied``) and said.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .credentials import API_KEY_SECRET, API_KEY_SID, CredentialStore
from .env_text import EnvText
from .errors import InputError
from .files import read_private, write_atomically
from .journal import CredentialCopiesTidied, CredentialLinesMerged, KeyRevoked

if TYPE_CHECKING:
    from .runbook import Runbook
    from .steps.registry import Step


@dataclass(frozen=True)
class CopiesTidied:
    """What ``tidy_copies`` changed: names only, never a value."""

    cleaned: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (copy, names taken out of it)
    deleted: tuple[str, ...] = ()  # copies that held nothing the env file lacks

    def __bool__(self) -> bool:
        return bool(self.cleaned or self.deleted)

    def lines(self) -> list[str]:
        said = [f"removed {', '.join(names)} from {copy}" for copy, names in self.cleaned]
        said += [f"deleted {copy}: it held nothing the env file lacks" for copy in self.deleted]
        return said


def _pairs(env: EnvText) -> set[tuple[str, str]]:
    """Every (name, value) a file holds, repeated lines included: they are data too."""
    return {(n, o.value) for n, found in env.occurrences.items() for o in found if o.value}


def _dropped(env: EnvText, revoked: set[str], forget: set[str]) -> frozenset[str]:
    names = {n for n in forget if env.non_empty(n)}
    key_sids = set(env.non_empty(API_KEY_SID))
    if key_sids and key_sids <= revoked:  # the pair belongs to a key Twilio no longer accepts
        names |= {API_KEY_SID, API_KEY_SECRET}
    return frozenset(n for n in names if n in env.occurrences)


def tidy_copies(
    store: CredentialStore, revoked_keys: Iterable[str] = (), forget: Iterable[str] = ()
) -> CopiesTidied:
    """Apply the rules above to every copy of the env file (``store.copies()``)."""
    held = _pairs(EnvText((read_private(store.file(), "env_file") or b"").decode("utf-8")))
    revoked, forgotten = set(revoked_keys), set(forget)
    cleaned: list[tuple[str, tuple[str, ...]]] = []
    deleted: list[str] = []
    for copy in store.copies():
        try:
            env = EnvText((read_private(copy, "env_file") or b"").decode("utf-8"))
        except (InputError, OSError, UnicodeDecodeError):
            continue  # not a copy this runbook can read: left as it is
        drop = _dropped(env, revoked, forgotten)
        left = {pair for pair in _pairs(env) if pair[0] not in drop}
        if left <= held:
            os.unlink(copy)
            deleted.append(str(copy))
        elif drop:
            write_atomically(Path(copy), env.render({}, drop=drop), field="env_file")
            cleaned.append((str(copy), tuple(sorted(drop))))
    return CopiesTidied(tuple(cleaned), tuple(deleted))


def revoked_keys(rb: Runbook) -> set[str]:
    return {event.key_sid for event in rb.progress.events(KeyRevoked)}


def keep_tidy(rb: Runbook, step: Step, forget: Iterable[str] = ()) -> list[str]:
    """Under the lock: each credential name on one line, and the copies pruned (``forget``: the
    names the officer asked to remove everywhere). Journalled; returns what to tell the officer."""
    said: list[str] = []
    merged = rb.store.one_line_per_name()
    if merged.merged:
        backup = str(merged.backup or "")
        rb.progress.log(step, CredentialLinesMerged(names=list(merged.merged), backup=backup))
        kept = f" (the dropped values are in {backup})" if backup else ""
        said.append(
            f"{', '.join(merged.merged)} stood on more than one line of {rb.store.path}: each"
            f" is now on one line, with the value the runbook used{kept}."
        )
    tidied = tidy_copies(rb.store, revoked_keys(rb), forget)
    if tidied:
        cleaned = [[copy, list(names)] for copy, names in tidied.cleaned]
        event = CredentialCopiesTidied(cleaned=cleaned, deleted=list(tidied.deleted))
        rb.progress.log(step, event)
        said += tidied.lines()
    return said
