"""Step 08's result panel: one line per check with ✔, ! or ✖, then what to do about each
finding, the recipients' countries and where the findings were saved."""

from __future__ import annotations

from ...display import Badge, Panel
from .checks import FAIL, OK, WARN
from .findings import top_countries
from .log import PageRead
from .result import HealthResult

BADGES = {
    OK: Badge("ok", "passed", "✔"),
    WARN: Badge("warn", "look", "!"),
    FAIL: Badge("error", "fix", "✖"),
}
_KINDS = {OK: "ok", WARN: "warn", FAIL: "error"}


def _title(result: HealthResult) -> str:
    problems = result.problems
    if not problems:
        return "Health check: every check passed."
    fix = sum(1 for c in problems if c.status == FAIL)
    look = len(problems) - fix
    counted = ", ".join(
        part
        for part in (f"{fix} to fix (✖)" if fix else "", f"{look} to look at (!)" if look else "")
        if part
    )
    return f"Health check: {counted}. The check itself ran; these are findings, not errors."


def panel(result: HealthResult) -> Panel:
    """The checks, the fixes, the countries, and the saved files."""
    rows = [(BADGES[c.status], c.name, c.summary) for c in result.checks]
    notes = [f"{c.icon} {c.name}: {c.advice}" for c in result.problems if c.advice]
    if result.counts is not None and result.counts.total:
        shown = ", ".join(f"{name} {n:,}" for _, name, n in top_countries(result.counts))
        notes.append(f"Recipients' countries (most messages first): {shown}.")
        notes.append(
            f"Read {result.counts.pages} page(s) of Twilio's message log for the"
            f" {result.window_days:g} days from {result.since:%Y-%m-%d %H:%M} to"
            f" {result.until:%Y-%m-%d %H:%M} UTC, with GET requests only."
        )
    if result.typed:
        notes.append(
            f"Used as typed in the form: {', '.join(result.typed)}. Nothing was saved to the env"
            " file."
        )
    notes += list(result.notes)
    if result.health_file:
        notes.append(f"Saved: {result.health_file} and the run report {result.report_path}.")
    return Panel(
        _KINDS[result.worst], _title(result), rows=rows, notes=notes, columns=("", "Check", "Found")
    )


def page_panel(page: PageRead) -> Panel:
    """A line while the message log is read, one per page (printed as it happens)."""
    return Panel("info", page.line(), live=True)
