"""Step 05 panels: the notice before sending, each status as it is seen, and the outcome."""

from __future__ import annotations

from typing import Any

from ..display import Panel
from ..runbook import Runbook
from ..steps.test_message import SG_PRICE_PER_SEGMENT


def before_send_panel(rb: Runbook, test_phone: object, what: str = "a test SMS") -> Panel:
    """Said before anything is sent: live sends are real and billed; no number, no send."""
    given = "" if test_phone is None else str(test_phone).strip()
    if not given:
        return Panel(
            "info",
            "No test_phone given: nothing will be sent.",
            notes=["Set test_phone to your own mobile number to send " + what + "."],
        )
    if rb.settings.is_sandbox:
        return Panel(
            "info",
            f"Sandbox mode: {what} to {given} goes to the fake Twilio on this computer.",
            notes=["Nothing is billed and no phone receives it."],
        )
    return Panel(
        "warn",
        f"Live mode: this sends {what} to {given}, a real message billed to your account.",
        notes=[
            f"An SMS to Singapore costs about {SG_PRICE_PER_SEGMENT} per 160-character segment;"
            " this one is a single segment. Foreign numbers are priced by country."
        ],
    )


def status_panel(update: Any) -> Panel:
    """One status change of the message, as it happens."""
    code = f", error {update.error_code}" if update.error_code else ""
    kind = "error" if update.status in ("failed", "undelivered", "canceled") else "info"
    if update.status in ("delivered", "read"):
        kind = "ok"
    return Panel(kind, f"Message status: {update.status}  (after {update.elapsed:.1f} s{code})")


def message_check_panel(result: Any) -> Panel:
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
        kind, title = "warn", "Test message sent, delivery not confirmed."
    else:
        kind, title = "warn", "Test message not sent yet."
    notes = [f"Warning: {w}" for w in result.warnings] + list(result.notes)
    return Panel(kind, title, rows=rows, notes=notes)
