"""The run report: a short Markdown file of what was checked and created, to attach to a ticket.

Written by step 06 to ``<state_dir>/report-<UTC stamp>.md``. Its first table is the hand-off card
for the Postman step 00 recorded (legacy: the credential label and the four values; v2: channel
type Internal Staff, the four values and the Expected Sender Name), followed by the balance step
01 read and whether the Auth Token is still in the env file. It holds SIDs, statuses, timestamps
and the journal's actions, never a secret: the values come from the progress record and journal
(which refuse secret-looking values) and the SIDs in the env file, and the text is scrubbed once
more of every secret the env file holds before it is written.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    CredentialStore,
    mask,
)
from .errors import InputError
from .files import make_folder, write_atomically
from .journal import HandoffRecord, HealthRecord
from .progress import ProgressRecord
from .runbook import Runbook
from .steps.registry import ACCOUNT, HANDOFF, HEALTH_CHECK, STEPS
from .which_postman import CHANNEL_TYPE, LEGACY, POSTMANS, V2

_SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")


def report_path(state_dir: Path, when: datetime | None = None) -> Path:
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return Path(state_dir) / f"report-{stamp}.md"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value) or "-"
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _details(entry: dict[str, Any], skip: tuple[str, ...]) -> str:
    """A record's or event's fields, sorted, as one table cell (``skip``: those in other cells)."""
    parts = [f"{k}: {_cell(v)}" for k, v in sorted(entry.items()) if k not in skip]
    return "; ".join(parts) or "-"


def scrub(text: str, secrets: list[str]) -> str:
    """Replace every known secret, and anything shaped like one, by its masked form."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, mask(secret))
    return _SECRET_LIKE.sub(lambda m: mask(m.group(0)), text)


def _value_rows(
    handoff: HandoffRecord, values: dict[str, str], api_secret: str
) -> list[tuple[str, str]]:
    """(Postman field, value) for the Postman the card was made for. ``api_secret``: what to
    show for the secret (masked, or where it is), never the secret."""
    four = [
        ("Account SID", values.get(ACCOUNT_SID, "")),
        ("API Key SID", values.get(API_KEY_SID, "")),
        ("API Secret", api_secret),
        ("Messaging Service ID", values.get(MESSAGING_SERVICE_SID, "")),
    ]
    if handoff.postman == V2:
        sender = handoff.expected_sender_name or "(your registered Sender ID)"
        return [("Channel type", CHANNEL_TYPE), *four, ("Expected Sender Name", sender)]
    return [("Credential label (suggested)", handoff.credential_label), *four]


def _postman_lines(rb: Runbook, handoff: HandoffRecord) -> list[str]:
    """The four values for Postman (never the secret) and how step 06's check went."""
    values = rb.store.values()
    kind = POSTMANS.get(handoff.postman or LEGACY, POSTMANS[LEGACY])
    lines = [
        "## The values for Postman",
        "",
        f"For {kind.title}, at {kind.address}. {kind.where_values_go}",
        "",
        "| Postman field | Value |",
        "|---|---|",
    ]
    elsewhere = "not in this report: it is in the credential store only"
    for name, value in _value_rows(handoff, values, elsewhere):
        shown = value if value == elsewhere else f"`{_cell(value)}`"
        lines.append(f"| {name} | {shown} |")
    lines += ["", f"Postman-equivalent check: **{_cell(handoff.postman_check or 'not run yet')}**"]
    if handoff.postman_message_sid:
        lines.append(
            f"(message {handoff.postman_message_sid}, API-key authentication, `From` = the"
            f" Messaging Service SID; delivery: {_cell(_delivery_words(handoff.delivery))})"
        )
    return lines + ["", *_account_lines(rb)]


def _delivery_words(delivery: str) -> str:
    return "sent, carrier did not confirm" if delivery == "sent-not-confirmed" else delivery


def _account_lines(rb: Runbook) -> list[str]:
    """The prepaid balance step 01 read, and whether the Auth Token is still in the env file."""
    account = rb.progress.read(ACCOUNT)
    lines = []
    if account.balance:
        low = " (low: top it up before a campaign)" if account.balance_low else ""
        lines.append(
            f"- Balance when step 01 ran: {_cell(account.currency)} {_cell(account.balance)}{low}."
            " Twilio is prepaid: campaigns stop when it runs out; set up auto-recharge or a"
            " low-balance alert in the console (Billing)."
        )
    if rb.store.get(AUTH_TOKEN):
        lines.append(
            f"- The Auth Token is still in the credential store ({AUTH_TOKEN}). Postman never"
            " needs it: remove it with step 06 (forget_auth_token) once the values are proven."
        )
    else:
        kept = [c.name for c in rb.store.copies() if AUTH_TOKEN in _names_in(c)]
        where = (
            f", but {len(kept)} backup(s) beside it still do ({', '.join(kept)}): step 06 with"
            " forget_auth_token removes it from them too."
            if kept
            else ", nor does any backup beside it."
        )
        lines.append(f"- The credential store holds no Auth Token ({AUTH_TOKEN}){where}")
    return lines


def _names_in(copy: Path) -> set[str]:
    try:
        return set(CredentialStore(copy).values())
    except (InputError, OSError):
        return set()


