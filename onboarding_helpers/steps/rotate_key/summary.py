"""What a headless run prints once step 07 has run (the registry's ``after_run``): where the
rotation stands, the new key (secret masked), and what to do next. Never a secret."""

from __future__ import annotations

import os

from ...credentials import API_KEY_SECRET, API_KEY_SID, CredentialStore, mask
from ...journal import HandoffRecord, RotationRecord
from ...progress import ProgressRecord
from ...report import scrub
from ...which_postman import postman_in_use
from ..handoff.label import DEFAULT_LABEL
from ..registry import HANDOFF
from ..registry import ROTATE_KEY as STEP
from .state import FINISHED, WAITING
from .where import new_label, where_values_go


def summary(env_file: str | os.PathLike[str], state_dir: str | os.PathLike[str]) -> list[str]:
    """Lines for the terminal after a run in which step 07 succeeded; empty before any rotation."""
    progress = ProgressRecord(state_dir)
    record: RotationRecord = progress.read(STEP)
    store = CredentialStore(env_file)
    values = store.values()
    if record.phase == FINISHED:
        lines = [
            f"Key rotation finished: the old key {record.old_key_sid} is revoked; Postman uses"
            f" {record.new_key_sid}."
        ]
    elif record.phase == WAITING:
        lines = _waiting(record, values, store, progress)
    else:
        return []
    return [scrub(line, store.secrets()) for line in lines]


def _waiting(
    record: RotationRecord, values: dict[str, str], store: CredentialStore, progress: ProgressRecord
) -> list[str]:
    handoff: HandoffRecord = progress.read(HANDOFF)
    old = handoff.credential_label or DEFAULT_LABEL
    postman = postman_in_use(progress)
    check = f"{record.check} ({record.message_sid})" if record.message_sid else record.check
    lines = [
        "Key rotation, phase one done: the new key is saved and checked; the old one still works.",
        f"    API Key SID (new)  {values.get(API_KEY_SID, '(not set)')}",
        f"    API Secret (new)   {mask(values.get(API_KEY_SECRET))}  (in {store.path})",
        f"    Old API key        {record.old_key_sid}  (kept until phase two)",
        f"    Check              {check or 'not run'}",
        f"In Postman ({postman}):",
    ]
    lines += [f"  - {line}" for line in where_values_go(postman, old, new_label(old), None)]
    lines.append(
        f"Then finish the rotation: the same run command with --only {STEP.number}"
        " -p postman_updated True."
    )
    return lines
