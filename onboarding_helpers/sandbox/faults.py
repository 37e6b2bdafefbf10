"""Injected faults: make the sandbox fail chosen Twilio-API requests, for tests and trainers.

A fault says which requests it hits (``match``: ``"METHOD PATH-REGEX"``, method ``*`` for any,
the regex searched in the URL path), what they get back (``status``, Twilio ``code`` and
``message``), how many matching requests it hits (``times``), and when:

- ``phase="before"`` (default): the request is refused without being carried out, as if Twilio
  had an outage.
- ``phase="after"``: the request is carried out and committed, then the answer is replaced by the
  error, as if the answer was lost on the way back (a key created whose secret never arrives).
- ``after="METHOD PATH-REGEX"``: the fault is armed only once a request matching this has
  succeeded, e.g. "fail the first request after the API key was created"::

      set_faults(url, "* .", status=401, code=20003, after=r"POST /Keys\\.json$")

Faults live in the sandbox's SQLite file (table ``faults``, created on first use), so every
server process on the same file sees them, and they survive a restart until used up or cleared.
They apply to every account on that file. Admin API: ``POST /_sandbox/faults`` (add one),
``GET /_sandbox/faults`` (list), ``DELETE /_sandbox/faults`` (clear all).
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

_TABLE = """
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    code INTEGER NOT NULL,
    message TEXT NOT NULL,
    times INTEGER NOT NULL,
    phase TEXT NOT NULL,
    after_method TEXT,
    after_path TEXT,
    armed INTEGER NOT NULL,
    created REAL NOT NULL
)
"""
_DEFAULT_MESSAGES = {
    400: "Bad request (injected fault)",
    401: "Authenticate",
    403: "Forbidden (injected fault)",
    404: "The requested resource was not found (injected fault)",
    429: "Too Many Requests",
    500: "Internal Server Error (injected fault)",
    503: "Service Unavailable (injected fault)",
}
_DEFAULT_CODES = {401: 20003, 404: 20404, 429: 20429}


class FaultError(ValueError):
    """A fault definition the sandbox cannot use (answered 400 by the admin API)."""


@dataclass(frozen=True)
class Fault:
    id: int
    status: int
    code: int
    message: str


def _parse_match(text: str, field: str) -> tuple[str, str]:
    method, _, path = text.strip().partition(" ")
    method = method.upper() or "*"
    path = path.strip() or "."
    if method != "*" and not method.isalpha():
        raise FaultError(f"{field} must look like 'METHOD PATH-REGEX', e.g. 'GET /Keys'")
    try:
        re.compile(path)
    except re.error as err:
        raise FaultError(f"{field}: the path is not a valid regular expression ({err})") from None
    return method, path


def _int(form: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = form.get(name, "")
    try:
        value = int(raw) if raw != "" else default
    except ValueError:
        raise FaultError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise FaultError(f"{name} must be from {low} to {high}")
    return value


def add_fault(conn: sqlite3.Connection, form: dict[str, str]) -> dict[str, Any]:
    unknown = set(form) - {"match", "status", "code", "message", "times", "phase", "after"}
    if unknown:
        raise FaultError(f"Unknown fault settings: {', '.join(sorted(unknown))}")
    method, path = _parse_match(form.get("match", "* ."), "match")
    status = _int(form, "status", 500, 400, 599)
    code = _int(form, "code", _DEFAULT_CODES.get(status, 20500), 0, 99999)
    message = form.get("message") or _DEFAULT_MESSAGES.get(status, "Injected fault")
    times = _int(form, "times", 1, 1, 1000)
    phase = form.get("phase", "before") or "before"
    if phase not in ("before", "after"):
        raise FaultError("phase must be 'before' or 'after'")
    after_method = after_path = None
    if form.get("after"):
        after_method, after_path = _parse_match(form["after"], "after")
    conn.execute(_TABLE)
    cur = conn.execute(
        "INSERT INTO faults (method, path, status, code, message, times, phase, after_method,"
        " after_path, armed, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            method, path, status, code, message, times, phase, after_method, after_path,
            0 if after_path else 1, time.time(),
        ),
    )  # fmt: skip
    row = conn.execute("SELECT * FROM faults WHERE id = ?", (cur.lastrowid,)).fetchone()
    return _describe(row)


def _describe(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "match": f"{row['method']} {row['path']}",
        "status": row["status"],
        "code": row["code"],
        "message": row["message"],
        "times": row["times"],
        "phase": row["phase"],
        "after": f"{row['after_method']} {row['after_path']}" if row["after_path"] else None,
        "armed": bool(row["armed"]),
    }


def list_faults(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    try:
        rows = conn.execute("SELECT * FROM faults ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # no fault was ever set on this file
        return []
    return [_describe(r) for r in rows]


def clear_faults(conn: sqlite3.Connection) -> int:
    try:
        return conn.execute("DELETE FROM faults").rowcount
    except sqlite3.OperationalError:
        return 0


def _matches(method: str, path: str, want_method: str, want_path: str) -> bool:
    return want_method in ("*", method) and re.search(want_path, path) is not None


def _take(conn: sqlite3.Connection, method: str, path: str, phase: str) -> Fault | None:
    try:
        rows = conn.execute(
            "SELECT * FROM faults WHERE armed = 1 AND phase = ? ORDER BY id", (phase,)
        ).fetchall()
    except sqlite3.OperationalError:  # the table exists only once a fault was set
        return None
    for row in rows:
        if _matches(method, path, row["method"], row["path"]):
            if row["times"] <= 1:
                conn.execute("DELETE FROM faults WHERE id = ?", (row["id"],))
            else:
                conn.execute("UPDATE faults SET times = times - 1 WHERE id = ?", (row["id"],))
            return Fault(row["id"], row["status"], row["code"], row["message"])
    return None


def before_request(conn: sqlite3.Connection, method: str, path: str) -> Fault | None:
    """The fault that refuses this request before it is carried out, if any (used up by one)."""
    return _take(conn, method, path, "before")


def after_request(conn: sqlite3.Connection, method: str, path: str, status: int) -> Fault | None:
    """After a request ran: the fault replacing its answer, if any; then arm waiting faults."""
    fault = _take(conn, method, path, "after") if status < 400 else None
    if status < 400 and fault is None:
        try:
            waiting = conn.execute(
                "SELECT id, after_method, after_path FROM faults WHERE armed = 0"
            ).fetchall()
        except sqlite3.OperationalError:
            return None
        for row in waiting:
            if _matches(method, path, row["after_method"], row["after_path"]):
                conn.execute("UPDATE faults SET armed = 1 WHERE id = ?", (row["id"],))
    return fault
