"""What every resource module is made of: the context a handler gets, and the routes it declares.

A resource module defines its handlers (``handler(ctx, **path_params) -> Response``) and lists
them in ``ROUTES``; ``routing.py`` gathers those lists and dispatches. A handler raises
``wire.ApiError`` for any refusal: the server then rolls back the request's writes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from onboarding_helpers.sandbox.auth import Identity
from onboarding_helpers.sandbox.wire import V2010, Request, Response, not_found

# The 2010-04-01 paths inside one account; ``routing`` checks the ``ac`` group is the caller's.
ACCOUNT_PATH = rf"{V2010}/Accounts/(?P<ac>[^/]+)"


@dataclass
class Ctx:
    """One authenticated request: its connection (inside the request's transaction), the request
    and who sent it."""

    conn: sqlite3.Connection
    req: Request
    ident: Identity

    @property
    def form(self) -> dict[str, str]:
        return self.req.form

    @property
    def account(self) -> sqlite3.Row:
        assert self.ident.account is not None
        return self.ident.account

    @property
    def account_sid(self) -> str:
        return str(self.account["sid"])


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: Mapping[str, Handler]
    # Standard API keys may not use the Accounts and Keys resources (Twilio's documented rule).
    needs_main_credentials: bool = False
    # Fetching the account still works when it is suspended or closed, so its status can be read.
    works_when_inactive: bool = False


def route(
    pattern: str,
    methods: Mapping[str, Handler],
    *,
    needs_main_credentials: bool = False,
    works_when_inactive: bool = False,
) -> Route:
    """A route for the whole path ``pattern`` (a regex; named groups become handler arguments)."""
    return Route(re.compile(f"^{pattern}$"), methods, needs_main_credentials, works_when_inactive)


def owned_row(ctx: Ctx, table: str, sid: str) -> sqlite3.Row:
    """Row ``sid`` of ``table`` if it belongs to the caller's account, else 404 (like Twilio, a
    SID of another account is simply not found)."""
    row = ctx.conn.execute(
        f"SELECT * FROM {table} WHERE sid = ? AND account_sid = ?", (sid, ctx.account_sid)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row
