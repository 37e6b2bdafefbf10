"""Where a rotation stands, from step 07's record and the env file.

The record keeps the old key's SID before the new key is created, so a run stopped at any point
is picked up where it stopped: if the env file still holds the old pair, the create did not
finish (its intent in the journal is settled by listing the keys); if it holds another pair, that
is the new key, saved in the same call that received it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import StepBlocked
from ...journal import RotationRecord
from ...runbook import Runbook
from ..registry import ROTATE_KEY as STEP
from ..secret_key.pair import stored_pair

# The phases, in order; each is written to the record as soon as it is reached.
CREATING = "creating new key"
NEW_KEY_SAVED = "new key saved"
WAITING = "waiting for Postman"
FINISHED = "old key revoked"


@dataclass(frozen=True)
class Rotation:
    """A rotation under way: the old key, the new one (once saved), and the phase reached."""

    phase: str = ""  # "" when none is under way (never started, or the last one finished)
    old_key_sid: str = ""
    new_key_sid: str = ""
    record: RotationRecord = RotationRecord()

    @property
    def under_way(self) -> bool:
        return self.phase in (CREATING, NEW_KEY_SAVED, WAITING)


def rotation_state(rb: Runbook) -> Rotation:
    """The rotation the record and the env file describe (see the module docstring)."""
    record: RotationRecord = rb.progress.read(STEP)
    if record.phase not in (CREATING, NEW_KEY_SAVED, WAITING):
        return Rotation(record=record)
    stored_sid = stored_pair(rb)[0] or ""
    old = record.old_key_sid
    if record.phase == CREATING:
        if stored_sid and stored_sid != old:  # made and saved; stopped before it was recorded
            return Rotation(NEW_KEY_SAVED, old, stored_sid, record)
        return Rotation(CREATING, old, "", record)
    if stored_sid != record.new_key_sid:
        raise StepBlocked(
            f"The rotation from key {old} to {record.new_key_sid} is under way, but the env file"
            f" {rb.store.path} now holds the key {stored_sid or '(none)'}: it was changed"
            " outside this step. Nothing was changed.",
            advice=f"Put the new pair back (the {record.new_key_sid} lines are in the env file's"
            " dated backups beside it), then run this step again.",
            field="env_file",
        )
    return Rotation(record.phase, old, record.new_key_sid, record)
