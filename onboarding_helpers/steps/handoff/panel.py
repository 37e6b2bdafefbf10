"""Step 06's panels: the hand-off card (secret masked), Postman's checklist and the run report."""

from __future__ import annotations

from collections.abc import Iterable

from ...display import Panel
from .card import HandoffCard
from .step import HandoffResult


class PanelGroup(Panel):
    """Several panels shown as one output (HTML and text); a Panel wherever one is expected."""

    def __init__(self, panels: Iterable[Panel]) -> None:
        self.panels = list(panels)
        super().__init__(self.panels[0].kind, self.panels[0].title)

    def __str__(self) -> str:
        return "\n\n".join(str(p) for p in self.panels)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return "".join(p._repr_html_() for p in self.panels)


def card_panel(result: HandoffResult) -> Panel:
    """The four values for Postman, how they were checked, and what to mind."""
    card = result.card
    if result.postman_check == "passed" and not result.warnings:
        kind = "ok"
        title = "Postman-equivalent check passed: enter these four values in Postman."
    elif result.postman_check == "passed":
        kind = "warn"
        title = "Postman-equivalent check passed, with a warning: read it before using Postman."
    else:
        kind = "warn"
        title = "Hand-off card (the Postman-equivalent check was not run)."
    notes = []
    if result.postman_check == "passed":
        notes.append(
            f"Sent {result.message_sid} to {result.to} with the API key (not the Auth Token) and"
            f" From = {card.messaging_service_sid}, as Postman does; delivery: {result.delivery}."
        )
    else:
        notes.append(result.reason)
    notes += [f"Warning: {w}" for w in result.warnings] + list(result.notes)
    notes.append(
        "The API Secret is shown masked. Take it from the env file, or in the form use the"
        " reveal button, which shows it for a few seconds and never saves it."
    )
    if card.sender_id:
        notes.append(f"Messages will show the Sender ID '{card.sender_id}' on Singapore phones.")
    return Panel(kind, title, rows=card.rows(), notes=notes)


def checklist_panel(card: HandoffCard) -> Panel:
    return Panel(
        "info",
        "In Postman",
        notes=[f"{n}. {item}" for n, item in enumerate(card.checklist(), start=1)],
    )


def report_panel(result: HandoffResult) -> Panel:
    return Panel(
        "info",
        "Run report written",
        rows=[("Report", str(result.report_path))],
        notes=["It lists what was checked and created, with SIDs and times, and no secret."],
    )


def panel(result: HandoffResult) -> PanelGroup:
    """Step 06's result: the card, Postman's checklist and where the run report is."""
    return PanelGroup([card_panel(result), checklist_panel(result.card), report_panel(result)])
