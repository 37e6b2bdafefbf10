"""Calls to the sandbox's admin endpoints (``/_sandbox/...``), with urllib only.

Every endpoint but health needs the trainer token (``trainer.token`` beside the sandbox's
database). Each function takes ``token=``; without it, ``trainer_token(url)`` finds it: the
tokens this process knows (``remember_token``: a server started here, ``ensure_running``), then
``ONBOARDING_SANDBOX_TOKEN``, then the file beside the database that health names, if this user
may read it (a notebook kernel that only knows the URL).
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from . import _http

TOKEN_ENV = "ONBOARDING_SANDBOX_TOKEN"
# The sandbox is on loopback: never route these calls through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_TOKENS: dict[str, str] = {}  # base URL -> trainer token, for this process
_TOKENS_LOCK = threading.Lock()


class SandboxError(RuntimeError):
    """The sandbox admin API refused a call or could not be reached."""


def _request(
    method: str, url: str, form: dict[str, str] | None, token: str | None, timeout: float
) -> Any:
    data = urlencode(form).encode("utf-8") if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    with _OPENER.open(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


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
    """``method`` on ``path`` of the sandbox at ``url``, with the trainer token if authenticated."""
    base = _base(url)
    given = token
    if authenticated and token is None:
        token = trainer_token(base)
    try:
        try:
            return _request(method, base + path, form, token, timeout)
        except urllib.error.HTTPError as err:
            # A token this process remembered may belong to an earlier server on this port.
            fresh = _discover(base) if err.code == 401 and given is None and token else None
            if not fresh or fresh == token:
                raise
            err.close()
            remember_token(base, fresh)
            return _request(method, base + path, form, fresh, timeout)
    except urllib.error.HTTPError as err:
        try:
            message = json.loads(err.read()).get("error", err.reason)
        except (ValueError, AttributeError):
            message = err.reason
        raise SandboxError(f"Sandbox answered {err.code}: {message}") from None
    except (urllib.error.URLError, OSError) as err:
        raise SandboxError(f"Sandbox at {base} is not reachable: {err}") from None


def _base(url: str) -> str:
    return url.rstrip("/")


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
