"""Applying an approved change plan (``run --apply PLAN.json``): exactly what was approved.

Before any notebook runs, the plan is made again from what the account and the state folder hold
now, with the approved plan's parameters (read-only, as ``run --plan``): if what it reads
(``fingerprint``) or what the run would do differs, the apply is refused and says what changed,
as Terraform refuses a stale saved plan. Then every Twilio client of the run's kernels carries a
``PlanGuard``: each change a step sends must be one the plan approved for that step, one request
each; any other is refused before it is sent. The kernels learn the plan from the runner
(``ONBOARDING_PLAN`` and its sha256, see ``runner.run.kernel_environment``), and every journal
entry written meanwhile carries the plan's file and sha256.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, RunbookError
from ..files import read_private, refuse_link
from ..journal import PlanApplying, PlannedChangeMade
from ..phone import mask_phone
from ..progress import ProgressRecord
from ..steps import registry
from ..twilio_gateway import ChangeRefused, Guard, change_of
from .document import APPLY_COMMAND, sha256_of
from .make import make_plan
from .model import CURRENCY, Action, ChangePlan, plan_from_json

if TYPE_CHECKING:
    from ..runbook import Runbook, Settings

_LISTS = (
    ("api_keys", "API keys"),
    ("messaging_services", "Messaging Services"),
    ("phone_numbers", "phone numbers of the account"),
    ("alpha_senders", "Sender IDs in the service"),
    ("service_numbers", "numbers in the service's sender pool"),
)


class PlanStale(RunbookError):
    """The account (or the state folder) changed since the plan was made: nothing was done."""


@dataclass(frozen=True)
class Approved:
    """A plan file as ``run --apply`` read it: its path, the sha256 of its bytes, its plan."""

    path: Path
    sha256: str
    plan: ChangePlan

    def steps(self) -> list[registry.Step]:
        unknown = [s for s in self.plan.steps if s not in registry.BY_ID]
        if unknown:
            raise InputError("--apply", f"the plan names steps this runbook lacks: {unknown}.", "")
        return [registry.BY_ID[s] for s in self.plan.steps]

    def begin(self, settings: Settings, notebooks_dir: Path, echo: Callable[[str], None]) -> None:
        """Under the run's lock, before any notebook: refuse a plan that no longer holds, then
        journal that it is being applied."""
        check_still_holds(self, settings, notebooks_dir)
        changing = self.plan.changing()
        progress = stamped_progress(settings.state_dir, self)
        progress.log(
            registry.START,
            PlanApplying(plan=str(self.path), plan_sha256=self.sha256, changes=len(changing)),
        )
        echo(f"plan: {self.path} (sha256 {self.sha256}): still holds; {len(changing)} change(s)")

    def outcome(self, settings: Settings) -> list[str]:
        """What the run made of the plan's changes, from the journal."""
        return applied_lines(self, ProgressRecord(settings.state_dir))


def load_plan(path_text: str) -> Approved:
    """The plan file at ``path_text``, read once: its bytes give its sha256."""
    path = Path(path_text).expanduser().absolute()
    fix = "Give the plan-<UTC>.json file that run --plan wrote (it names it at the end)."
    refuse_link(path, "--apply")
    try:
        raw = read_private(path, "--apply")
    except OSError as err:
        raise InputError("--apply", f"{path} cannot be read: {err.strerror}.", fix) from None
    if raw is None:
        raise InputError("--apply", f"{path} does not exist.", fix)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError("--apply", f"{path} is not JSON.", fix) from None
    return Approved(path, sha256_of(raw), plan_from_json(data, str(path)))


# ---------------------------------------------------------------- still the same?


def _named(key: str, sid: str, name: str) -> str:
    shown = mask_phone(name) if name.startswith("+") else name
    return f"'{shown}' ({sid})" if shown else sid


