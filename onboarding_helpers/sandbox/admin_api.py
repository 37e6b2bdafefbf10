"""The sandbox's admin API (``/_sandbox/...``), for trainers and tests, never for trainees.

Requests come only from loopback, with a local Host and, if any, a same-origin Origin (else 403:
``_http.local_refusal``). ``GET /_sandbox/health`` is open; everything else needs ``Authorization:
Bearer <trainer token>`` (else 401), and Twilio credentials never open it. Health with
``?challenge=<fresh random>`` adds ``proof``, HMAC-SHA256 keyed with the token over the challenge
and this server's address (``_http.token_proof``): the client sends the token only after checking
it, on the same connection (``admin.py``). Endpoints:

- ``POST /_sandbox/accounts`` (new practice account), ``POST /_sandbox/accounts/{AC}`` (its
  settings), ``GET /_sandbox/accounts/{AC}/snapshot``, ``GET /_sandbox/requests[?account_sid=AC]``
  (see ``admin_accounts.py``);
- ``POST|GET|DELETE /_sandbox/faults`` and ``/_sandbox/chaos`` (see ``faults.py``).

Answers are JSON; a refusal is ``{"error": "..."}``. The Python client is ``admin.py``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from . import _db, _http, faults
from .admin_accounts import (
    AdminError,
    admin_create_account,
    admin_requests,
    admin_snapshot,
    admin_update_account,
)

ADMIN_PREFIX = "/_sandbox/"
TOKEN_NEEDED = (
    "The sandbox admin API needs the trainer token (trainer.token beside the sandbox's database),"
    " sent as 'Authorization: Bearer <token>'. The trainer prints it with: python -m"
    " onboarding_helpers.sandbox token --dir <sandbox folder>."
)


class SandboxState(Protocol):
    """What the admin API needs of the running server."""

    db_path: Path
    trainer_token: str
    url: str
    chaos: faults.ChaosState


@dataclass
class AdminRequest:
    method: str
    path: str
    query: Mapping[str, str]
    form: dict[str, str]
    headers: Mapping[str, str]
    client_host: str


@dataclass
class AdminAnswer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def is_admin_path(path: str) -> bool:
    return path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/")


def handle(server: SandboxState, req: AdminRequest) -> AdminAnswer:
    """Answer one admin request."""
    # Host and Origin first, health included: a DNS-rebinding page learns nothing.
    refusal = _http.local_refusal(req.headers, req.client_host)
    if refusal:
        return AdminAnswer(403, {"error": refusal})
    segments = [s for s in req.path[len(ADMIN_PREFIX) :].split("/") if s]
    if segments == ["health"] and req.method == "GET":
        return _health(server, req.query.get("challenge"))
    # Only the trainer token opens the rest; Twilio credentials (Basic) never do.
    if not _http.token_matches(server.trainer_token, _http.bearer_token(req.headers)):
        return AdminAnswer(401, {"error": TOKEN_NEEDED}, {"WWW-Authenticate": "Bearer"})
    try:
        conn = _db.connect(server.db_path)
        try:
            conn.execute("BEGIN IMMEDIATE" if req.method == "POST" else "BEGIN")
            status, body = _route(server, conn, req.method, segments, req)
            conn.execute("COMMIT")
        finally:
            conn.close()  # without COMMIT (a refusal): nothing written
        return AdminAnswer(status, body)
    except AdminError as err:
        return AdminAnswer(err.status, {"error": err.message})


def _health(server: SandboxState, challenge: str | None) -> AdminAnswer:
    """Open to local callers. With ``?challenge=``, also this server's proof that it holds the
    trainer token (``_http.token_proof``, bound to its address): the admin client checks it
    before it sends the token, so a program that took the port first never receives it."""
    answer = {"status": "ok", "pid": os.getpid(), "db_path": str(server.db_path), "url": server.url}
    if challenge is None:
        return AdminAnswer(200, answer)
    if not _http.valid_challenge(challenge):
        return AdminAnswer(400, {"error": _http.CHALLENGE_FORMAT})
    host, port = urlsplit(server.url).hostname or "", urlsplit(server.url).port or 0
    proof = _http.token_proof(server.trainer_token, challenge, host, port)
    return AdminAnswer(200, {**answer, "proof": proof})


def _route(
    server: SandboxState,
    conn: sqlite3.Connection,
    method: str,
    segments: list[str],
    req: AdminRequest,
) -> tuple[int, Any]:
    form = req.form
    if segments == ["accounts"] and method == "POST":
        return 201, admin_create_account(conn, form)
    if len(segments) == 2 and segments[0] == "accounts" and method == "POST":
        return 200, admin_update_account(conn, segments[1], form)
    if len(segments) == 3 and segments[::2] == ["accounts", "snapshot"] and method == "GET":
        return 200, admin_snapshot(conn, segments[1])
    if segments == ["requests"] and method == "GET":
        return 200, admin_requests(conn, req.query.get("account_sid"))
    answer = None
    try:
        if segments == ["chaos"]:
            answer = _chaos(server.chaos, conn, method, form)
        elif segments == ["faults"]:
            answer = _faults(conn, method, form)
    except faults.FaultError as err:
        raise AdminError(400, str(err)) from None
    if answer is not None:
        return answer
    raise AdminError(404, f"No sandbox admin endpoint {method} {ADMIN_PREFIX}{'/'.join(segments)}")


def _chaos(
    chaos: faults.ChaosState, conn: sqlite3.Connection, method: str, form: dict[str, str]
) -> tuple[int, Any] | None:
    if method == "POST":
        return 201, chaos.set_profile(conn, faults.chaos_from_form(form))
    if method == "GET":
        return 200, chaos.status(conn)
    if method == "DELETE":
        return 200, chaos.clear(conn)
    return None


def _faults(conn: sqlite3.Connection, method: str, form: dict[str, str]) -> tuple[int, Any] | None:
    if method == "POST":
        return 201, faults.add_fault(conn, form)
    if method == "GET":
        return 200, faults.list_faults(conn)
    if method == "DELETE":
        return 200, {"cleared": faults.clear_faults(conn)}
    return None
