"""The fake Twilio API's front door: authenticate a request, find its route, apply the rules
every resource shares, and call the handler.

The rules, in order: valid credentials (else 401/20003); a path and method that exist (404/20404,
405/20004); a Standard or Restricted API key stays off the Accounts and Keys resources
(401/20003), and a Restricted one within its policy (403/70051, ``auth.refuse_outside_policy``);
iam's ``/v1/Keys`` and messaging's ``/v1/Services`` are told apart by path; an Account
SID in the path is the caller's own (else 404, or 401 for a key aimed at another account); the
account is active, except for fetching the account itself (403/20005).

Everything works on one sqlite3 connection inside one transaction opened by the HTTP layer, so a
handler can raise ``ApiError`` at any point and the caller rolls its writes back.
"""

from __future__ import annotations

import re
import sqlite3

from .auth import Identity, authenticate, may_manage_account, refuse_outside_policy
from .resources import (
    accounts,
    alpha_senders,
    available_numbers,
    balance,
    iam_keys,
    incoming_numbers,
    keys,
    messages,
    service_numbers,
    services,
)
from .resources.base import Ctx, Route
from .wire import V2010, ApiError, Request, Response, authenticate_failed, not_found

# The resource modules whose ROUTES are served; a new resource adds its module here.
RESOURCES = (
    accounts,
    keys,
    available_numbers,
    incoming_numbers,
    services,
    alpha_senders,
    service_numbers,
    messages,
    balance,
    iam_keys,
)
ROUTES: list[Route] = [r for module in RESOURCES for r in module.ROUTES]

_AIMED_ACCOUNT = re.compile(rf"^{V2010}/Accounts/(AC[0-9a-f]{{32}})[/.]")


def handle(conn: sqlite3.Connection, req: Request) -> tuple[Response, Identity]:
    """Answer one Twilio API request, and say who sent it (for the request log)."""
    ident = authenticate(conn, req.authorization)
    if ident.log_account_sid is None:
        # File failed calls under the account they aimed at, so trainers see them per account.
        aimed = _AIMED_ACCOUNT.match(req.path)
        ident.log_account_sid = aimed.group(1) if aimed else None
    try:
        return _dispatch(conn, req, ident), ident
    except ApiError as err:
        headers = {}
        if err.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return err.response(headers), ident


def _dispatch(conn: sqlite3.Connection, req: Request, ident: Identity) -> Response:
    if ident.account is None:
        raise authenticate_failed()
    ident.log_account_sid = ident.account["sid"]
    for r in ROUTES:
        match = r.pattern.match(req.path)
        if match is None:
            continue
        handler = r.methods.get(req.method)
        if handler is None:
            raise ApiError(405, 20004, "Method not allowed")
        if r.needs_main_credentials and not may_manage_account(ident):
            raise authenticate_failed()
        refuse_outside_policy(ident, req.method, req.path)  # restricted keys: 403/70051
        params = match.groupdict()
        _check_account_in_path(req, ident, params.pop("ac", None))
        if not r.works_when_inactive and ident.account["status"] != "active":
            # Our choice for suspended and closed accounts: credentials still authenticate
            # (so the account fetch can show the status) but every other call is refused.
            raise ApiError(403, 20005, "Account not active")
        return handler(Ctx(conn, req, ident), **params)
    raise not_found(req.path)


def _check_account_in_path(req: Request, ident: Identity, ac: str | None) -> None:
    assert ident.account is not None
    if ac is not None and ac != ident.account["sid"]:
        # A key only works inside its own account. An Account SID path that is not yours
        # (or a key SID put where the Account SID belongs) is simply not found, like Twilio.
        if ident.kind == "api_key" and ac.startswith("AC"):
            raise authenticate_failed()
        raise not_found(req.path)