def _step_lines(progress: ProgressRecord) -> list[str]:
    """One row per step of the registry: its last record, or that it has not run."""
    lines = [
        "## Steps",
        "",
        "| Step | Status | When (UTC) | Results |",
        "|---|---|---|---|",
    ]
    for step in STEPS:
        record = progress.read(step)
        if not record.status:
            status = "optional, not taken" if step.optional else "not run"
            lines.append(f"| {step.id} | {status} | - | - |")
            continue
        details = _details(record.to_json(), ("status", "at"))
        lines.append(f"| {step.id} | {record.status} | {record.at or '-'} | {details} |")
    return lines


def _journal_lines(progress: ProgressRecord) -> list[str]:
    """One row per journal event, oldest first, each with its action's text."""
    lines = [
        "## Actions (journal)",
        "",
        "| When (UTC) | Step | Action | Details |",
        "|---|---|---|---|",
    ]
    for event in progress.events():
        details = _details(event.to_json(), ("at", "step", "action"))
        lines.append(
            f"| {_cell(event.at)} | {_cell(event.step)} | {_cell(event.action)} | {details} |"
        )
    return lines


_MARKS = {"ok": "✔", "warn": "!", "fail": "✖"}


def _health_lines(progress: ProgressRecord) -> list[str]:
    """The last health check (step 08), when one ran: what it read and every check, from its
    findings file (``health-<UTC>.json``); nothing when none ran."""
    record: HealthRecord = progress.read(HEALTH_CHECK)
    if not record.done:
        return []
    read = record.reading()
    lines = [
        "## Health check",
        "",
        f"Step {HEALTH_CHECK.number} at {record.at}, with the API key {record.api_key_sid} only"
        f" (read-only): the Messaging Service {record.service_sid}, {read}. Findings:"
        f" `{record.health_file}`.",
        "",
        "| | Check | Found | What to do |",
        "|---|---|---|---|",
    ]
    try:
        data = json.loads(Path(record.health_file).read_text(encoding="utf-8"))
        checks = [c for c in data["checks"] if isinstance(c, dict)]
    except (OSError, ValueError, KeyError, TypeError):
        return [*lines[:3], "The findings file could not be read: run the check again.", ""]
    for c in checks:
        mark = _MARKS.get(str(c.get("status")), "?")
        cells = (_cell(c.get("name")), _cell(c.get("summary")), _cell(c.get("advice")))
        lines.append(f"| {mark} | {cells[0]} | {cells[1]} | {cells[2]} |")
    return [*lines, ""]


def build_report(rb: Runbook, *, generated: datetime | None = None) -> str:
    """The report's Markdown text (no secret)."""
    generated = generated or datetime.now(timezone.utc)
    lines = [
        "# Postman SMS onboarding: run report",
        "",
        f"- Generated: {generated.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"- Mode: {rb.settings.mode}",
        f"- Credential store: `{rb.store.path}` (the API secret and Auth Token stay there)",
        "",
        *_postman_lines(rb, rb.progress.read(HANDOFF)),
        "",
        *_health_lines(rb.progress),
        *_step_lines(rb.progress),
        "",
        *_journal_lines(rb.progress),
        "",
        "This report holds identifiers (SIDs) and outcomes only. It contains no Auth Token and no",
        "API secret, and phone numbers appear with their last four digits only.",
        "",
    ]
    return scrub("\n".join(lines), rb.store.secrets())


def write_report(rb: Runbook, path: Path | None = None) -> Path:
    """Write the report (atomically) and return its path."""
    path = Path(path) if path else report_path(rb.settings.state_dir)
    text = build_report(rb)
    make_folder(path.parent, "state_dir")
    # Holds no secret, but account ids and masked numbers: the user's alone, like every file a
    # run writes; share it on purpose.
    write_atomically(path, text, 0o600, field="state_dir")
    return path


def handoff_summary(
    env_file: str | os.PathLike[str], state_dir: str | os.PathLike[str]
) -> list[str]:
    """Lines for a terminal after a run: the masked hand-off card and the report's path.

    Empty when step 06 has not run. For the runner's closing output (``make demo``).
    """
    record: HandoffRecord = ProgressRecord(state_dir).read(HANDOFF)
    if not record.status:
        return []
    store = CredentialStore(env_file)
    values = store.values()
    masked = mask(values.get(API_KEY_SECRET))
    rows = [(name, value or "(not set)") for name, value in _value_rows(record, values, masked)]
    width = max(len(k) for k, _ in rows)
    if record.postman == V2:
        where = f"Hand-off card for Postman v2 (each campaign, channel type {CHANNEL_TYPE}):"
    else:
        where = "Hand-off card for Postman (legacy.postman.gov.sg, Settings > Credentials > SMS):"
    lines = [where]
    lines += [f"    {k:<{width}}  {v}" for k, v in rows]
    lines.append(f"Postman-equivalent check: {record.postman_check or 'not run'}")
    if not store.get(AUTH_TOKEN):
        lines.append(f"{AUTH_TOKEN} is not in the env file.")
    if record.report_path:
        lines.append(f"Run report: {record.report_path}")
    return [scrub(line, store.secrets()) for line in lines]
