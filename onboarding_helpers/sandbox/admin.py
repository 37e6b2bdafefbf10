"""Calls to the sandbox's admin endpoints (``/_sandbox/...``), with urllib only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

# The sandbox is on loopback: never route these calls through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxError(RuntimeError):
    """The sandbox admin API refused a call or could not be reached."""


def _call(
    method: str,
    url: str,
    form: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Any:
    data = urlencode(form).encode("utf-8") if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        try:
            message = json.loads(err.read()).get("error", err.reason)
        except ValueError:
            message = err.reason
        raise SandboxError(f"Sandbox answered {err.code}: {message}") from None
    except (urllib.error.URLError, OSError) as err:
        raise SandboxError(f"Sandbox at {url} is not reachable: {err}") from None


def _base(url: str) -> str:
    return url.rstrip("/")


def health(url: str, timeout: float = 1.0) -> dict[str, Any]:
    """The health answer of the sandbox at ``url`` (raises SandboxError if it is not up)."""
    result: dict[str, Any] = _call("GET", f"{_base(url)}/_sandbox/health", timeout=timeout)
    return result


def provision_account(
    url: str,
    *,
    friendly_name: str = "Sandbox agency",
    type: str = "Full",  # noqa: A002 - mirrors Twilio's account field name
    status: str = "active",
) -> dict[str, str]:
    """Create a fake Twilio account; returns {"account_sid", "auth_token"}."""
    form = {"friendly_name": friendly_name, "type": type, "status": status}
    result: dict[str, str] = _call("POST", f"{_base(url)}/_sandbox/accounts", form)
    return result


def _setting_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return ",".join(str(v) for v in value)
    return str(value)


def set_account(url: str, account_sid: str, **fields: Any) -> dict[str, Any]:
    """Change an account's type/status/friendly_name or behaviour settings; returns the settings.

    Settings: ``protected_sender_ids`` and ``filtered_sender_ids`` (lists of Sender IDs, compared
    case-insensitively) and ``message_step_seconds`` (seconds per message status step).
    """
    form = {name: _setting_value(value) for name, value in fields.items()}
    result: dict[str, Any] = _call("POST", f"{_base(url)}/_sandbox/accounts/{account_sid}", form)
    return result


def request_log(url: str, account_sid: str | None = None) -> list[dict[str, Any]]:
    """Rows of the Twilio-API request log, oldest first, optionally for one account."""
    query = f"?{urlencode({'account_sid': account_sid})}" if account_sid else ""
    result: list[dict[str, Any]] = _call("GET", f"{_base(url)}/_sandbox/requests{query}")
    return result


def snapshot(url: str, account_sid: str) -> dict[str, Any]:
    """An account's keys, services (alpha senders, numbers), numbers and messages; no secrets."""
    result: dict[str, Any] = _call("GET", f"{_base(url)}/_sandbox/accounts/{account_sid}/snapshot")
    return result


def account_exists(url: str, account_sid: str) -> bool:
    """Whether the sandbox at ``url`` knows this account (e.g. one named in an old env file)."""
    try:
        snapshot(url, account_sid)
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
    result: dict[str, Any] = _call("POST", f"{_base(url)}/_sandbox/faults", form)
    return result


def clear_faults(url: str) -> int:
    """Remove every injected fault; returns how many there were."""
    result: dict[str, int] = _call("DELETE", f"{_base(url)}/_sandbox/faults")
    return result["cleared"]


def list_faults(url: str) -> list[dict[str, Any]]:
    """The injected faults not used up yet."""
    result: list[dict[str, Any]] = _call("GET", f"{_base(url)}/_sandbox/faults")
    return result


def set_chaos(
    url: str,
    rate: float = 0.2,
    kinds: Iterable[str] = ("429", "500", "503", "slow", "drop", "lost"),
    *,
    seed: int | None = None,
    slow_seconds: float = 20.0,
    retry_after: int = 1,
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
    result: dict[str, Any] = _call("POST", f"{_base(url)}/_sandbox/chaos", form)
    return result


def chaos_status(url: str) -> dict[str, Any]:
    """The chaos profile in force (None if off), its source, and how many requests it faulted."""
    result: dict[str, Any] = _call("GET", f"{_base(url)}/_sandbox/chaos")
    return result


def clear_chaos(url: str) -> dict[str, Any]:
    """Switch chaos off, including a profile the server read from the environment."""
    result: dict[str, Any] = _call("DELETE", f"{_base(url)}/_sandbox/chaos")
    return result
