"""The change plan in the notebooks: the whole plan in step 00 (live mode), before any step acts,
and one line beside a form's button saying what pressing it would create or reuse. Both read
with GET requests only (``survey``) and change nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..display import Panel
from ..errors import RunbookError
from ..runbook import project_root
from ..steps import registry
from ..steps.registry import Step
from .model import UNKNOWN_PRICE, Action

if TYPE_CHECKING:
    from ..runbook import Runbook

NOT_YET = (
    "The plan reads your account with the Account SID and Auth Token in the env file; step 01"
    " saves them (it only reads the account). Then run this cell again to see the plan before"
    " any step creates anything."
)


def _row(action: Action) -> tuple[str, ...]:
    step = registry.BY_ID.get(action.step)
    billed = "unknown" if action.billed == UNKNOWN_PRICE else action.billed
    return (
        step.number if step else action.step,
        f"{action.action} {action.kind}",
        action.name,
        f"USD {billed}" if billed else "",
        action.why,
    )


def plan_panel(
    rb: Runbook, steps: Iterable[Step] | None = None, values: Mapping[str, Any] | None = None
) -> Panel:
    """What a run of ``steps`` (default: every step a full run takes) would do with ``values``
    (default: the notebooks' own), read now without changing anything."""
    from .make import make_plan

    chosen = list(steps) if steps is not None else [s for s in registry.STEPS if not s.optional]
    try:
        plan = make_plan(rb.settings, chosen, dict(values or {}), project_root() / "notebooks")
    except RunbookError as err:
        return Panel("info", "The change plan needs the account first", notes=[NOT_YET, str(err)])
    changing = plan.changing()
    notes = [
        f"{len(changing)} change(s); billed USD {plan.billed_total()} at the guide's prices"
        + (" (and prices the runbook does not know)" if plan.unknown_prices() else "")
        + ". Each form below says again what its button would do, as you fill it in.",
        *plan.unchecked,
        *plan.notes,
        "Read with GET requests only: nothing was changed to show this. Headless, run --plan"
        " writes this plan to a file for approval, and run --apply runs exactly that plan.",
    ]
    if plan.stop:
        notes.insert(0, f"With the values as they are now, the run would stop at step {plan.stop}")
    return Panel(
        "warn" if plan.stop else "info",
        f"What the runbook would do in account {plan.account_sid}",
        rows=[_row(a) for a in plan.actions],
        columns=("Step", "Action", "What", "Billed", "Why"),
        notes=notes,
    )


def form_preview(rb: Runbook, step: Step, values: Mapping[str, Any]) -> str:
    """One line for beside a form's button: what pressing it would create, add, buy, send or
    reuse now, with ``values`` (the form's), read without changing anything."""
    from .make import survey_steps

    if rb.needs_typed_token():
        return (
            "Pressing it acts with the Auth Token you type; without it in the env file the"
            " runbook cannot look ahead."
        )
    try:
        survey, stop = survey_steps(rb.settings, [step], values, None)  # the form's values
    except RunbookError as err:
        return f"Before pressing: {err.message}"
    shown = [
        f"{a.action} {a.kind.replace('_', ' ')} '{a.name}'"
        + (f" (billed USD {a.billed})" if a.billed and a.billed != UNKNOWN_PRICE else "")
        for a in survey.actions
        if a.action != "none"
    ]
    if stop:
        return f"Pressing it now would stop: {stop.split(': ', 1)[-1]}"
    return "Pressing it would: " + ("; ".join(shown) if shown else "change nothing in Twilio")
