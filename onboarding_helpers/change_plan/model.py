"""A change plan as it is written and read back: its actions, what it read, its parameters.

An ``Action`` is one thing a step of the run would do in Twilio: ``action`` (reuse, create, add,
buy, send, revoke, none) done to ``kind`` (account, api_key, messaging_service, alpha_sender,
phone_number, service_number, message). The changing actions are the ones a guard lets through
when the plan is applied, one request each (``twilio_gateway.change_of`` names them the same way).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InputError

FORMAT = 1
ACTIONS = ("reuse", "create", "add", "buy", "send", "revoke", "none")
CHANGING = ("create", "add", "buy", "send", "revoke")
KINDS = (
    "account",
    "api_key",
    "messaging_service",
    "alpha_sender",
    "phone_number",
    "service_number",
    "message",
)
CURRENCY = "USD"  # the only currency the runbook knows prices in (the guide's)
UNKNOWN_PRICE = "unknown"


@dataclass(frozen=True)
class Action:
    """One thing a step would do. ``name``: what it acts on, as the officer knows it (phone
    numbers masked); ``billed``: what it costs in ``CURRENCY`` as text ("" when free,
    ``UNKNOWN_PRICE`` when the runbook knows no price); ``why``: how the plan decided; ``sid``:
    the thing reused, when it exists already."""

    step: str
    action: str
    kind: str
    name: str
    billed: str = ""
    why: str = ""
    sid: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS or self.kind not in KINDS:
            raise ValueError(f"not a plan action: {self.action} {self.kind}")

    @property
    def changes(self) -> bool:
        return self.action in CHANGING

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What must stay the same for a plan to still hold: the reasons may change."""
        return (self.step, self.action, self.kind, self.name)

    def shown(self) -> str:
        """e.g. "02_api_key: create api_key 'Postman SMS - ...'"."""
        return f"{self.step}: {self.action} {self.kind} '{self.name}'"

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ChangePlan:
    """What ``run --plan`` found and decided. ``stop``: where the run would stop (the step's
    refusal), "" when it would go through; ``unchecked``: inputs only acting can check;
    ``fingerprint``: what it read, compared again before the plan is applied."""

    made_at: str
    mode: str
    requests_go_to: str
    account_sid: str
    env_file: str
    state_dir: str
    sandbox_dir: str
    steps: tuple[str, ...]
    parameters: dict[str, Any]
    actions: tuple[Action, ...]
    fingerprint: dict[str, Any]
    unchecked: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    stop: str = ""
    format: int = FORMAT

    def changing(self) -> list[Action]:
        return [a for a in self.actions if a.changes]

    def billed_total(self) -> Decimal:
        """The known prices added up (an unknown price counts as nothing: ``unknown_prices``)."""
        total = Decimal(0)
        for action in self.actions:
            try:
                total += Decimal(action.billed) if action.billed else 0
            except InvalidOperation:
                continue
        return total

    def unknown_prices(self) -> bool:
        return any(a.billed == UNKNOWN_PRICE for a in self.actions)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["actions"] = [a.to_json() for a in self.actions]
        data["billed_total"] = f"{self.billed_total()}"
        data["billed_currency"] = CURRENCY
        return {"format": data.pop("format"), **data}


def plan_from_json(data: Any, where: str) -> ChangePlan:
    """The plan in ``data`` (a plan file's JSON); InputError naming ``where`` when it is not one
    this version wrote."""
    fix = "Give the plan-<UTC>.json file that run --plan wrote, unchanged."
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError("--apply", f"{where} is not a change plan this runbook wrote.", fix)
    try:
        actions = tuple(Action(**a) for a in data["actions"])
        known = {f.name for f in dataclasses.fields(ChangePlan)} - {"actions"}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("steps", "unchecked", "notes"):
            values[name] = tuple(values.get(name, ()))
        plan = ChangePlan(actions=actions, **values)
    except (KeyError, TypeError, ValueError):
        raise InputError("--apply", f"{where} is not a whole change plan.", fix) from None
    if not isinstance(plan.parameters, dict) or not isinstance(plan.fingerprint, dict):
        raise InputError("--apply", f"{where} is not a whole change plan.", fix)
    return plan
