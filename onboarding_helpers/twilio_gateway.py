"""The one way the runbook talks to Twilio.

``make_client`` builds a ``twilio.rest.Client`` for live Twilio, the sandbox, or any base URL
(``ONBOARDING_TWILIO_BASE_URL``): every Twilio host is rewritten to it and the path picks the
resource. ``explain`` turns any Twilio error into advice an officer can act on.

Retries (bounded, exponential backoff with jitter, ``Retry-After`` honoured up to 10 s): requests
that change nothing (GET, and DELETE, which a repeat cannot do twice) on connection errors,
timeouts, 429 and 5xx; creates (POST) only when Twilio certainly did not act: 429, 503, or a
connection that never opened. A POST whose answer was lost (timeout, dropped connection, other
5xx) is never blindly sent again: ``create_once`` looks the resource up first, so it is not made
twice. ``ONBOARDING_TWILIO_TIMEOUT`` (seconds) overrides the 15 s timeout, e.g. for fault soaks.

Guards: a client may carry a ``Guard`` that sees every request before it is sent and may refuse
it (``ChangeRefused``), so nothing reaches Twilio. ``READ_ONLY`` lets only GET through (a change
plan reads the account with it); ``change_of`` names what any other request would change, in the
change plan's words (``action``, ``kind``), for a guard that allows a plan's changes and no more.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .errors import RunbookError, TwilioActionError
from .twilio_errors import ADVICE, STATUS_ADVICE

if TYPE_CHECKING:
    from twilio.rest import Client

__all__ = [
    "make_client",
    "http_client_class",
    "pause_before_retry",
    "explain",
    "call",
    "create_once",
    "outcome_unknown",
    "USER_AGENT",
    "Change",
    "ChangeRefused",
    "Guard",
    "READ_ONLY",
    "change_of",
]

# What this module imports in its functions (requests, the Twilio SDK: ~0.2 s), not at the top:
# importing the package stays cheap. Headless runs' kernels preload them (runner/kernels.py).
LATE_IMPORTS = ("requests", "twilio.rest", "twilio.rest.api.v2010.account")

USER_AGENT = "postman-onboarding-runbook/0.1"
DEFAULT_TIMEOUT = 15.0
# Tries after the first. Five tries in all ride out a burst of failures on a poor network; with
# a dead one the officer hears so after about a minute (backoff 0.5, 1, 2, 4 s plus timeouts).
DEFAULT_RETRIES = 4
TIMEOUT_ENV = "ONBOARDING_TWILIO_TIMEOUT"
_RETRY_STATUSES_SAFE = {429, 500, 502, 503, 504}
_RETRY_STATUSES_UNSAFE = {429, 503}  # Twilio did not act on the request: safe to send again
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE"}

log = logging.getLogger(__name__)
T = TypeVar("T")

_http_client_class: type | None = None


def http_client_class() -> type:
    """The class of every ``make_client`` client's ``http_client``: twilio's TwilioHttpClient, sent
    to ``base_url``, retrying with backoff; built on first use (importing this module imports no
    twilio). Public: its ``request`` sees every request (the contract tests record them there)."""
    global _http_client_class
    if _http_client_class is not None:
        return _http_client_class

    import requests
    from twilio.http.http_client import TwilioHttpClient

    class RoutedHttpClient(TwilioHttpClient):
        """TwilioHttpClient with host rewriting and bounded, backed-off retries."""

        def __init__(
            self,
            base_url: str | None = None,
            timeout: float = DEFAULT_TIMEOUT,
            retries: int = DEFAULT_RETRIES,
            backoff: float = 0.5,
            not_twilio: bool = False,
            guard: Guard | None = None,
            step: str = "",
        ) -> None:
            super().__init__(timeout=timeout)
            self.guard, self.step = guard, step
            # Live credentials going to a server that is not Twilio: its refusals say nothing
            # about the officer's real credentials, and errors must say so.
            self.not_twilio = not_twilio
            # Proxy variables must not send loopback (sandbox) traffic elsewhere.
            if self.session is not None and base_url:
                self.session.trust_env = False
            self.base_url = base_url.rstrip("/") if base_url else None
            self.retries = retries
            self.backoff = backoff

        def rewrite(self, url: str) -> str:
            if not self.base_url:
                return url
            parts = urlsplit(url)
            if not (parts.hostname or "").endswith("twilio.com"):
                return url
            base = urlsplit(self.base_url)
            return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            url = self.rewrite(url)
            send = functools.partial(self._send, method, url, *args, **kwargs)
            return _guarded(self.guard, self.step, method, url, send)

        def _send(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            safe = method.upper() in _SAFE_METHODS
            attempt = 0
            while True:
                try:
                    response = super().request(method, url, *args, **kwargs)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    # A create whose answer was lost may have happened: the caller reconciles.
                    # One whose connection never opened did not: sending it again is safe.
                    if not (safe or _never_sent(exc)) or attempt >= self.retries:
                        raise
                    log.info("retrying %s %s after %s", method, urlsplit(url).path, type(exc))
                    pause_before_retry(self.backoff, attempt, None)
                    attempt += 1
                    continue
                statuses = _RETRY_STATUSES_SAFE if safe else _RETRY_STATUSES_UNSAFE
                if response.status_code in statuses and attempt < self.retries:
                    log.info(
                        "retrying %s %s after %s", method, urlsplit(url).path, response.status_code
                    )
                    retry_after = (response.headers or {}).get("Retry-After")
                    pause_before_retry(self.backoff, attempt, retry_after)
                    attempt += 1
                    continue
                return response

    _http_client_class = RoutedHttpClient
    return RoutedHttpClient


# ---------------------------------------------------------------- guards


class ChangeRefused(RunbookError):
    """A guard refused a request before it was sent: nothing reached Twilio."""


# The requests that change an account, by what they do (``action``) to what (``kind``): the
# change plan's words. A request that is not a GET and not listed changes something the runbook
# never plans: ``change_of`` calls it "other".
_CHANGES = (
    ("POST", r"/Accounts/AC\w+/Keys\.json", "create", "api_key"),
    ("POST", r"/v1/Keys", "create", "api_key"),
    ("DELETE", r"/v1/Keys/SK\w+", "revoke", "api_key"),
    ("DELETE", r"/Accounts/AC\w+/Keys/SK\w+\.json", "revoke", "api_key"),
    ("POST", r"/v1/Services", "create", "messaging_service"),
    ("POST", r"/v1/Services/MG\w+/AlphaSenders", "add", "alpha_sender"),
    ("POST", r"/v1/Services/MG\w+/PhoneNumbers", "add", "service_number"),
    ("POST", r"/Accounts/AC\w+/IncomingPhoneNumbers\.json", "buy", "phone_number"),
    ("POST", r"/Accounts/AC\w+/Messages\.json", "send", "message"),
)
_CHANGE_PATTERNS = [(m, re.compile(f"(?:/2010-04-01)?{p}"), a, k) for m, p, a, k in _CHANGES]


@dataclass(frozen=True)
class Change:
    """What one request would change: ``action`` (create, add, buy, send, revoke, or "other")
    done to ``kind`` (api_key, messaging_service, alpha_sender, service_number, phone_number,
    message; "" for other), and the request itself (``what``: method and path)."""

    action: str
    kind: str
    what: str


def change_of(method: str, url: str) -> Change | None:
    """What the request would change in the account; None for a read (GET)."""
    method = method.upper()
    if method == "GET":
        return None
    path = urlsplit(url).path
    for wanted, pattern, action, kind in _CHANGE_PATTERNS:
        if method == wanted and pattern.fullmatch(path):
            return Change(action, kind, f"{method} {path}")
    return Change("other", "", f"{method} {path}")


class Guard:
    """Sees every request of a client before it is sent. ``admit`` raises ``ChangeRefused`` to
    stop one (nothing is sent) and returns a ticket; ``settle`` gets the ticket back with the
    answer's HTTP status (None: no answer came). This base admits everything."""

    def admit(self, step: str, method: str, url: str) -> Any:
        return None

    def settle(self, ticket: Any, status: int | None) -> None:
        return None


