"""The steps' records in ``progress.json``: one dataclass per step, read back typed.

Fields keep the names older versions wrote. Values never hold a secret: the progress record
refuses anything shaped like one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="StepRecord")

STATUSES = ("done", "failed", "blocked", "skipped")


@dataclass(frozen=True)
class StepRecord:
    """A step's last outcome in ``progress.json``. ``status``: done, failed, blocked, skipped."""

    status: str = ""
    at: str = ""
    reason: str = ""
    error_code: int | None = None

    @property
    def done(self) -> bool:
        return self.status == "done"

    @classmethod
    def from_json(cls: type[R], data: dict[str, Any]) -> R:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) not in (None, "", (), []) or f.name in ("status", "at")
        }


@dataclass(frozen=True)
class StartRecord(StepRecord):
    mode: str = ""
    account_sid: str = ""
    scenario: str = ""
    # Which Postman the officer hands the values to: "legacy" or "v2" (``which_postman``);
    # empty in records older than the choice, read as legacy.
    postman: str = ""


@dataclass(frozen=True)
class AccountRecord(StepRecord):
    account_sid: str = ""
    friendly_name: str = ""
    type: str = ""
    account_status: str = ""
    # The prepaid balance as Twilio states it (a decimal string, e.g. "50.00") when 01 last read
    # it; empty when it could not be read. ``balance_low``: below the ``low_balance`` threshold.
    balance: str = ""
    currency: str = ""
    balance_low: bool | None = None


@dataclass(frozen=True)
class ApiKeyRecord(StepRecord):
    key_sid: str = ""
    friendly_name: str = ""
    how: str = ""
    secret_saved: bool | None = None
    verified: bool | None = None
    key_revoked: bool | None = None
    rescue_file: str | None = None
    orphans: list[str] = field(default_factory=list)
    old_keys: list[str] = field(default_factory=list)
    key_type: str = ""  # "standard" or "restricted" (api_key_type); empty: standard


@dataclass(frozen=True)
class SecretRecord(StepRecord):
    key_sid: str = ""
    verified: bool | None = None
    env_file: str = ""
    mode: str = ""
    keyring: str = ""


@dataclass(frozen=True)
class PhoneNumberRecord(StepRecord):
    service_sid: str = ""
    service_name: str = ""
    phone_number: str = ""
    phone_number_sid: str = ""


@dataclass(frozen=True)
class ServiceRecord(StepRecord):
    service_sid: str = ""
    service_name: str = ""
    usecase: str = ""
    sender_id: str = ""
    alpha_sender_sid: str = ""
    phone_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TestMessageRecord(StepRecord):
    __test__: ClassVar[bool] = False  # not a pytest test class
    outcome: str = ""
    message_sid: str = ""
    to: str = ""  # masked
    service_sid: str = ""
    sender_id: str = ""
    shown_from: str = ""
    statuses: list[str] = field(default_factory=list)
    seconds: float | None = None


@dataclass(frozen=True)
class HandoffRecord(StepRecord):
    postman_check: str = ""
    postman_message_sid: str = ""
    delivery: str = ""
    to: str = ""  # masked
    sent_as: str = ""
    credential_label: str = ""
    account_sid: str = ""
    api_key_sid: str = ""
    service_sid: str = ""
    auth: str = ""
    report_path: str = ""
    key_check: str = ""  # "passed": with no test_phone, the API key fetched the service
    postman: str = ""  # the Postman the card was made for: "legacy" or "v2"
    expected_sender_name: str = ""  # v2's "Expected Sender Name": the registered Sender ID


@dataclass(frozen=True)
class RotationRecord(StepRecord):
    """Step 07: where the rotation stands. ``phase``: "creating new key" (the old key's SID is
    kept here before the create), "new key saved", "waiting for Postman" (phase one done) or
    "old key revoked" (phase two done)."""

    phase: str = ""
    old_key_sid: str = ""
    new_key_sid: str = ""
    key_type: str = ""
    postman: str = ""  # "legacy" or "v2": where the new values were to go
    check: str = ""  # "passed" (Postman's send), "key check passed" (no phone), "not run"
    message_sid: str = ""
    to: str = ""  # masked
    backup: str = ""  # the env file's dated copy holding the old pair
    old_key_revoked: bool | None = None


@dataclass(frozen=True)
class HealthRecord(StepRecord):
    """Step 08: the last health check of a set-up in use. ``status`` "done" whatever it found
    (findings are not failures); ``worst``: "ok", "warn" or "fail", the worst check's status."""

    service_sid: str = ""
    api_key_sid: str = ""
    key_type: str = ""
    window_days: float | None = None
    messages: int | None = None  # the service's messages in the window (None: not readable)
    delivered: int | None = None
    delivery_rate: float | None = None
    problems: int | None = None  # checks not passed
    worst: str = ""
    health_file: str = ""  # <state dir>/health-<UTC>.json
    report_path: str = ""

    def reading(self) -> str:
        """What the check read, in words (for the run report and the terminal)."""
        if self.messages is None:
            return "its messages could not be read with the key"
        rate = "" if self.delivery_rate is None else f", {self.delivery_rate:.1%} delivered"
        return f"{self.messages:,} messages in the last {self.window_days:g} days{rate}"
