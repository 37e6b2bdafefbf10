"""HTTP layer of the sandbox: a threaded loopback server, the admin endpoints, the request log.

Standard library only, so ``python -m onboarding_helpers.sandbox serve`` starts in a blink.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import threading
import time
import traceback
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import _api, _db, console, faults

ADMIN_PREFIX = "/_sandbox/"
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")
ACCOUNT_TYPES = ("Full", "Trial")
ACCOUNT_STATUSES = ("active", "suspended", "closed")
# Form fields whose value is never logged, although Twilio requests carry no secrets in bodies.
_SECRET_FIELD = re.compile(r"secret|token|password", re.IGNORECASE)


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------- admin operations


def _iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _split_ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def account_settings(row: sqlite3.Row) -> dict[str, Any]:
    """An account as trainers see it: settings included, auth token left out."""
    return {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "type": row["type"],
        "status": row["status"],
        "protected_sender_ids": _db.loads_list(row["protected_sender_ids"]),
        "filtered_sender_ids": _db.loads_list(row["filtered_sender_ids"]),
        "message_step_seconds": row["message_step_seconds"],
        "date_created": _api.iso8601(row["date_created"]),
        "date_updated": _api.iso8601(row["date_updated"]),
    }


def _account_values(form: dict[str, str]) -> dict[str, Any]:
    allowed = {
        "friendly_name",
        "type",
        "status",
        "protected_sender_ids",
        "filtered_sender_ids",
        "message_step_seconds",
    }
    unknown = set(form) - allowed
    if unknown:
        raise AdminError(400, f"Unknown account settings: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    if "friendly_name" in form:
        values["friendly_name"] = form["friendly_name"][: _api.MAX_FRIENDLY_NAME]
    if "type" in form:
        if form["type"] not in ACCOUNT_TYPES:
            raise AdminError(400, "type must be Full or Trial")
        values["type"] = form["type"]
    if "status" in form:
        if form["status"] not in ACCOUNT_STATUSES:
            raise AdminError(400, "status must be active, suspended or closed")
        values["status"] = form["status"]
    for name in ("protected_sender_ids", "filtered_sender_ids"):
        if name in form:
            values[name] = json.dumps(_split_ids(form[name]))
    if "message_step_seconds" in form:
        try:
            step = float(form["message_step_seconds"])
        except ValueError:
            step = -1.0
        if not 0 <= step <= 86400:
            raise AdminError(400, "message_step_seconds must be a number from 0 to 86400")
        values["message_step_seconds"] = step
    return values


def admin_create_account(conn: sqlite3.Connection, form: dict[str, str]) -> dict[str, str]:
    values = {
        "friendly_name": "Sandbox agency",
        "type": "Full",
        "status": "active",
        "protected_sender_ids": json.dumps(_db.DEFAULT_PROTECTED_SENDER_IDS),
        "filtered_sender_ids": "[]",
        "message_step_seconds": _db.DEFAULT_MESSAGE_STEP_SECONDS,
    }
    values.update(_account_values(form))
    sid, token, ts = _db.new_sid("AC"), _db.new_auth_token(), _db.now()
    conn.execute(
        "INSERT INTO accounts (sid, auth_token, friendly_name, type, status, protected_sender_ids,"
        " filtered_sender_ids, message_step_seconds, date_created, date_updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sid,
            token,
            values["friendly_name"],
            values["type"],
            values["status"],
            values["protected_sender_ids"],
            values["filtered_sender_ids"],
            values["message_step_seconds"],
            ts,
            ts,
        ),
    )
    return {"account_sid": sid, "auth_token": token}


def _account_row(conn: sqlite3.Connection, sid: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM accounts WHERE sid = ?", (sid,)).fetchone()
    if row is None:
        raise AdminError(404, f"No sandbox account {sid}")
    return row


def admin_update_account(
    conn: sqlite3.Connection, sid: str, form: dict[str, str]
) -> dict[str, Any]:
    _account_row(conn, sid)
    values = _account_values(form)
    if values:
        assignments = ", ".join(f"{name} = ?" for name in values)
        conn.execute(
            f"UPDATE accounts SET {assignments}, date_updated = ? WHERE sid = ?",
            (*values.values(), _db.now(), sid),
        )
    return account_settings(_account_row(conn, sid))


def admin_snapshot(conn: sqlite3.Connection, sid: str) -> dict[str, Any]:
    """Everything a trainer may look at for one account; no auth token, no key secret (hash)."""
    account = _account_row(conn, sid)
    keys = conn.execute(
        "SELECT sid, friendly_name, key_type, date_created FROM api_keys WHERE account_sid = ?"
        " ORDER BY date_created, rowid",
        (sid,),
    ).fetchall()
    services = []
    for svc in conn.execute(
        "SELECT * FROM services WHERE account_sid = ? ORDER BY date_created, rowid", (sid,)
    ).fetchall():
        alphas = conn.execute(
            "SELECT * FROM alpha_senders WHERE service_sid = ? ORDER BY rowid", (svc["sid"],)
        ).fetchall()
        numbers = conn.execute(
            _api._SERVICE_NUMBER_SQL + " ORDER BY s.date_created", (svc["sid"],)
        ).fetchall()
        services.append(
            {
                "sid": svc["sid"],
                "friendly_name": svc["friendly_name"],
                "usecase": svc["usecase"],
                "date_created": _api.iso8601(svc["date_created"]),
                "alpha_senders": [
                    {"sid": a["sid"], "alpha_sender": a["alpha_sender"]} for a in alphas
                ],
                "phone_numbers": [
                    {"sid": n["sid"], "phone_number": n["phone_number"]} for n in numbers
                ],
            }
        )
    incoming = conn.execute(
        "SELECT sid, phone_number, friendly_name FROM incoming_numbers WHERE account_sid = ?"
        " ORDER BY date_created, rowid",
        (sid,),
    ).fetchall()
    at = _db.now()
    messages = []
    for msg in conn.execute(
        "SELECT * FROM messages WHERE account_sid = ? ORDER BY date_created, rowid", (sid,)
    ).fetchall():
        state = _api.message_state(msg, at)
        messages.append(
            {
                "sid": msg["sid"],
                "messaging_service_sid": msg["service_sid"],
                "to": msg["to_number"],
                "from": state["from"],
                "body": msg["body"],
                "status": state["status"],
                "error_code": state["error_code"],
                "date_created": _api.iso8601(msg["date_created"]),
            }
        )
    return {
        "account": account_settings(account),
        "keys": [
            {
                "sid": k["sid"],
                "friendly_name": k["friendly_name"],
                "key_type": k["key_type"],
                "date_created": _api.iso8601(k["date_created"]),
            }
            for k in keys
        ],
        "services": services,
        "incoming_phone_numbers": [dict(r) for r in incoming],
        "messages": messages,
    }


def admin_requests(conn: sqlite3.Connection, account_sid: str | None) -> list[dict[str, Any]]:
    if account_sid:
        rows = conn.execute(
            "SELECT * FROM request_log WHERE account_sid = ? ORDER BY id", (account_sid,)
        ).fetchall()
    else:
        rows = conn.execute("SELECT * FROM request_log ORDER BY id").fetchall()
    result = []
    for row in rows:
        item = dict(row)
        item["form"] = json.loads(item["form"])
        result.append(item)
    return result


def _fault_response(fault: faults.Fault) -> _api.Response:
    error = _api.ApiError(fault.status, fault.code, fault.message)
    return _api.Response(fault.status, error.body(), fault.code, dict(fault.headers))


# ---------------------------------------------------------------- HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK's requests session reuses connections
    server_version = "TwilioSandbox/1.0"
    timeout = 60  # idle keep-alive connections give their thread back eventually
    server: _SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add about 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # The request log table is the access log; stderr stays quiet.
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if status == 204 or body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", _db.new_sid("RQ"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _dispatch(self) -> None:
        started = time.perf_counter()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        form = dict(parse_qsl(raw, keep_blank_values=True))
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path.startswith(ADMIN_PREFIX) or parts.path == ADMIN_PREFIX.rstrip("/"):
            self._admin(parts.path, query, form)
            return
        if console.is_console_path(parts.path):
            self._console(parts.path, query, form)
            return
        req = _api.Request(self.command, parts.path, query, form, self.headers.get("Authorization"))
        conn = _db.connect(self.server.db_path)
        # SQLite's busy handler sleeps in steps of up to 100 ms when threads collide; queueing on
        # a lock instead keeps latency low. busy_timeout still covers other processes.
        self.chaos_delay = 0.0
        with self.server.write_lock:
            try:
                resp, ident = self._api_transaction(conn, req, form, parts.query, started)
            finally:
                conn.close()
        if resp.status == 0:  # injected "no answer" (faults.py): close without a word
            self.close_connection = True
            return
        try:
            if self.chaos_delay:  # injected slowness, outside the lock: other requests go on
                time.sleep(self.chaos_delay)
            self._send(resp.status, resp.body, resp.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting, as a slow answer expects

    def _api_transaction(
        self,
        conn: sqlite3.Connection,
        req: _api.Request,
        form: dict[str, str],
        query: str,
        started: float,
    ) -> tuple[_api.Response, _api.Identity]:
        # One write transaction per request: the log row lands with the change it records.
        conn.execute("BEGIN IMMEDIATE")
        # Injected faults (faults.py) are bookkept outside the savepoint, so a refused request
        # still uses one up. Chaos (a random share of requests) goes first.
        hit = self.server.chaos.pick(conn, req.method, req.path)
        fault = hit.fault if hit else None
        fault = fault or faults.before_request(conn, req.method, req.path)
        if fault is not None:
            resp, ident = _fault_response(fault), _api.authenticate(conn, req.authorization)
        else:
            conn.execute("SAVEPOINT handler")
            try:
                resp, ident = _api.handle(conn, req)
            except Exception:
                traceback.print_exc()
                error = _api.ApiError(500, 20500, "Internal Server Error")
                resp, ident = _api.Response(500, error.body(), 20500), _api.Identity("bad")
            if resp.status >= 400:
                conn.execute("ROLLBACK TO handler")
            conn.execute("RELEASE handler")
            fault = faults.after_request(conn, req.method, req.path, resp.status)
            if fault is not None:  # carried out, but the answer is "lost": an error instead
                resp = _fault_response(fault)
            if hit and hit.kind == "lost":  # carried out, then no answer at all
                resp = _api.Response(0)
            self.chaos_delay = hit.delay if hit else 0.0
        logged_form = {k: ("***" if _SECRET_FIELD.search(k) else v) for k, v in form.items()}
        conn.execute(
            "INSERT INTO request_log (time, method, path, query, form, auth_kind,"
            " auth_username, account_sid, user_agent, status, error_code, duration_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _iso_now(),
                req.method,
                req.path,
                query,
                json.dumps(logged_form),
                ident.kind,
                ident.username,
                ident.log_account_sid,
                self.headers.get("User-Agent"),
                resp.status,
                resp.error_code,
                round((time.perf_counter() - started) * 1000, 3),
            ),
        )
        conn.execute("COMMIT")
        return resp, ident

    def _console(self, path: str, query: dict[str, str], form: dict[str, str]) -> None:
        """The trainees' console page (console.py): HTML, not the Twilio API; never logged."""
        page = console.handle(
            self.server.db_path, self.command, path, query, form, self.headers,
            self.client_address[0],
        )  # fmt: skip
        self.send_response(page.status)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)

    def _admin(self, path: str, query: dict[str, str], form: dict[str, str]) -> None:
        if self.client_address[0] not in LOOPBACK:
            self._send(403, {"error": "The sandbox admin API answers loopback callers only"})
            return
        segments = [s for s in path[len(ADMIN_PREFIX) :].split("/") if s]
        method = self.command
        try:
            if segments == ["health"] and method == "GET":
                self._send(
                    200,
                    {
                        "status": "ok",
                        "pid": os.getpid(),
                        "db_path": str(self.server.db_path),
                        "url": self.server.url,
                    },
                )
                return
            conn = _db.connect(self.server.db_path)
            try:
                conn.execute("BEGIN IMMEDIATE" if method == "POST" else "BEGIN")
                status, body = self._admin_route(conn, method, segments, query, form)
                conn.execute("COMMIT")
            finally:
                conn.close()
            self._send(status, body)
        except AdminError as err:
            self._send(err.status, {"error": err.message})

    def _admin_route(
        self,
        conn: sqlite3.Connection,
        method: str,
        segments: list[str],
        query: dict[str, str],
        form: dict[str, str],
    ) -> tuple[int, Any]:
        if segments == ["accounts"] and method == "POST":
            return 201, admin_create_account(conn, form)
        if len(segments) == 2 and segments[0] == "accounts" and method == "POST":
            return 200, admin_update_account(conn, segments[1], form)
        if len(segments) == 3 and segments[::2] == ["accounts", "snapshot"] and method == "GET":
            return 200, admin_snapshot(conn, segments[1])
        if segments == ["requests"] and method == "GET":
            return 200, admin_requests(conn, query.get("account_sid"))
        if segments == ["chaos"]:  # see faults.py
            try:
                if method == "POST":
                    profile = faults.chaos_from_form(form)
                    return 201, self.server.chaos.set_profile(conn, profile)
                if method == "GET":
                    return 200, self.server.chaos.status(conn)
                if method == "DELETE":
                    return 200, self.server.chaos.clear(conn)
            except faults.FaultError as err:
                raise AdminError(400, str(err)) from None
        if segments == ["faults"]:  # see faults.py
            try:
                if method == "POST":
                    return 201, faults.add_fault(conn, form)
                if method == "GET":
                    return 200, faults.list_faults(conn)
                if method == "DELETE":
                    return 200, {"cleared": faults.clear_faults(conn)}
            except faults.FaultError as err:
                raise AdminError(400, str(err)) from None
        raise AdminError(
            404, f"No sandbox admin endpoint {method} {ADMIN_PREFIX}{'/'.join(segments)}"
        )


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    db_path: Path
    url: str
    write_lock: threading.Lock
    chaos: faults.ChaosState


class SandboxServer:
    """A fake Twilio API on 127.0.0.1 whose state lives in the SQLite file ``db_path``."""

    def __init__(self, db_path: str | Path, port: int = 0) -> None:
        self.db_path = Path(db_path).resolve()
        self.port = port
        self._httpd: _SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("The sandbox server is not started")
        return self._httpd.url

    def bind(self) -> SandboxServer:
        """Create the database and listen, without serving yet."""
        if self._httpd is None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            _db.init_db(self.db_path)
            httpd = _SandboxHTTPServer(("127.0.0.1", self.port), _Handler)
            httpd.db_path = self.db_path
            httpd.write_lock = threading.Lock()
            # ONBOARDING_SANDBOX_CHAOS, read once at start (faults.py); a bad value stops here.
            httpd.chaos = faults.ChaosState.from_environment()
            httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
            self._httpd = httpd
        return self

    def start(self) -> SandboxServer:
        """Serve in a daemon thread and return self."""
        self.bind()
        if self._thread is None:
            assert self._httpd is not None
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="twilio-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` or an interrupt."""
        self.bind()
        assert self._httpd is not None
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
