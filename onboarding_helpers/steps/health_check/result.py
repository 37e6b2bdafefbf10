"""What one health check found, and the file it leaves: ``<state dir>/health-<UTC>.json``.

The file holds the window, the counts as Twilio's list gave them (error codes as strings), each
error code's cause and fix, and every check with its status and advice. It holds SIDs, never a
secret, and phone numbers only masked (``+65 ••••4567``); the text is scrubbed of anything shaped
like a secret before it is written, as the run report is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ...balance import AccountBalance
from ...files import write_atomically
from ...report import scrub
from ...runbook import Runbook
from .checks import FAIL, OK, WARN, Check
from .findings import ErrorFinding, top_countries
from .log import MessageCounts

STAMP = "%Y%m%dT%H%M%SZ"
MOMENT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class HealthResult:
    """The health check's findings: the values' SIDs, the window, the counts, the checks."""

    account_sid: str
    api_key_sid: str
    service_sid: str
    key_type: str
    window_days: float
    since: datetime
    until: datetime
    counts: MessageCounts | None  # None: the key may not read the message log
    errors: tuple[ErrorFinding, ...]
    checks: tuple[Check, ...]
    balance: AccountBalance
    typed: tuple[str, ...] = ()  # the values typed in the form (not read from the env file)
    health_file: str = ""
    report_path: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def worst(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else OK


def _messages_json(counts: MessageCounts | None) -> dict[str, Any]:
    if counts is None:
        return {"read": False, "total": None, "by_status": {}, "by_error": {}}
    rate = counts.delivery_rate
    return {
        "read": True,
        "total": counts.total,
        "by_status": dict(sorted(counts.by_status.items())),
        "by_error": dict(counts.by_error.most_common()),
        "delivered": counts.delivered,
        "delivery_rate": None if rate is None else round(rate, 4),
        "countries": [
            {"iso": iso, "name": name, "messages": n} for iso, name, n in top_countries(counts)
        ],
        "other_services": counts.other_services,
        "list_pages": counts.pages,
    }


def health_json(result: HealthResult, generated: datetime) -> dict[str, Any]:
    """The file's content (no secret, no full phone number)."""
    balance = result.balance
    return {
        "generated": generated.strftime(MOMENT),
        "window_days": result.window_days,
        "window": {"from": result.since.strftime(MOMENT), "to": result.until.strftime(MOMENT)},
        "account_sid": result.account_sid,
        "api_key_sid": result.api_key_sid,
        "messaging_service_sid": result.service_sid,
        "key_type": result.key_type,
        "messages": _messages_json(result.counts),
        "errors": [e.to_json() for e in result.errors],
        "balance": {
            "amount": balance.amount or None,
            "currency": balance.currency or None,
            "low": balance.low,
        },
        "checks": [c.to_json() for c in result.checks],
        "worst": result.worst,
    }


def write_health_file(
    rb: Runbook, result: HealthResult, generated: datetime, secrets: list[str]
) -> Path:
    """Write ``health-<UTC>.json`` in the state folder (0600, atomically); returns its path."""
    folder = Path(rb.settings.state_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"health-{generated.strftime(STAMP)}.json"
    text = json.dumps(health_json(result, generated), indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, scrub(text, [*rb.store.secrets(), *secrets]), 0o600)
    return path
