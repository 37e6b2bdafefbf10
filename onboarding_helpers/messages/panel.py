"""Panels both sending steps show: the notice before a send, and each status as it is seen."""

from __future__ import annotations

from ..display import Panel
from ..runbook import Runbook
from .following import StatusUpdate
from .sending import SG_PRICE_PER_SEGMENT


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


def status_panel(update: StatusUpdate) -> Panel:
    """One status change of the message, as it happens: a live line (``show`` prints it, so a
    headless run passes it on at once)."""
    code = f", error {update.error_code}" if update.error_code else ""
    kind = "error" if update.status in ("failed", "undelivered", "canceled") else "info"
    if update.status in ("delivered", "read"):
        kind = "ok"
    return Panel(
        kind, f"Message status: {update.status}  (after {update.elapsed:.1f} s{code})", live=True
    )
