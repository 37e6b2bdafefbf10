"""What one run of step 07 works with, and what it hands back.

``Job`` holds the checked inputs, the Auth Token client (``api_key.KeyRun``: it lists and revokes
keys) and the record as it moves from phase to phase, saved at each one. ``RotationResult`` is what
the panel shows: the phase reached, both keys, where the new values go, how the new key was
proved, and the keys the run could not account for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ...journal import RotationRecord
from ...messages import StatusCallback
from ...phone import PhoneNumber
from ...runbook import Runbook
from ..api_key import KeyInfo, UnsavedSecretHandler
from ..api_key.keys import KeyRun
from ..registry import ROTATE_KEY as STEP
from .check import CheckOutcome


@dataclass
class Job:
    """One run's inputs and working state; ``record`` is saved at every phase (``save``)."""

    rb: Runbook
    run: KeyRun
    phone: PhoneNumber | None
    service_sid: str  # "" when step 04 has not saved one: the new key is then checked alone
    postman: str  # "legacy" or "v2"
    wait_seconds: float
    record: RotationRecord
    on_unsaved_secret: UnsavedSecretHandler | None = None
    on_status: StatusCallback | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    notes: list[str] = field(default_factory=list)

    @property
    def account_sid(self) -> str:
        return self.run.account_sid

    def save(self, **changes: Any) -> RotationRecord:
        """Record the rotation as it now stands (the step's status, phase, keys, check)."""
        self.record = self.rb.progress.save(STEP, replace(self.record, **changes))
        return self.record


@dataclass(frozen=True)
class RotationResult:
    phase: str  # the phase reached (``state``)
    old_key_sid: str
    new_key_sid: str
    key_type: str
    postman: str  # "legacy" or "v2"
    where: tuple[str, ...]  # what to do in that Postman, one line per action
    old_label: str
    new_label: str
    account_sid: str
    service_sid: str
    secret_masked: str
    env_file: str
    backup: str  # the env file's dated copy holding the old pair ("" if not known)
    check: CheckOutcome
    created: bool = False  # this run made the new key
    old_key_revoked: bool = False
    orphans: tuple[KeyInfo, ...] = ()  # keys the runbook made whose secret nobody holds
    old_keys: tuple[KeyInfo, ...] = ()  # replaced keys still in Twilio
    other_keys: tuple[KeyInfo, ...] = ()  # keys in the account the runbook never made
    notes: tuple[str, ...] = ()
