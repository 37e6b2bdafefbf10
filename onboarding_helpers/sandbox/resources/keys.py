"""The Keys resource (2010-04-01): the account's API keys, created Standard.

Only the Auth Token or a Main API key may use it. Only a hash of each secret is kept: like
Twilio, the secret is shown once, in the create answer, and can never be read back. It lists,
fetches and deletes every key of the account, restricted ones too (made through iam v1,
``iam_keys``), without their policy.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db
from onboarding_helpers.sandbox.auth import secret_hash
from onboarding_helpers.sandbox.resources.base import ACCOUNT_PATH, Ctx, owned_row, route
from onboarding_helpers.sandbox.wire import Response, friendly_name, rfc2822, v2010_list


def key_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
    }


def _create(ctx: Ctx) -> Response:
    name = friendly_name(ctx.form.get("FriendlyName", ""))
    sid, secret, ts = _db.new_sid("SK"), _db.new_secret(), _db.now()
    ctx.conn.execute(
        "INSERT INTO api_keys (sid, account_sid, friendly_name, secret_sha256, date_created,"
        " date_updated) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, name, secret_hash(secret), ts, ts),
    )
    body = key_json(owned_row(ctx, "api_keys", sid))
    body["secret"] = secret
    return Response(201, body)


def _list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM api_keys WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    return Response(200, v2010_list(ctx.req, "keys", [key_json(r) for r in rows]))


def _fetch(ctx: Ctx, sk: str) -> Response:
    return Response(200, key_json(owned_row(ctx, "api_keys", sk)))


def _update(ctx: Ctx, sk: str) -> Response:
    owned_row(ctx, "api_keys", sk)
    if "FriendlyName" in ctx.form:
        ctx.conn.execute(
            "UPDATE api_keys SET friendly_name = ?, date_updated = ? WHERE sid = ?",
            (friendly_name(ctx.form["FriendlyName"]), _db.now(), sk),
        )
    return Response(200, key_json(owned_row(ctx, "api_keys", sk)))


def _delete(ctx: Ctx, sk: str) -> Response:
    owned_row(ctx, "api_keys", sk)
    ctx.conn.execute("DELETE FROM key_policies WHERE key_sid = ?", (sk,))
    ctx.conn.execute("DELETE FROM api_keys WHERE sid = ?", (sk,))
    return Response(204)


ROUTES = [
    route(
        rf"{ACCOUNT_PATH}/Keys\.json",
        {"GET": _list, "POST": _create},
        needs_main_credentials=True,
    ),
    route(
        rf"{ACCOUNT_PATH}/Keys/(?P<sk>[^/]+)\.json",
        {"GET": _fetch, "POST": _update, "DELETE": _delete},
        needs_main_credentials=True,
    ),
]