class ReadOnly(Guard):
    """Only GET goes out: anything else is refused before it is sent."""

    def admit(self, step: str, method: str, url: str) -> Any:
        change = change_of(method, url)
        if change is None:
            return None
        doing = f" (it would {change.action} a {change.kind})" if change.kind else ""
        raise ChangeRefused(
            f"Refused to send {change.what}{doing}: this client only reads the account (a"
            " change plan), so nothing was sent and nothing changed.",
            advice="This is a fault in the runbook: please report it with this message.",
        )


READ_ONLY = ReadOnly()


def pause_before_retry(backoff: float, attempt: int, retry_after: str | None) -> None:
    """Wait before retry number ``attempt`` (0 first): ``backoff`` seconds doubled each time,
    with jitter, at least as long as Twilio's ``Retry-After`` asks, and at most 10 s.

    Every client's retries wait here, so a test that sends faults replaces it (``monkeypatch``)
    to retry at once, or to act between two tries.
    """
    delay = backoff * (2**attempt) * (0.5 + random.random())
    if retry_after:
        try:
            delay = max(delay, float(retry_after))
        except ValueError:
            pass
    time.sleep(min(delay, 10.0))


def _guarded(guard: Guard | None, step: str, method: str, url: str, send: Callable[[], Any]) -> Any:
    """``send()`` the request if ``guard`` admits it (asked once, before the first try: retries
    are the same request), then tell the guard Twilio's answer (None: none came)."""
    if guard is None:
        return send()
    ticket = guard.admit(step, method, url)
    try:
        response = send()
    except BaseException:
        guard.settle(ticket, None)
        raise
    guard.settle(ticket, response.status_code)
    return response


