"""Step 07's panels: the new key (secret masked) and where it goes in the Postman in use; then the
finished rotation. Keys the run could not account for are listed in both."""

from __future__ import annotations

from ...display import Panel
from ...validation import API_KEYS_CONSOLE
from ..api_key import KeyInfo
from ..handoff import PanelGroup
from .check import CheckOutcome
from .job import RotationResult
from .state import FINISHED
from .where import V2

POSTMAN_NAMES = {"legacy": "legacy Postman (Settings > Credentials)", V2: "Postman v2 campaigns"}


def _check_text(check: CheckOutcome, service_sid: str) -> str:
    if check.check == "passed" and check.delivery == "stands":
        return f"passed earlier (message {check.message_sid}); nothing sent again"
    if check.check == "passed":
        return (
            f"passed: {check.message_sid} to {check.to}, sent with the new key and From ="
            f" {service_sid}, as Postman sends; delivery: {check.delivery}"
        )
    if check.check == "key check passed":
        return "the new key fetched the Messaging Service (no SMS: no test_phone)"
    return "not run (no Messaging Service saved yet)"


def _key_rows(result: RotationResult) -> list[tuple[str, str]]:
    def row(label: str, key: KeyInfo) -> tuple[str, str]:
        return label, f"{key.sid}  {key.friendly_name or '(no name)'}"

    rows = [row("orphan key (no secret)", k) for k in result.orphans]
    rows += [row("replaced key (still works)", k) for k in result.old_keys]
    rows += [row("key not made by the runbook", k) for k in result.other_keys]
    return rows


def _finished(result: RotationResult) -> Panel:
    rows = [
        ("API Key SID", result.new_key_sid),
        ("API Secret", f"{result.secret_masked}  (in {result.env_file})"),
        ("Key type", result.key_type.capitalize()),
        ("Old API key", f"{result.old_key_sid}  revoked: Twilio refuses it from now on"),
    ]
    notes = list(result.notes)
    if result.other_keys:
        notes.append(
            "Keys not made by the runbook may belong to other systems: revoke one in the console"
            f" ({API_KEYS_CONSOLE}) only if you know it is unused."
        )
    return Panel(
        "ok",
        "Rotation finished: the old key is revoked and Postman uses the new one.",
        rows=rows + _key_rows(result),
        notes=notes,
    )


def _waiting(result: RotationResult) -> Panel:
    check = result.check
    kind = "ok" if check.check in ("passed", "key check passed") and not check.warnings else "warn"
    made = "made, saved" if result.created else "saved"
    rows = [
        ("API Key SID", f"{result.new_key_sid}  (new)"),
        ("API Secret", f"{result.secret_masked}  (new; in {result.env_file})"),
        ("Key type", result.key_type.capitalize()),
        ("Account SID", result.account_sid),
        ("Messaging Service ID", result.service_sid or "(none saved yet)"),
        ("Old API key", f"{result.old_key_sid}  still works until you finish the rotation"),
        ("Old pair kept in", result.backup or "the env file's dated backups beside it"),
        ("Checked like Postman", _check_text(check, result.service_sid)),
    ]
    notes = [f"Warning: {w}" for w in check.warnings] + list(result.notes)
    return Panel(
        kind,
        f"New API key {made} and checked. Put it into Postman, then finish the rotation.",
        rows=rows + _key_rows(result),
        notes=notes,
    )


def where_panel(result: RotationResult) -> Panel:
    """What to do in the Postman in use, then how to finish."""
    steps = [f"{n}. {line}" for n, line in enumerate(result.where, start=1)]
    steps.append(
        f"{len(steps) + 1}. Only then finish the rotation: tick 'Postman uses the new key' and"
        " press the button again (headless: run this step with postman_updated True). It checks"
        " the new key again, then revokes the old one."
    )
    steps.append(
        "The API Secret is shown masked: take it from the env file, or in the form use the"
        " reveal button, which shows it for a few seconds and never saves it."
    )
    return Panel("info", f"Where the new values go: {POSTMAN_NAMES[result.postman]}", notes=steps)


def panel(result: RotationResult) -> Panel:
    """Phase one: the new key and where it goes. Phase two: the finished rotation."""
    if result.phase == FINISHED:
        return _finished(result)
    return PanelGroup([_waiting(result), where_panel(result)])
