"""Calls to the sandbox's admin endpoints (``/_sandbox/...``), standard library only.

Every endpoint but health needs the trainer token (``trainer.token`` beside the sandbox's
database). Each function takes ``token=``; without it, ``trainer_token(url)`` finds it: the
tokens this process knows (``remember_token``: a server started here, ``ensure_running``), then
``ONBOARDING_SANDBOX_TOKEN``, then the file beside the database that health names, if this user
may read it (a notebook kernel that only knows the URL).

The token never goes to a program that has not proved it holds it: each call that carries it
first sends a fresh random challenge to health, checks the answer's ``proof`` (HMAC-SHA256 keyed
with the token, over the challenge and the address answering; ``_http.token_proof``), and only
then sends the token, on that same connection. Another user who took the sandbox's port gets a
challenge, never the token (``SandboxNotProven``).
"""

from __future__ import annotations

import contextlib
import hmac
import http.client
import json
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from . import _http

TOKEN_ENV = "ONBOARDING_SANDBOX_TOKEN"
_TOKENS: dict[str, str] = {}  # base URL -> trainer token, for this process
_TOKENS_LOCK = threading.Lock()


class SandboxError(RuntimeError):
    """The sandbox admin API refused a call or could not be reached."""


class SandboxNotProven(SandboxError):
    """What answers at the sandbox's address did not prove it holds the trainer token, so the
    token was not sent: another program holds the port, or the token is not this sandbox's."""