def _never_sent(exc: BaseException) -> bool:
    """Whether the request surely never reached the server (the connection did not open)."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _default_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value <= 300 else DEFAULT_TIMEOUT


def make_client(
    account_sid: str,
    *,
    auth_token: str | None = None,
    api_key_sid: str | None = None,
    api_secret: str | None = None,
    base_url: str | None = None,
    step: str | None = None,
    timeout: float | None = None,
    retries: int = DEFAULT_RETRIES,
    not_twilio: bool = False,
    guard: Guard | None = None,
) -> Client:
    """A Twilio client authenticated by Auth Token, or by API key scoped to ``account_sid``.

    ``base_url`` (the sandbox, or any Twilio-compatible server) replaces every Twilio host.
    ``timeout`` defaults to ``ONBOARDING_TWILIO_TIMEOUT`` seconds if set, else 15.
    ``not_twilio``: live credentials sent to a base URL that is not Twilio; a refusal from it is
    reported as that server's, not as wrong credentials. ``guard``: sees each request before it
    is sent, and may refuse it (``READ_ONLY``; a change plan's).
    """
    if timeout is None:
        timeout = _default_timeout()
    from twilio.rest import Client

    if api_key_sid:
        username, password = api_key_sid, api_secret
    else:
        username, password = account_sid, auth_token
    if not password:
        raise ValueError("make_client needs an auth_token or an api_key_sid with its api_secret")
    http_client = http_client_class()(
        base_url=base_url,
        timeout=timeout,
        retries=retries,
        not_twilio=not_twilio,
        guard=guard,
        step=step or "",
    )
    extensions = [USER_AGENT] + ([f"step/{step}"] if step else [])
    # environment={} stops the SDK from reading TWILIO_* variables behind our back.
    return Client(
        username,
        password,
        account_sid,
        http_client=http_client,
        environment={},
        user_agent_extensions=extensions,
    )


def _error_body(text: str | None) -> dict[str, Any]:
    try:
        body = json.loads(text or "")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _not_twilio_refusal(action: str, served_by: str, code: int | None) -> TwilioActionError:
    return TwilioActionError(
        f"Could not {action}: the server at {served_by} refused the credentials (error"
        f" {code or 20003}). It is not Twilio: ONBOARDING_TWILIO_BASE_URL sends this live run's"
        " requests there, so this says nothing about your real Twilio credentials.",
        advice="To check them with Twilio, unset ONBOARDING_TWILIO_BASE_URL and run again.",
        field="ONBOARDING_TWILIO_BASE_URL",
        code=code,
        status=401,
        served_by=served_by,
    )


def _http_client_of(fn: Callable[..., Any]) -> Any:
    """The http client behind an SDK call (a bound method of a list or context resource)."""
    owner = getattr(fn, "__self__", None)
    version = getattr(owner, "_version", None)
    domain = getattr(version, "domain", None)
    return getattr(getattr(domain, "twilio", None), "http_client", None)


def explain(
    exc: BaseException, *, action: str, field: str | None = None, served_by: str | None = None
) -> TwilioActionError:
    """Turn a Twilio SDK or network error into a message with advice.

    Handles TwilioRestException (fetch/create/delete), the plain TwilioException that list calls
    raise with the HTTP response attached, and connection failures. ``served_by``: the base URL,
    when live requests go to a server that is not Twilio.
    """
    import requests
    from twilio.base.exceptions import TwilioException, TwilioRestException

    code: int | None = None
    status: int | None = None
    twilio_text = ""
    if isinstance(exc, TwilioRestException):
        code, status, twilio_text = exc.code, exc.status, exc.msg or ""
    elif isinstance(exc, TwilioException) and len(exc.args) > 1:
        response = exc.args[1]
        status = getattr(response, "status_code", None)
        body = _error_body(getattr(response, "text", None))
        code, twilio_text = body.get("code"), body.get("message", "")
    elif isinstance(exc, requests.Timeout):
        return TwilioActionError(
            f"Could not {action}: Twilio did not answer in time.",
            advice="Check your network connection and run the step again; it is safe to re-run.",
        )
    elif isinstance(exc, requests.ConnectionError):
        return TwilioActionError(
            f"Could not {action}: Twilio could not be reached.",
            advice="Check your network connection (or that the sandbox is running) and run again.",
        )
    else:
        return TwilioActionError(f"Could not {action}: {type(exc).__name__}.", advice="Run again.")

    if served_by and (status == 401 or code == 20003):
        return _not_twilio_refusal(action, served_by, code)
    known = ADVICE.get(code or 0) or STATUS_ADVICE.get(status or 0)
    if known:
        what, known_field, fix = known
    elif status and status >= 500:
        what, known_field, fix = "Twilio had a problem on its side.", None, "Wait and run again."
    else:
        what, known_field, fix = (
            "Twilio refused the request.",
            None,
            "Check the inputs of this step.",
        )
    message = f"Could not {action}: {what}"
    if twilio_text and twilio_text not in message:
        message += f" Twilio said: {twilio_text.rstrip('.')}."
    more_info = f"https://www.twilio.com/docs/errors/{code}" if code else None
    return TwilioActionError(
        message,
        advice=fix,
        # Rate limits and server errors are nobody's typing: name no field to fix.
        field=None if status and (status == 429 or status >= 500) else field or known_field,
        code=code,
        status=status,
        more_info=more_info,
    )


def call(
    action: str, fn: Callable[..., T], *args: Any, field: str | None = None, **kwargs: Any
) -> T:
    """Run one SDK call; any Twilio or network error comes out as a TwilioActionError."""
    import requests
    from twilio.base.exceptions import TwilioException

    try:
        return fn(*args, **kwargs)
    except (TwilioException, requests.RequestException) as exc:
        http = _http_client_of(fn)
        served_by = http.base_url if getattr(http, "not_twilio", False) else None
        raise explain(exc, action=action, field=field, served_by=served_by) from None


def outcome_unknown(err: TwilioActionError) -> bool:
    """Whether a failed create may have happened all the same: no answer came (connection lost,
    timeout), or a server error other than 503 (which Twilio sends only when it did not act)."""
    return err.status is None or (err.status >= 500 and err.status != 503)


# Seconds before a create is tried again after its lookup found nothing; doubled each time.
CREATE_PAUSE = 0.5


def create_once(
    create: Callable[[], T],
    find: Callable[[], T | None],
    *,
    attempts: int = 3,
    on_unknown: Callable[[TwilioActionError], None] | None = None,
) -> tuple[T, bool]:
    """Make one resource even when answers get lost: returns (resource, found_after_lost_answer).

    ``create`` makes one request through ``call``. When its outcome is unknown
    (``outcome_unknown``), ``find`` looks the resource up (friendly name, journalled intent)
    before anything is sent again: found, it is returned as the create's result; not found,
    Twilio did not make it and the create is tried again, ``attempts`` times in all. Any other
    failure is raised at once. If a lookup itself fails, the original error is raised with
    advice that the next run looks again before creating.
    """
    for attempt in range(1, attempts + 1):
        try:
            return create(), False
        except TwilioActionError as err:
            if not outcome_unknown(err):
                raise
            if on_unknown is not None:
                on_unknown(err)
            try:
                found = find()
            except TwilioActionError as lookup:
                err.advice = (
                    f"{err.advice} Twilio may have acted before the answer was lost, and looking"
                    f" it up failed too ({lookup.message}); running the step again looks for it"
                    f" before making anything, so nothing is made twice. {lookup.advice}"
                ).strip()
                raise err from None
            if found is not None:
                log.info("create answer lost; found the resource (attempt %d)", attempt)
                return found, True
            if attempt == attempts:
                err.advice = (
                    f"Twilio has no record of it, so nothing was made. {err.advice}"
                ).strip()
                raise
            time.sleep(CREATE_PAUSE * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
