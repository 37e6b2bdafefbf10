"""Step 05's result panel: what became of the test message, with its statuses and sender."""

from __future__ import annotations

from ...display import Panel
from .step import MessageCheckResult


def panel(result: MessageCheckResult) -> Panel:
    """The outcome of step 05: delivered, not confirmed, not sent yet, or skipped."""
    if result.outcome == "skipped":
        return Panel("info", "Test message skipped.", notes=[result.reason])
    timeline = " → ".join(u.status for u in result.statuses)
    rows = [
        ("Message SID", result.message_sid or "-"),
        ("To", result.to or "-"),
        ("Messaging Service", result.service_sid or "-"),
        ("Registered Sender ID", result.sender_id or "(none in the pool)"),
        ("Sender shown", result.shown_from or "-"),
        ("Statuses seen", timeline),
        ("Time", f"{result.seconds:.1f} s"),
    ]
    if result.outcome == "delivered" and not result.warnings:
        kind, title = "ok", "Test message delivered."
    elif result.outcome == "delivered":
        kind, title = "warn", "Test message delivered, with a warning."
    elif result.outcome == "sent-not-confirmed":
        kind, title = "warn", "Test message sent, carrier did not confirm delivery."
    else:
        kind, title = "warn", "Test message not sent yet."
    notes = [f"Warning: {w}" for w in result.warnings] + list(result.notes)
    return Panel(kind, title, rows=rows, notes=notes)