class _Refused(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        try:
            message = json.loads(body).get("error")
        except (ValueError, AttributeError):
            message = None
        super().__init__(message)
        self.status = status
        self.message = message or http.client.responses.get(status, "error")


class _OneConnection(http.client.HTTPConnection):
    """A connection never reopened: http.client would silently reconnect after a close, perhaps
    to another program that took the port meanwhile, and send the token there."""

    _opened = False

    def connect(self) -> None:
        if self._opened:
            raise SandboxNotProven(
                "The sandbox closed the connection it proved itself on; the trainer token was"
                " not sent. Try again."
            )
        self._opened = True
        super().connect()


def _exchange(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    form: dict[str, str] | None,
    token: str | None,
) -> tuple[int, bytes]:
    data = urlencode(form).encode("utf-8") if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def _prove(conn: http.client.HTTPConnection, base: str, token: str) -> None:
    """Refuse unless the other end of ``conn`` proves it holds ``token``; nothing secret is sent."""
    assert conn.sock is not None
    host, port = conn.sock.getpeername()[:2]  # the address actually answering, not the URL's
    challenge = secrets.token_urlsafe(32)
    query = urlencode({"challenge": challenge})
    status, body = _exchange(conn, "GET", f"/_sandbox/health?{query}", None, None)
    try:
        proof = json.loads(body).get("proof") if status == 200 else None
    except (ValueError, AttributeError):
        proof = None
    expected = _http.token_proof(token, challenge, str(host), int(port))
    if not isinstance(proof, str) or not hmac.compare_digest(proof.encode(), expected.encode()):
        raise SandboxNotProven(
            f"What answers at {base} did not prove it is the sandbox that holds this trainer"
            " token, so the token was not sent. Either another program holds the port (see whose:"
            f" ss -ltnp 'sport = :{port}'), or the token is not this sandbox's (token=...,"
            f" {TOKEN_ENV}, or a sandbox started by an older runbook: stop it and start it again)."
        )


def _request(
    method: str,
    url: str,
    form: dict[str, str] | None,
    token: str | None,
    timeout: float,
    *,
    send_token: bool = True,
) -> Any:
    """One call; with a token, the proof first, then the call (carrying the token if
    ``send_token``) on the same connection."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SandboxError(f"{url} is not a sandbox address: the sandbox serves http on 127.0.0.1.")
    # http.client uses no proxy from the environment: right for a server on loopback.
    conn = _OneConnection(parts.hostname, parts.port or 80, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.connect()
        if token is not None:
            _prove(conn, _base(f"{parts.scheme}://{parts.netloc}"), token)
        status, body = _exchange(conn, method, path, form, token if send_token else None)
    finally:
        conn.close()
    if status >= 400:
        raise _Refused(status, body)
    return json.loads(body or b"null")


def _call(
    method: str,
    url: str,
    path: str,
    form: dict[str, str] | None = None,
    *,
    token: str | None = None,
    timeout: float = 5.0,
    authenticated: bool = True,
) -> Any:
    """``method`` on ``path`` of the sandbox at ``url``, with the trainer token if authenticated
    (sent only once the sandbox proved it holds it)."""
    base = _base(url)
    given = token
    if authenticated and token is None:
        token = trainer_token(base)
    with _answered(base):
        try:
            return _request(method, base + path, form, token, timeout)
        except (_Refused, SandboxNotProven) as err:
            # A token this process remembered may belong to an earlier server on this port.
            stale = isinstance(err, SandboxNotProven) or err.status == 401
            fresh = _discover(base) if stale and given is None and token else None
            if not fresh or fresh == token:
                raise
            remember_token(base, fresh)
            return _request(method, base + path, form, fresh, timeout)


@contextlib.contextmanager
def _answered(base: str) -> Iterator[None]:
    """A refusal or a network failure as a SandboxError saying which."""
    try:
        yield
    except _Refused as err:
        raise SandboxError(f"Sandbox answered {err.status}: {err.message}") from None
    except (OSError, http.client.HTTPException) as err:
        raise SandboxError(f"Sandbox at {base} is not reachable: {err}") from None


def _base(url: str) -> str:
    return url.rstrip("/")


def verify_sandbox(url: str, *, token: str | None = None, timeout: float = 2.0) -> dict[str, Any]:
    """The health answer of the sandbox at ``url`` once it proved it holds the trainer token
    (``token``, else ``trainer_token(url)``), without sending it; raises ``SandboxNotProven`` if
    it cannot, ``SandboxError`` if nothing answers."""
    base = _base(url)
    token = token or trainer_token(base)
    with _answered(base):
        answer = _request("GET", f"{base}/_sandbox/health", None, token, timeout, send_token=False)
    result: dict[str, Any] = answer
    return result


def health(url: str, timeout: float = 1.0) -> dict[str, Any]:
    """The health answer of the sandbox at ``url`` (raises SandboxError if it is not up).

    Needs no token; it names the sandbox's database (``db_path``), beside which the token is.
    """
    result: dict[str, Any] = _call(
        "GET", url, "/_sandbox/health", timeout=timeout, authenticated=False
    )
    return result


# ---------------------------------------------------------------- the trainer token


def remember_token(url: str, token: str) -> None:
    """Use ``token`` for the sandbox at ``url`` in this process (a newer one replaces it)."""
    with _TOKENS_LOCK:
        _TOKENS[_base(url)] = token


def _discover(url: str) -> str | None:
    """The token in the file beside the database the sandbox names, if this user can read it."""
    # Only a sandbox on this machine: a remote server must not make us read and send a file.
    if _http.hostname(urlsplit(url).netloc) not in _http.LOCAL_HOSTS:
        return None
    try:
        db_path = health(url).get("db_path")
    except SandboxError:
        return None
    return _http.read_token(_http.token_path(db_path)) if isinstance(db_path, str) else None


def trainer_token(url: str) -> str:
    """The trainer token for the sandbox at ``url``: remembered in this process, else
    ``ONBOARDING_SANDBOX_TOKEN``, else read from ``trainer.token`` beside its database."""
    base = _base(url)
    with _TOKENS_LOCK:
        known = _TOKENS.get(base)
    if known:
        return known
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    found = _discover(base)
    if found:
        remember_token(base, found)
        return found
    try:
        where = str(_http.token_path(health(base)["db_path"]))
    except (SandboxError, KeyError, TypeError):
        where = "trainer.token beside the sandbox's database"
    raise SandboxError(
        f"The sandbox admin API at {base} needs the trainer token, which this process cannot"
        f" read: it is in {where}. Pass token=..., or set {TOKEN_ENV}; the trainer prints it with"
        " python -m onboarding_helpers.sandbox token --dir <sandbox folder>."
    )


def read_token_file(sandbox_dir: str | Path) -> str | None:
    """The trainer token of the sandbox folder ``sandbox_dir`` (None if it has none yet)."""
    return _http.read_token(Path(sandbox_dir).expanduser() / _http.TOKEN_NAME)


# ---------------------------------------------------------------- admin calls


def provision_account(
    url: str,
    *,
    friendly_name: str = "Sandbox agency",
    type: str = "Full",  # noqa: A002 - mirrors Twilio's account field name
    status: str = "active",
    token: str | None = None,
) -> dict[str, str]:
    """Create a fake Twilio account; returns {"account_sid", "auth_token"}."""
    form = {"friendly_name": friendly_name, "type": type, "status": status}
    result: dict[str, str] = _call("POST", url, "/_sandbox/accounts", form, token=token)
    return result


def _setting_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return ",".join(str(v) for v in value)
    return str(value)


def set_account(
    url: str, account_sid: str, *, token: str | None = None, **fields: Any
) -> dict[str, Any]:
    """Change an account's type/status/friendly_name or behaviour settings; returns the settings.

    Settings (see the package docstring): ``protected_sender_ids`` and ``filtered_sender_ids``
    (lists of Sender IDs, compared case-insensitively), ``alpha_sender_enabled``,
    ``alpha_registered_countries`` (ISO codes), ``us_senders_registered``, ``balance`` (USD) and
    ``message_step_seconds`` (seconds per message status step).
    """
    form = {name: _setting_value(value) for name, value in fields.items()}
    path = f"/_sandbox/accounts/{account_sid}"
    result: dict[str, Any] = _call("POST", url, path, form, token=token)
    return result


def request_log(
    url: str, account_sid: str | None = None, *, token: str | None = None
) -> list[dict[str, Any]]:
    """Rows of the Twilio-API request log, oldest first, optionally for one account."""
    query = f"?{urlencode({'account_sid': account_sid})}" if account_sid else ""
    result: list[dict[str, Any]] = _call("GET", url, f"/_sandbox/requests{query}", token=token)
    return result


def snapshot(url: str, account_sid: str, *, token: str | None = None) -> dict[str, Any]:
    """An account's keys, services (alpha senders, numbers), numbers and messages; no secrets."""
    path = f"/_sandbox/accounts/{account_sid}/snapshot"
    result: dict[str, Any] = _call("GET", url, path, token=token)
    return result


def account_exists(url: str, account_sid: str, *, token: str | None = None) -> bool:
    """Whether the sandbox at ``url`` knows this account (e.g. one named in an old env file)."""
    try:
        snapshot(url, account_sid, token=token)
    except SandboxError as err:
        if "answered 404" in str(err):
            return False
        raise
    return True


def set_faults(
    url: str,
    match: str = "* .",
    *,
    status: int = 500,
    code: int | None = None,
    message: str | None = None,
    times: int = 1,
    after: str | None = None,
    phase: str = "before",
    token: str | None = None,
) -> dict[str, Any]:
    """Add one injected fault (see ``faults.py``); returns it as the sandbox stored it.

    ``match`` and ``after`` are ``"METHOD PATH-REGEX"`` (method ``*`` for any). ``status=0``
    closes the connection without an answer. Example, the first request after an API key was
    created answers 401/20003::

        set_faults(url, "* .", status=401, code=20003, after=r"POST /Keys\\.json$")
    """
    form = {"match": match, "status": str(status), "times": str(times), "phase": phase}
    if code is not None:
        form["code"] = str(code)
    if message:
        form["message"] = message
    if after:
        form["after"] = after
    result: dict[str, Any] = _call("POST", url, "/_sandbox/faults", form, token=token)
    return result


def clear_faults(url: str, *, token: str | None = None) -> int:
    """Remove every injected fault; returns how many there were."""
    result: dict[str, int] = _call("DELETE", url, "/_sandbox/faults", token=token)
    return result["cleared"]


def list_faults(url: str, *, token: str | None = None) -> list[dict[str, Any]]:
    """The injected faults not used up yet."""
    result: list[dict[str, Any]] = _call("GET", url, "/_sandbox/faults", token=token)
    return result


def set_chaos(
    url: str,
    rate: float = 0.2,
    kinds: Iterable[str] = ("429", "500", "503", "slow", "drop", "lost"),
    *,
    seed: int | None = None,
    slow_seconds: float = 20.0,
    retry_after: int = 1,
    token: str | None = None,
) -> dict[str, Any]:
    """Fault ``rate`` of all Twilio-API requests with one of ``kinds`` (see ``faults.py``).

    Holds for every server on the sandbox's file until ``clear_chaos``; counting starts afresh.
    Returns the profile in force and the counts so far.
    """
    form = {
        "rate": str(rate),
        "kinds": ",".join(str(k) for k in kinds),
        "slow_seconds": str(slow_seconds),
        "retry_after": str(retry_after),
    }
    if seed is not None:
        form["seed"] = str(seed)
    result: dict[str, Any] = _call("POST", url, "/_sandbox/chaos", form, token=token)
    return result


def chaos_status(url: str, *, token: str | None = None) -> dict[str, Any]:
    """The chaos profile in force (None if off), its source, and how many requests it faulted."""
    result: dict[str, Any] = _call("GET", url, "/_sandbox/chaos", token=token)
    return result


def clear_chaos(url: str, *, token: str | None = None) -> dict[str, Any]:
    """Switch chaos off, including a profile the server read from the environment."""
    result: dict[str, Any] = _call("DELETE", url, "/_sandbox/chaos", token=token)
    return result
