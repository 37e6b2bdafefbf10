"""Step 00's panels: the prerequisites checklist, the training scenarios, and the briefing of the
practice account step 00 left in the env file."""

from __future__ import annotations

from ...display import Panel
from ...training.practice import StartResult
from ...training.scenarios import SCENARIOS
from ...which_postman import LEGACY, POSTMANS
from .prerequisites import prerequisites_for


def prerequisites_panel(postman: str = LEGACY) -> Panel:
    """The administrative steps of this Postman's onboarding, to tick off before step 01."""
    kind = POSTMANS.get(postman, POSTMANS[LEGACY])
    return Panel(
        "info",
        f"Before step 01, the administrative steps of the {kind.title} onboarding must be done:",
        notes=[f"☐ {text}" for _, text in prerequisites_for(kind.name)],
    )


def postman_panel(postman: str) -> Panel:
    """The Postman the values go to, where they go there, and its onboarding checklist."""
    kind = POSTMANS.get(postman, POSTMANS[LEGACY])
    checklist = prerequisites_panel(kind.name)
    return Panel(
        "info",
        f"Postman in use: {kind.title}, at {kind.address}",
        rows=[("postman", kind.name)],
        notes=[
            kind.where_values_go,
            "Step 06 makes its hand-off card for this Postman. To change it, choose the other"
            " one in the form below (headless: -r postman legacy or -r postman v2).",
            checklist.title,
            *checklist.notes,
        ],
    )


def scenarios_panel() -> Panel:
    """Every scenario, by name, with the step where it shows."""
    return Panel(
        "info",
        "Training scenarios (sandbox only)",
        rows=[(s.name, s.title, s.bites_at) for s in SCENARIOS.values()],
        columns=("Scenario", "What happens", "Shows at"),
        notes=[
            "Starting one makes a NEW practice account: the env file's TWILIO_ values and the"
            " progress board start afresh. Headless: python -m onboarding_helpers run"
            " --sandbox --scenario NAME. Trainers: docs/TRAINERS.md."
        ],
    )


def panel(result: StartResult) -> Panel:
    """The account step 00 left in the env file: its console page and, when it was made for a
    training scenario, the scenario's briefing."""
    rows = [("Sandbox console", result.console)] if result.console else []
    scenario = SCENARIOS.get(result.scenario) if result.scenario else None
    if scenario is None:
        note = (
            "No training scenario: a plain practice account. Open the sandbox console to find"
            " your Account SID and Auth Token where the guide says they are."
            if result.mode == "sandbox"
            else "Live mode: no training scenario."
        )
        return Panel("info", "Practice account", rows=rows, notes=[note, *result.notes])
    rows += scenario.briefing_rows()
    return Panel(
        "warn",
        f"Training scenario: {scenario.title}",
        rows=[("scenario", scenario.name), *rows],
        notes=[
            scenario.story,
            "Use the values above when a step asks for them (headless runs of the scenario do).",
            *result.notes,
        ],
    )
