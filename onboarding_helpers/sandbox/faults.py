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
``GET /_sandbox/faults`` (list), ``DELETE /_sandbox/faults`` (clear all). ``status=0`` means no
answer at all: the connection is closed, before the work (``phase="before"``) or after it was
committed (``phase="after"``: the worst case, a create made whose answer never arrives).

Chaos: a random share of requests fails
---------------------------------------

A chaos profile faults a chosen ``rate`` (0 to 1) of all Twilio-API requests (admin calls never),
each with one of its ``kinds``, picked at random:

- ``429``: refused with 429/20429 and ``Retry-After`` (``retry_after`` seconds, default 1);
- ``500``: refused with 500/20500, nothing done (the client cannot know that);
- ``503``: refused with 503/20503 and ``Retry-After``, nothing done;
- ``slow``: carried out at once, but the answer is held back ``slow_seconds`` (default 20, longer
  than the gateway's 15 s timeout), so the client times out on a request that did happen;
- ``drop``: the connection is closed without an answer, before anything is done;
- ``lost``: carried out and committed, then the connection is closed without an answer. On a
  create this is the worst case: the client sees a connection error on a POST that worked.

``seed`` makes the sequence of decisions reproducible (one random generator per server process,
drawn once per request in arrival order). Two ways to switch it on:

- by environment, read when a server starts (``SandboxServer.bind``; the runner's own server
  too): ``ONBOARDING_SANDBOX_CHAOS="rate=0.2;kinds=429,500,503,slow,drop,lost;seed=7"``
  (optional ``slow_seconds=3``, ``retry_after=1``). It holds for that server process only;
- by the admin API, for every server on the file until cleared: ``POST /_sandbox/chaos`` (form
  fields as above, ``kinds`` comma-separated), ``GET /_sandbox/chaos`` (the active profile and
  counts), ``DELETE /_sandbox/chaos`` (switch off, the environment's profile included).
  Python: ``set_chaos(url, rate=0.2, kinds=("lost",), seed=7)``, ``chaos_status(url)``,
  ``clear_chaos(url)``.

Every request a profile sees is counted in the table ``chaos_events`` (kind NULL when it was let
through), so ``chaos_stats`` tells how many were faulted and how: the actual fault rate. The
request log shows what the client got: status 0 for ``drop`` and ``lost`` (no answer).
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Mapping
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
    status: int  # 0: no answer, the connection is closed
    code: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()


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
    status = _int(form, "status", 500, 0, 599)
    if 0 < status < 400:
        raise FaultError("status must be 0 (no answer: the connection is closed) or 400 to 599")
    code = _int(form, "code", _DEFAULT_CODES.get(status, 20500), 0, 99999)
    message = form.get("message") or _DEFAULT_MESSAGES.get(status, "Injected fault")
    if status == 0:
        code, message = 0, "No answer (injected fault: connection closed)"
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
            method,
            path,
            status,
            code,
            message,
            times,
            phase,
            after_method,
            after_path,
            0 if after_path else 1,
            time.time(),
        ),
    )
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


# ---------------------------------------------------------------- chaos


