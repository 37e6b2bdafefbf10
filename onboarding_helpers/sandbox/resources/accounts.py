"""The Accounts resource (2010-04-01): list, fetch and rename the caller's own account.

Only the Auth Token or a Main API key may use it, and fetching still works when the account is
suspended or closed, so its status can be read.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db
from onboarding_helpers.sandbox.resources.base import ACCOUNT_PATH, Ctx, route
from onboarding_helpers.sandbox.wire import V2010, Response, friendly_name, rfc2822, v2010_list


def account_json(row: sqlite3.Row) -> dict[str, Any]:
    base = f"{V2010}/Accounts/{row['sid']}"
    # Real Twilio also returns auth_token here; the sandbox leaves it out so no notebook output,
    # log or snapshot can ever show a secret.
    return {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "status": row["status"],
        "type": row["type"],
        "owner_account_sid": row["sid"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "uri": f"{base}.json",
        "subresource_uris": {
            name: f"{base}/{name}.json"
            for name in ("Keys", "IncomingPhoneNumbers", "AvailablePhoneNumbers", "Messages")
        },
    }


def _list(ctx: Ctx) -> Response:
    return Response(200, v2010_list(ctx.req, "accounts", [account_json(ctx.account)]))


def _fetch(ctx: Ctx) -> Response:
    return Response(200, account_json(ctx.account))


def _update(ctx: Ctx) -> Response:
    if "FriendlyName" in ctx.form:
        name = friendly_name(ctx.form["FriendlyName"])
        ctx.conn.execute(
            "UPDATE accounts SET friendly_name = ?, date_updated = ? WHERE sid = ?",
            (name, _db.now(), ctx.account_sid),
        )
    row = ctx.conn.execute("SELECT * FROM accounts WHERE sid = ?", (ctx.account_sid,)).fetchone()
    return Response(200, account_json(row))


_ACCOUNT_WIDE = {"needs_main_credentials": True, "works_when_inactive": True}

ROUTES = [
    route(rf"{V2010}/Accounts\.json", {"GET": _list}, **_ACCOUNT_WIDE),
    route(rf"{ACCOUNT_PATH}\.json", {"GET": _fetch, "POST": _update}, **_ACCOUNT_WIDE),
]
