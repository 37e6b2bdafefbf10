"""Training scenario panels for notebook 00: the list, and the briefing of the current one."""

from __future__ import annotations

from ..display import Panel
from ..runbook import Runbook


def scenarios_panel() -> Panel:
    """Every scenario, by name, with the step where it shows."""
    from ..training.scenarios import SCENARIOS

    return Panel(
        "info",
        "Training scenarios (sandbox only)",
        rows=[(s.name, f"{s.title}  (shows at {s.bites_at})") for s in SCENARIOS.values()],
        notes=["Starting one makes a NEW practice account: the env file's TWILIO_ values and the"
               " progress board start afresh. Headless: python -m onboarding_helpers run"
               " --sandbox --scenario NAME. Trainers: docs/TRAINERS.md."],
    )  # fmt: skip


def scenario_panel(rb: Runbook) -> Panel:
    """The briefing of the scenario the current practice account was made for, and the console."""
    from ..credentials import ACCOUNT_SID
    from ..training.practice import current_scenario

    account_sid = rb.store.get(ACCOUNT_SID)
    rows = []
    if rb.settings.is_sandbox and account_sid and rb.base_url:
        from ..sandbox.console import console_url

        rows.append(("Sandbox console", console_url(rb.base_url, account_sid)))
    scenario = current_scenario(rb)
    if scenario is None:
        note = (
            "No training scenario: a plain practice account. Open the sandbox console to find"
            " your Account SID and Auth Token where the guide says they are."
            if rb.settings.is_sandbox
            else "Live mode: no training scenario."
        )
        return Panel("info", "Practice account", rows=rows, notes=[note])
    rows += [(name, value) for name, value in scenario.briefing_rows()]
    return Panel(
        "warn",
        f"Training scenario: {scenario.title}",
        rows=[("scenario", scenario.name), *rows],
        notes=[
            scenario.story,
            "Use the values above when a step asks for them (headless runs of the scenario do).",
        ],
    )
