"""A practice account's message history: the messages a campaign sent over the past days.

A trainer (or a test) stages what an agency's account looks like after weeks of use, so that a
health check has something to read: ``POST /_sandbox/accounts/{AC}`` with ``message_history``, a
JSON object::

    {"service_sid": "MG...", "days": 7, "seed": 7,
     "mix": {"delivered": 600, "30003": 25, "30005": 15, "30007": 40, "30008": 10, "21610": 12},
     "countries": {"SG": 95, "MY": 3, "GB": 2},
     "senders": {"30007": "GOVSG"}}

``mix``: how many messages end each way: ``delivered``, ``sent`` (no receipt ever came) or a
Twilio error code the sandbox models (``OUTCOME_BY_CODE``). ``countries``: the recipients'
countries by weight (default all Singapore). ``senders``: the sender a code's messages went out
as, when not the service's own (e.g. a protected Sender ID the service held earlier). The
messages are spread over the last ``days`` days, already in their final status, priced as sent
(the balance is not charged again: it is the account's balance today). Recipients of 21610
messages are recorded as having replied STOP to the service, so a new message to them fails the
same way. The messages are the service's: ``GET .../Messages.json`` lists them like any other.
"""

from __future__ import annotations

import json
import random
import sqlite3
from typing import Any

from . import _db, delivery
from .resources.alpha_senders import service_alpha_sender
from .resources.service_numbers import sender_pool

MAX_MESSAGES = 100_000
MAX_DAYS = 90
# The outcome (``delivery``) behind each code a history may hold.
OUTCOME_BY_CODE = {
    "delivered": "delivered",
    "sent": "stuck",
    "30003": "unreachable",
    "30005": "unknown-number",
    "30007": "failed",
    "30008": "undelivered",
    "21610": delivery.OPTED_OUT,
    "30002": delivery.UNFUNDED,
    "30034": "unregistered-10dlc",
}
# A mobile number's first digits in each country the history may use (the rest is random).
_PREFIXES = {
    "SG": ("+658", "+659"),
    "MY": ("+6012", "+6017"),
    "ID": ("+62812",),
    "PH": ("+63917",),
    "GB": ("+447700",),
    "US": ("+1415555",),
    "AU": ("+614",),
    "IN": ("+9198",),
}
_NUMBER_LENGTH = {"SG": 11, "MY": 12, "ID": 13, "PH": 13, "GB": 13, "US": 12, "AU": 12, "IN": 13}
BODY = "Your agency's campaign message (sandbox history)."


class HistoryError(ValueError):
    """A ``message_history`` that cannot be staged; the message says what is expected."""


def parse(text: str) -> dict[str, Any]:
    """The ``message_history`` setting, checked: what it asks for, or HistoryError."""
    try:
        spec = json.loads(text)
    except ValueError:
        raise HistoryError("message_history must be a JSON object") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("mix"), dict):
        raise HistoryError('message_history needs "service_sid" and "mix" (code: count)')
    unknown = set(spec["mix"]) - set(OUTCOME_BY_CODE)
    if unknown:
        raise HistoryError(
            f"mix: unknown outcome {sorted(unknown)[0]!r}; use {list(OUTCOME_BY_CODE)}"
        )
    counts = [spec["mix"][k] for k in spec["mix"]]
    if any(not isinstance(c, int) or c < 0 for c in counts) or sum(counts) > MAX_MESSAGES:
        raise HistoryError(f"mix: whole numbers, {MAX_MESSAGES} messages at most in all")
    days = spec.get("days", 7)
    if not isinstance(days, (int, float)) or not 0 < days <= MAX_DAYS:
        raise HistoryError(f"days must be more than 0 and at most {MAX_DAYS}")
    countries = spec.get("countries") or {"SG": 1}
    if not isinstance(countries, dict) or not set(countries) <= set(_PREFIXES):
        raise HistoryError(f"countries: weights for some of {sorted(_PREFIXES)}")
    return {**spec, "days": float(days), "countries": countries}


def _number(rng: random.Random, iso: str) -> str:
    prefix = rng.choice(_PREFIXES[iso])
    digits = "".join(rng.choice("0123456789") for _ in range(_NUMBER_LENGTH[iso] - len(prefix)))
    number = prefix + digits
    # Not one of the endings that stand for a carrier's answer (delivery.py): the history decides.
    return number if number[-4:] not in ("0003", "0005", "0008", "9999") else number[:-1] + "1"


def _sender(
    code: str, iso: str, alpha: str | None, pool: list[str], senders: dict[str, str]
) -> str:
    if code in senders:
        return str(senders[code])
    if alpha and delivery.alpha_rule(iso) != "not supported":
        return alpha
    return pool[0] if pool else (alpha or "")


def seed(conn: sqlite3.Connection, account_sid: str, spec: dict[str, Any]) -> int:
    """Add the history ``spec`` (``parse``) to the account; returns how many messages."""
    service = conn.execute(
        "SELECT sid FROM services WHERE sid = ? AND account_sid = ?",
        (str(spec.get("service_sid", "")), account_sid),
    ).fetchone()
    if service is None:
        raise HistoryError("service_sid must be one of this account's Messaging Services")
    service_sid = service["sid"]
    alpha, pool = service_alpha_sender(conn, service_sid), sender_pool(conn, service_sid)
    rng = random.Random(spec.get("seed"))
    countries = list(spec["countries"])
    weights = [float(spec["countries"][c]) for c in countries]
    now, span = _db.now(), spec["days"] * 86400.0
    rows = []
    for code, count in spec["mix"].items():
        for _ in range(count):
            iso = rng.choices(countries, weights)[0]
            to = _number(rng, iso)
            sender = _sender(code, iso, alpha, pool, spec.get("senders") or {})
            created = now - 1 - rng.random() * max(span - 1, 0.0)
            if code == "21610":
                delivery.record_opt_out(conn, account_sid, service_sid, to)
            rows.append(
                (_db.new_sid("SM"), account_sid, service_sid, sender, to, BODY, 1)
                + (OUTCOME_BY_CODE[code], 0.0, created)
            )
    conn.executemany(
        "INSERT INTO messages (sid, account_sid, service_sid, sender, to_number, body,"
        " num_segments, outcome, step_seconds, date_created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)
