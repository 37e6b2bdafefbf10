"""Step 06's panels: the hand-off card (secret masked), the Postman checklist and the run report,
and what became of the Auth Token when it was put away."""

from __future__ import annotations

from collections.abc import Iterable

from ...display import Panel
from ...which_postman import POSTMANS, V2
from .auth_token import removal_panel
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


def _where(card: HandoffCard) -> str:
    if card.postman == V2:
        return "enter these values in each Postman v2 campaign (Internal Staff)"
    return "enter these four values in Postman"


def card_panel(result: HandoffResult) -> Panel:
    """The four values for Postman, how they were checked, and what to mind."""
    card = result.card
    if result.postman_check == "passed" and not result.warnings:
        kind = "ok"
        title = f"Postman-equivalent check passed: {_where(card)}."
    elif result.postman_check == "passed":
        kind = "warn"
        title = "Postman-equivalent check passed, with a warning: read it before using Postman."
    else:
        kind = "warn"
        title = "Hand-off card (the Postman-equivalent check was not run)."
    notes = [f"For {POSTMANS[card.postman].title}, at {POSTMANS[card.postman].address}."]
    if result.postman_check == "passed":
        notes.append(
            f"Sent {result.message_sid} to {result.to} with the API key (not the Auth Token) and"
            f" From = {card.messaging_service_sid}, as Postman does; delivery:"
            f" {_delivery_words(result.delivery)}."
        )
    else:
        notes.append(result.reason)
    notes += [f"Warning: {w}" for w in result.warnings] + list(result.notes)
    notes.append(
        "The API Secret is shown masked. In the form, its Copy button puts it on your clipboard"
        " without showing it; otherwise take it from the env file."
    )
    if card.sender_id:
        notes.append(f"Messages will show the Sender ID '{card.sender_id}' on Singapore phones.")
    if card.balance:
        low = " It is low: top it up before a campaign." if card.balance_low else ""
        notes.append(
            f"Twilio is prepaid: a campaign stops when the balance ({card.balance} when step 01"
            f" read it) runs out.{low} Set up auto-recharge or a low-balance alert in the"
            " console (Billing)."
        )
    return Panel(kind, title, rows=card.rows(), notes=notes, columns=("Field", "Value"))


def _delivery_words(delivery: str | None) -> str:
    """The delivery outcome as the officer reads it."""
    return {
        "sent-not-confirmed": "sent, carrier did not confirm",
        "not-sent-yet": "not sent yet",
    }.get(delivery or "", delivery or "-")


def checklist_panel(card: HandoffCard) -> Panel:
    title = "In Postman v2 (each campaign)" if card.postman == V2 else "In Postman"
    return Panel(
        "info", title, notes=[f"{n}. {item}" for n, item in enumerate(card.checklist(), start=1)]
    )


def report_panel(result: HandoffResult) -> Panel:
    return Panel(
        "info",
        "Run report written",
        rows=[("Report", str(result.report_path))],
        notes=["It lists what was checked and created, with SIDs and times, and no secret."],
    )


def panel(result: HandoffResult) -> PanelGroup:
    """Step 06's result: the card, the Postman checklist, where the run report is, and what
    became of the Auth Token when it was put away."""
    panels = [card_panel(result), checklist_panel(result.card), report_panel(result)]
    if result.token_removal is not None:
        panels.append(removal_panel(result.token_removal))
    return PanelGroup(panels)
