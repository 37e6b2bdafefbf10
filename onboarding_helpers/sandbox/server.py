"""HTTP layer of the sandbox: a threaded loopback server, one transaction per Twilio API
request, the request log, and ``SandboxServer`` to run it.

A request goes to the admin API (``/_sandbox/...``, ``admin_api.py``), the console
(``/console``, ``console.py``) or the fake Twilio API (``routing.py``). The Twilio API paths
answer any Host (the SDK sends the host it was rewritten to); the admin API and the console
answer only local names and same-origin requests (``_http.local_refusal``). Every request's
framing is checked before its body is read (``_http.body_length``). Standard library only, so
``python -m onboarding_helpers.sandbox serve`` starts in a blink.
"""

from __future__ import annotations

import contextlib
import json
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

from . import _db, _http, admin, admin_api, console, faults, routing
from .auth import Identity, authenticate
from .wire import ApiError, Request, Response, internal_error

# Form fields whose value is never logged, although Twilio requests carry no secrets in bodies.
_SECRET_FIELD = re.compile(r"secret|token|password", re.IGNORECASE)


def _iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _fault_response(fault: faults.Fault) -> Response:
    return ApiError(fault.status, fault.code, fault.message).response(dict(fault.headers))


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

    def handle(self) -> None:
        # A client that hangs up mid-connection (a closed tab, an SDK timeout) is not a server
        # fault: no traceback. Other exceptions still reach socketserver's handle_error.
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # The request log table is the access log; stderr stays quiet.
        return

    def handle_expect_100(self) -> bool:
        # No "100 Continue" for a body that will be refused: the client need not send it.
        try:
            _http.body_length(self.headers)
        except _http.FramingError:
            return True
        return super().handle_expect_100()

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

    def _send_page(self, page: console.Page) -> None:
        self.send_response(page.status)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)

    def _read_body(self, path: str) -> str | None:
        """The body as text, or None once a request that cannot be read safely was answered."""
        try:
            length = _http.body_length(self.headers)
        except _http.FramingError as err:
            self._refuse(path, err.status, err.message)
            return None
        try:
            data: bytes | None = self.rfile.read(length) if length else b""
        except OSError:  # timed out or reset mid-body
            data = None
        if data is None or len(data) < length:
            self.close_connection = True  # the client stopped mid-body: nobody to answer
            return None
        return data.decode("utf-8", "replace")

    def _refuse(self, path: str, status: int, message: str) -> None:
        """Answer a request whose body is not read, then close: its bytes cannot be skipped."""
        self.close_connection = True
        close = {"Connection": "close"}
        with contextlib.suppress(OSError):  # the client may be gone already
            if admin_api.is_admin_path(path):
                self._send(status, {"error": message}, close)
            elif console.is_console_path(path):
                page = console.text_page(status, message)
                page.headers.update(close)
                self._send_page(page)
            else:  # Twilio's error shape, as the SDK expects; 20001 is "Invalid parameter"
                self._send(status, ApiError(status, 20001, message).body(), close)
            self._linger()

    def _linger(self) -> None:
        # Closing a socket with unread data makes the kernel send a reset, which can destroy the
        # answer before the client reads it. So stop writing, and drop what still arrives for a
        # moment (bounded in time and bytes) before the server closes the connection.
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(0.2)
        deadline, dropped = time.monotonic() + 1.0, 0
        while time.monotonic() < deadline and dropped < _http.MAX_BODY_BYTES:
            chunk = self.connection.recv(65536)
            if not chunk:
                return
            dropped += len(chunk)

    def _dispatch(self) -> None:
        started = time.perf_counter()
        parts = urlsplit(self.path)
        raw = self._read_body(parts.path)
        if raw is None:
            return
        form = dict(parse_qsl(raw, keep_blank_values=True))
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if admin_api.is_admin_path(parts.path):
            self._admin(parts.path, query, form)
            return
        if console.is_console_path(parts.path):
            self._console(parts.path, query, form)
            return
        # Credentials that do not decode are wrong credentials (401/20003), not a crash.
        authorization = _http.checked_basic(self.headers.get("Authorization"))
        req = Request(self.command, parts.path, query, form, authorization)
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
        req: Request,
        form: dict[str, str],
        query: str,
        started: float,
    ) -> tuple[Response, Identity]:
        # One write transaction per request: the log row lands with the change it records.
        conn.execute("BEGIN IMMEDIATE")
        # Injected faults (faults.py) are bookkept outside the savepoint, so a refused request
        # still uses one up. Chaos (a random share of requests) goes first.
        hit = self.server.chaos.pick(conn, req.method, req.path)
        fault = hit.fault if hit else None
        fault = fault or faults.before_request(conn, req.method, req.path)
        if fault is not None:
            resp, ident = _fault_response(fault), authenticate(conn, req.authorization)
        else:
            conn.execute("SAVEPOINT handler")
            try:
                resp, ident = routing.handle(conn, req)
            except Exception:
                traceback.print_exc()
                resp, ident = internal_error().response(), Identity("bad")
            if resp.status >= 400:
                conn.execute("ROLLBACK TO handler")
            conn.execute("RELEASE handler")
            fault = faults.after_request(conn, req.method, req.path, resp.status)
            if fault is not None:  # carried out, but the answer is "lost": an error instead
                resp = _fault_response(fault)
            if hit and hit.kind == "lost":  # carried out, then no answer at all
                resp = Response(0)
            self.chaos_delay = hit.delay if hit else 0.0
        self._log_request(conn, req, form, query, ident, resp, started)
        conn.execute("COMMIT")
        return resp, ident

    def _log_request(
        self,
        conn: sqlite3.Connection,
        req: Request,
        form: dict[str, str],
        query: str,
        ident: Identity,
        resp: Response,
        started: float,
    ) -> None:
        """One row of the request log (the access log trainers read), secrets masked."""
        logged_form = {k: ("***" if _SECRET_FIELD.search(k) else v) for k, v in form.items()}
        cursor = conn.execute(
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
        # Twilio's words for a refusal, for the trainer's board (the body holds no secret).
        message = resp.body.get("message") if isinstance(resp.body, dict) else None
        if resp.status >= 400 and isinstance(message, str):
            conn.execute(
                "INSERT INTO request_errors (request_id, message) VALUES (?, ?)",
                (cursor.lastrowid, message[:500]),
            )

    def _console(self, path: str, query: dict[str, str], form: dict[str, str]) -> None:
        """The trainees' console page (console.py): HTML, not the Twilio API; never logged."""
        request = console.ConsoleRequest(
            self.command,
            path,
            query,
            form,
            self.headers,
            self.client_address[0],
            self.server.trainer_token,
        )
        self._send_page(console.handle(self.server.db_path, request))

    def _admin(self, path: str, query: dict[str, str], form: dict[str, str]) -> None:
        """The admin API (admin_api.py): JSON for trainers and tests; never logged."""
        request = admin_api.AdminRequest(
            self.command, path, query, form, self.headers, self.client_address[0]
        )
        answer = admin_api.handle(self.server, request)
        self._send(answer.status, answer.body, answer.headers)


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog: the default 5 resets connections under a burst
    db_path: Path
    trainer_token: str
    url: str
    write_lock: threading.Lock
    chaos: faults.ChaosState

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        # Connections being served: clients keep them open between requests, and each holds a
        # thread that would go on answering after the server stopped listening.
        self.connections: set[socket.socket] = set()
        self.connections_closed = threading.Condition()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_closed:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self.connections_closed:
            self.connections.discard(request)
            self.connections_closed.notify_all()

    def end_connections(self, timeout: float = 5.0) -> None:
        """Stop reading every open connection and wait until each is closed: a request being
        answered is finished, and the next one on that connection finds it closed, as when the
        sandbox process exits."""
        with self.connections_closed:
            for sock in self.connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)
            self.connections_closed.wait_for(lambda: not self.connections, timeout)


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

    @property
    def token_path(self) -> Path:
        """The trainer token's file (``trainer.token`` beside the database)."""
        return _http.token_path(self.db_path)

    def bind(self) -> SandboxServer:
        """Create the database and the trainer token file if missing, and listen, not serve yet."""
        if self._httpd is None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            _db.init_db(self.db_path)
            token = _http.ensure_token_file(self.token_path)
            httpd = _SandboxHTTPServer(("127.0.0.1", self.port), _Handler)
            httpd.db_path = self.db_path
            httpd.trainer_token = token
            httpd.write_lock = threading.Lock()
            # ONBOARDING_SANDBOX_CHAOS, read once at start (faults.py); a bad value stops here.
            httpd.chaos = faults.ChaosState.from_environment()
            httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
            self._httpd = httpd
            admin.remember_token(httpd.url, token)  # this process's admin calls just work
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
            # This process goes on (a test, a notebook): its connections must not outlive us.
            # A sandbox that served in the foreground exits next, and they go with it.
            self._httpd.end_connections()
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
