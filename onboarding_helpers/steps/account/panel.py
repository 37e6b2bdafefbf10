"""Step 01's result panel: the account, its balance, and where the Auth Token is kept."""

from __future__ import annotations

from ...balance import balance_notes
from ...display import Panel
from .step import PUT_AWAY_ADVICE, AccountResult


def panel(result: AccountResult) -> Panel:
    """The checked account: the one Postman will send from, and what its balance pays for."""
    rows = [
        ("Account SID", result.account_sid),
        ("Name", result.friendly_name),
        ("Status", result.status),
        ("Type", result.type),
    ]
    notes, warnings = [], []
    if result.balance is not None:
        rows.append(("Balance", result.balance.shown()))
        notes, warnings = balance_notes(result.balance)
    notes = [*result.notes, *notes]
    if result.live and result.token_saved:
        notes.append(PUT_AWAY_ADVICE)
    title = "Account checked: this is the account Postman will send from."
    if warnings:
        title = "Account checked, with a warning: the balance is low."
    return Panel(
        "warn" if warnings else "ok",
        title,
        rows=rows,
        notes=[f"Warning: {w}" for w in warnings] + notes,
    )