ENV_VAR = "ONBOARDING_SANDBOX_CHAOS"
KINDS = ("429", "500", "503", "slow", "drop", "lost")
_CHAOS_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS chaos_profile (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        rate REAL NOT NULL,
        kinds TEXT NOT NULL,
        seed INTEGER,
        slow_seconds REAL NOT NULL,
        retry_after INTEGER NOT NULL,
        created REAL NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS chaos_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time REAL NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        kind TEXT
    )
    """,
)
_CHAOS_ANSWERS = {
    "429": (429, 20429, "Too Many Requests (injected chaos)"),
    "500": (500, 20500, "Internal Server Error (injected chaos)"),
    "503": (503, 20503, "Service Unavailable (injected chaos)"),
    "drop": (0, 0, "No answer (injected chaos: connection closed)"),
}


@dataclass(frozen=True)
class ChaosProfile:
    """Fault ``rate`` of requests, each with one of ``kinds`` (see the module docstring)."""

    rate: float
    kinds: tuple[str, ...] = KINDS
    seed: int | None = None
    slow_seconds: float = 20.0
    retry_after: int = 1

    def describe(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "seed": self.seed,
            "slow_seconds": self.slow_seconds,
            "retry_after": self.retry_after,
        }


@dataclass(frozen=True)
class ChaosHit:
    """What chaos does to one request: ``fault`` answers instead of the work (429/500/503,
    ``drop`` as status 0); ``lost`` drops the answer after the work; ``slow`` delays it."""

    kind: str
    fault: Fault | None = None
    delay: float = 0.0


def _number(raw: str, name: str, kind: type, low: float, high: float) -> Any:
    try:
        value = kind(raw)
    except ValueError:
        raise FaultError(f"chaos {name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise FaultError(f"chaos {name} must be from {low:g} to {high:g}")
    return value


def chaos_from_form(form: Mapping[str, str]) -> ChaosProfile:
    """A profile from admin-form or environment fields; FaultError says what is wrong."""
    unknown = set(form) - {"rate", "kinds", "seed", "slow_seconds", "retry_after"}
    if unknown:
        raise FaultError(f"Unknown chaos settings: {', '.join(sorted(unknown))}")
    if "rate" not in form:
        raise FaultError("chaos needs a rate, from 0 to 1 (e.g. rate=0.2)")
    rate = _number(form["rate"], "rate", float, 0.0, 1.0)
    kinds = tuple(k.strip().lower() for k in form.get("kinds", ",".join(KINDS)).split(","))
    kinds = tuple(dict.fromkeys(k for k in kinds if k))
    wrong = [k for k in kinds if k not in KINDS]
    if wrong or not kinds:
        raise FaultError(f"chaos kinds must be some of {', '.join(KINDS)} (got {wrong or 'none'})")
    seed = _number(form["seed"], "seed", int, 0, 2**63 - 1) if form.get("seed") else None
    slow = _number(form.get("slow_seconds") or "20", "slow_seconds", float, 0.0, 300.0)
    retry_after = _number(form.get("retry_after") or "1", "retry_after", int, 0, 60)
    return ChaosProfile(rate, kinds, seed, slow, retry_after)


def parse_chaos(text: str) -> ChaosProfile:
    """``"rate=0.2;kinds=429,500,503,slow,drop,lost;seed=7;slow_seconds=3"`` as a profile."""
    form: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise FaultError(f"{ENV_VAR}: '{part.strip()}' is not name=value")
        form[name.strip()] = value.strip()
    try:
        return chaos_from_form(form)
    except FaultError as err:
        raise FaultError(f"{ENV_VAR}: {err}") from None


def _chaos_tables(conn: sqlite3.Connection) -> None:
    for sql in _CHAOS_TABLES:
        conn.execute(sql)


def _stored_profile(conn: sqlite3.Connection) -> tuple[ChaosProfile, float] | None:
    try:
        row = conn.execute("SELECT * FROM chaos_profile WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # never set on this file
        return None
    if row is None:
        return None
    kinds = tuple(row["kinds"].split(","))
    profile = ChaosProfile(row["rate"], kinds, row["seed"], row["slow_seconds"], row["retry_after"])
    return profile, row["created"]


class ChaosState:
    """One server's view of chaos: the environment's profile, and a random generator per
    profile. Used under the server's write lock, inside the request's transaction."""

    def __init__(self, env_profile: ChaosProfile | None = None) -> None:
        self.env_profile = env_profile
        self._rngs: dict[Any, random.Random] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ChaosState:
        text = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        return cls(parse_chaos(text) if text else None)

    def active(self, conn: sqlite3.Connection) -> tuple[ChaosProfile, str] | None:
        """The profile in force and where it came from ("environment" or "admin")."""
        if self.env_profile is not None:
            return self.env_profile, "environment"
        stored = _stored_profile(conn)
        return (stored[0], "admin") if stored else None

    def _rng(self, key: Any, seed: int | None) -> random.Random:
        with self._lock:
            if key not in self._rngs:
                self._rngs[key] = random.Random(seed)
            return self._rngs[key]

    def pick(self, conn: sqlite3.Connection, method: str, path: str) -> ChaosHit | None:
        """Decide this request's fate and count it; None when it goes through untouched."""
        if self.env_profile is not None:
            profile, key = self.env_profile, ("environment", id(self.env_profile))
        else:
            stored = _stored_profile(conn)
            if stored is None:
                return None
            profile, key = stored[0], ("admin", stored[1])
        rng = self._rng(key, profile.seed)
        # Two draws per request whatever the outcome, so a seed replays the same sequence.
        roll, choice = rng.random(), rng.choice(profile.kinds)
        kind = choice if roll < profile.rate else None
        _chaos_tables(conn)
        conn.execute(
            "INSERT INTO chaos_events (time, method, path, kind) VALUES (?, ?, ?, ?)",
            (time.time(), method, path, kind),
        )
        if kind is None:
            return None
        if kind in _CHAOS_ANSWERS:
            status, code, message = _CHAOS_ANSWERS[kind]
            headers = (("Retry-After", str(profile.retry_after)),) if status in (429, 503) else ()
            return ChaosHit(kind, Fault(0, status, code, message, headers))
        return ChaosHit(kind, delay=profile.slow_seconds if kind == "slow" else 0.0)

    def set_profile(self, conn: sqlite3.Connection, profile: ChaosProfile) -> dict[str, Any]:
        """Store an admin profile for every server on this file; counting starts afresh."""
        _chaos_tables(conn)
        conn.execute("DELETE FROM chaos_profile")
        conn.execute("DELETE FROM chaos_events")
        conn.execute(
            "INSERT INTO chaos_profile (id, rate, kinds, seed, slow_seconds, retry_after, created)"
            " VALUES (1, ?, ?, ?, ?, ?, ?)",
            (
                profile.rate,
                ",".join(profile.kinds),
                profile.seed,
                profile.slow_seconds,
                profile.retry_after,
                time.time(),
            ),
        )
        # An admin profile is meant to be the one in force, even over the environment's.
        self.env_profile = None
        return self.status(conn)

    def clear(self, conn: sqlite3.Connection) -> dict[str, Any]:
        """Switch chaos off (both sources); the counts stay readable."""
        self.env_profile = None
        try:
            conn.execute("DELETE FROM chaos_profile")
        except sqlite3.OperationalError:
            pass
        return self.status(conn)

    def status(self, conn: sqlite3.Connection) -> dict[str, Any]:
        active = self.active(conn)
        return {
            "profile": active[0].describe() if active else None,
            "source": active[1] if active else None,
            **chaos_stats(conn),
        }


def chaos_stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """How many requests chaos saw and faulted, by kind, on this file."""
    try:
        rows = conn.execute("SELECT kind, COUNT(*) AS n FROM chaos_events GROUP BY kind").fetchall()
    except sqlite3.OperationalError:
        rows = []
    counts = {row["kind"]: row["n"] for row in rows}
    seen = sum(counts.values())
    injected = {k: counts[k] for k in KINDS if counts.get(k)}
    faulted = sum(injected.values())
    return {
        "seen": seen,
        "faulted": faulted,
        "injected": injected,
        "actual_rate": round(faulted / seen, 4) if seen else 0.0,
    }