def fingerprint_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What was added to or removed from the account since ``old`` was read, in words."""
    lines: list[str] = []
    before, after = old.get("account", {}), new.get("account", {})
    for field in ("sid", "status", "type"):
        if before.get(field) != after.get(field):
            lines.append(f"the account's {field} was {before.get(field)}, now {after.get(field)}")
    if old.get("service") != new.get("service"):
        lines.append(
            f"the Messaging Service the run uses was {old.get('service') or 'a new one'},"
            f" now {new.get('service') or 'a new one'}"
        )
    for key, title in _LISTS:
        was, now = old.get(key, {}), new.get(key, {})
        added = [_named(key, sid, now[sid]) for sid in sorted(set(now) - set(was))]
        removed = [_named(key, sid, was[sid]) for sid in sorted(set(was) - set(now))]
        if added:
            lines.append(f"{title}: added {', '.join(added)}")
        if removed:
            lines.append(f"{title}: removed {', '.join(removed)}")
    return lines


def _balance_change(plan: ChangePlan, fresh: ChangePlan) -> list[str]:
    total = plan.billed_total()
    balance = fresh.fingerprint.get("balance", {})
    if not total or balance.get("currency") != CURRENCY:
        return []
    try:
        amount = Decimal(balance.get("amount", ""))
    except InvalidOperation:
        return []
    if amount >= total:
        return []
    return [
        f"the balance is now {CURRENCY} {amount}, less than the {CURRENCY} {total} the plan's"
        " billed actions cost"
    ]


def _action_changes(plan: ChangePlan, fresh: ChangePlan) -> list[str]:
    if fresh.stop:
        return [f"the run would now stop at step {fresh.stop}"]
    # The changes must be the approved ones; what is reused follows from what was read.
    was = Counter(a.identity for a in plan.changing())
    now = Counter(a.identity for a in fresh.changing())
    gone = [f"the plan says {_said(i)}; the run would now not" for i in (was - now).elements()]
    new = [f"the run would now also {_said(i)}" for i in (now - was).elements()]
    return gone + new


def _said(identity: tuple[str, str, str, str]) -> str:
    step, action, kind, name = identity
    shown = mask_phone(name) if name.startswith("+") else name
    return f"{action} {kind} '{shown}' in step {step}"


def stale_reasons(plan: ChangePlan, fresh: ChangePlan) -> list[str]:
    """Why ``plan`` no longer holds, given the plan made again now (``fresh``); empty: it holds."""
    return (
        fingerprint_changes(plan.fingerprint, fresh.fingerprint)
        + _balance_change(plan, fresh)
        + _action_changes(plan, fresh)
    )


def check_still_holds(approved: Approved, settings: Settings, notebooks_dir: Path) -> None:
    """Make the plan again (read-only) and refuse, naming what changed, when it differs."""
    plan = approved.plan
    if plan.stop:
        raise InputError(
            "--apply",
            f"the plan says the run would stop at step {plan.stop}",
            "Fix what it names, plan again (run --plan) and have the new plan approved.",
        )
    fresh = make_plan(settings, approved.steps(), plan.parameters, notebooks_dir)
    reasons = stale_reasons(plan, fresh)
    if reasons:
        raise PlanStale(
            f"The plan {approved.path} no longer holds, so nothing was done: "
            + "; ".join(reasons)
            + ".",
            advice="Plan again (run --plan with the same parameters), have the new plan"
            " approved, and apply that one.",
        )


# ---------------------------------------------------------------- while it is applied


def stamped_progress(state_dir: Path, approved: Approved) -> ProgressRecord:
    progress = ProgressRecord(state_dir)
    progress.stamp = {"plan": str(approved.path), "plan_sha256": approved.sha256}
    return progress


class PlanGuard(Guard):
    """Lets through, for each step, the changes the plan approved for it, one request each;
    refuses any other before it is sent. A change Twilio refused (4xx, 429, 503: it did not act)
    is approved again; one whose answer was lost may be sent once more, since the step looks it
    up before it sends anything again (``twilio_gateway.create_once``)."""

    def __init__(self, approved: Approved, progress: ProgressRecord) -> None:
        self.approved, self.progress = approved, progress
        self.left: dict[tuple[str, str, str], list[Action]] = {}
        self.unsure: dict[tuple[str, str, str], list[Action]] = {}
        for action in approved.plan.changing():
            self.left.setdefault((action.step, action.action, action.kind), []).append(action)

    def admit(self, step: str, method: str, url: str) -> Any:
        change = change_of(method, url)
        if change is None:
            return None
        key = (step, change.action, change.kind)
        for pool in (self.left, self.unsure):
            if pool.get(key):
                return key, pool[key].pop(0)
        allowed = ", ".join(a.shown() for a in self.approved.plan.changing()) or "no change"
        raise ChangeRefused(
            f"Refused to send {change.what} in step {step}: the approved plan"
            f" {self.approved.path} holds no such change left (it approved: {allowed})."
            " Nothing was sent.",
            advice="The account or the inputs differ from what the plan saw. Plan again"
            f" (run --plan), have the new plan approved, and apply it with {APPLY_COMMAND}.",
        )

    def settle(self, ticket: Any, status: int | None) -> None:
        if ticket is None:
            return
        key, action = ticket
        if status is not None and 200 <= status < 300:
            self._journal(action, status)
        elif status is None or (status >= 500 and status != 503):
            self.unsure.setdefault(key, []).append(action)
            self._journal(action, None)
        else:
            self.left.setdefault(key, []).insert(0, action)

    def _journal(self, action: Action, status: int | None) -> None:
        made = PlannedChangeMade(
            change=action.action,
            kind=action.kind,
            name=action.name,
            status=status,
            plan=str(self.approved.path),
            plan_sha256=self.approved.sha256,
        )
        self.progress.log(registry.BY_ID.get(action.step, registry.START), made)


_guards: dict[tuple[str, str], PlanGuard] = {}


def install_plan_guard(rb: Runbook) -> None:
    """In a kernel of ``run --apply``: every client of ``rb`` carries the plan's guard (one per
    process, shared by every runbook in it), and every journal entry the plan's file and sha256.
    Refused when the plan file is not the one the runner checked."""
    settings = rb.settings
    key = (settings.plan, settings.plan_sha256)
    if key not in _guards:
        approved = load_plan(settings.plan)
        if approved.sha256 != settings.plan_sha256:
            raise InputError(
                "--apply",
                f"the plan {settings.plan} changed since this run checked it, so nothing more is"
                " done.",
                "Apply the approved plan file, unchanged: run --apply again.",
            )
        _guards[key] = PlanGuard(approved, stamped_progress(settings.state_dir, approved))
    guard = _guards[key]
    rb.guard = guard
    rb.progress.stamp = dict(guard.progress.stamp)


def applied_lines(approved: Approved, progress: ProgressRecord) -> list[str]:
    """The plan's changes against those the journal says went out under it."""
    made = [e for e in progress.events(PlannedChangeMade) if e.plan_sha256 == approved.sha256]
    planned = Counter(a.identity for a in approved.plan.changing())
    sent = Counter((e.step, e.change, e.kind, e.name) for e in made)
    missing = list((planned - sent).elements())
    head = f"Plan {approved.path.name} (sha256 {approved.sha256[:12]}…):"
    if not planned:
        return [f"{head} no change was planned and none was made."]
    if not missing:
        return [f"{head} all {sum(planned.values())} planned change(s) made, and no other."]
    return [
        f"{head} {sum(planned.values()) - len(missing)} of {sum(planned.values())} planned"
        " change(s) made; not made: " + "; ".join(_said(i) for i in missing) + "."
    ]
