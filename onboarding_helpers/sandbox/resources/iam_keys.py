"""The iam v1 Key resource (``/v1/Keys`` on iam.twilio.com): Standard and Restricted API keys.

The same keys as the 2010-04-01 Keys resource (one table), as the v1 resource shows them: RFC 2822
dates, and on fetch, create and update the key's ``policy`` (null unless restricted). Every call
names the account: ``AccountSid`` in the query (list) or the form (create), the caller's own.
``KeyType=restricted`` needs a ``Policy``, ``{"allow": [permission, ...]}`` with at most 100
permissions (Twilio's limit), which ``auth.refuse_outside_policy`` then enforces. Like the
2010-04-01 resource, only the Auth Token or a Main key may use it. The secret is shown once, in
the create answer; only its hash is kept.

The routes are ``/v1/Keys`` paths; messaging's ``/v1/Services`` share the ``/v1`` prefix, and
the path alone tells them apart (every Twilio host reaches the sandbox).
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db
from onboarding_helpers.sandbox.auth import RESTRICTED_KEY, STANDARD_KEY, secret_hash
from onboarding_helpers.sandbox.resources.base import Ctx, owned_row, route
from onboarding_helpers.sandbox.wire import (
    ApiError,
    Response,
    authenticate_failed,
    friendly_name,
    rfc2822,
    v1_list,
)

IAM_HOST = "https://iam.twilio.com"
MAX_PERMISSIONS = 100
# "/twilio/<product>/<resource>/<action>", or "<resource>/*" for every action on it.
_PERMISSION = re.compile(r"^/twilio/[a-z0-9-]+/[a-z0-9.-]+/(read|list|create|update|delete|\*)$")


def _policy_of(ctx: Ctx, key_sid: str) -> dict[str, Any] | None:
    row = ctx.conn.execute(
        "SELECT policy FROM key_policies WHERE key_sid = ?", (key_sid,)
    ).fetchone()
    return json.loads(row["policy"]) if row else None


def key_json(ctx: Ctx, row: sqlite3.Row, *, listed: bool = False) -> dict[str, Any]:
    """A key as the v1 resource shows it; a listing leaves the policy out (as its schema does)."""
    body: dict[str, Any] = {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
    }
    if not listed:
        body["policy"] = _policy_of(ctx, row["sid"])
    return body


def _own_account(ctx: Ctx, value: str) -> None:
    """``AccountSid`` must be given and be the caller's: credentials open only their account."""
    if not value:
        raise ApiError(400, 20001, "Missing required parameter AccountSid")
    if value != ctx.account_sid:
        raise authenticate_failed()


def _checked_policy(raw: str) -> str:
    """The policy as stored: one JSON object ``{"allow": [...]}`` of known-shaped permissions."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, 20001, "Invalid Policy: it must be a JSON object") from None
    allow = data.get("allow") if isinstance(data, dict) else None
    if not isinstance(allow, list) or not allow or set(data) != {"allow"}:
        raise ApiError(400, 20001, 'Invalid Policy: expected {"allow": [permission, ...]}')
    wrong = [p for p in allow if not isinstance(p, str) or not _PERMISSION.match(p)]
    if wrong:
        raise ApiError(400, 20001, f"Invalid Policy: {str(wrong[0])[:80]!r} is not a permission")
    if len(allow) > MAX_PERMISSIONS:
        raise ApiError(400, 20001, f"Invalid Policy: at most {MAX_PERMISSIONS} permissions")
    return json.dumps({"allow": list(dict.fromkeys(allow))})


def _create(ctx: Ctx) -> Response:
    _own_account(ctx, ctx.form.get("AccountSid", ""))
    name = friendly_name(ctx.form.get("FriendlyName", ""))
    kind = ctx.form.get("KeyType", "")
    if kind not in ("", RESTRICTED_KEY):
        raise ApiError(400, 20001, f"Invalid KeyType: {kind[:40]!r}")
    policy = None
    if kind == RESTRICTED_KEY:
        if not ctx.form.get("Policy"):
            raise ApiError(400, 20001, "A restricted key needs a Policy")
        policy = _checked_policy(ctx.form["Policy"])
    elif "Policy" in ctx.form:
        raise ApiError(400, 20001, "Policy applies to restricted keys only (KeyType=restricted)")
    sid, secret, ts = _db.new_sid("SK"), _db.new_secret(), _db.now()
    ctx.conn.execute(
        "INSERT INTO api_keys (sid, account_sid, friendly_name, key_type, secret_sha256,"
        " date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, name, kind or STANDARD_KEY, secret_hash(secret), ts, ts),
    )
    if policy is not None:
        ctx.conn.execute("INSERT INTO key_policies (key_sid, policy) VALUES (?, ?)", (sid, policy))
    body = key_json(ctx, owned_row(ctx, "api_keys", sid))
    body["secret"] = secret
    return Response(201, body)


def _list(ctx: Ctx) -> Response:
    _own_account(ctx, ctx.req.query.get("AccountSid", ""))
    rows = ctx.conn.execute(
        "SELECT * FROM api_keys WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    items = [key_json(ctx, r, listed=True) for r in rows]
    return Response(200, v1_list(ctx.req, "keys", items, host=IAM_HOST))


def _fetch(ctx: Ctx, sk: str) -> Response:
    return Response(200, key_json(ctx, owned_row(ctx, "api_keys", sk)))


def _update(ctx: Ctx, sk: str) -> Response:
    row = owned_row(ctx, "api_keys", sk)
    if "Policy" in ctx.form:
        if row["key_type"] != RESTRICTED_KEY:
            raise ApiError(400, 20001, "Policy applies to restricted keys only")
        policy = _checked_policy(ctx.form["Policy"])
        ctx.conn.execute("UPDATE key_policies SET policy = ? WHERE key_sid = ?", (policy, sk))
    if "FriendlyName" in ctx.form:
        ctx.conn.execute(
            "UPDATE api_keys SET friendly_name = ? WHERE sid = ?",
            (friendly_name(ctx.form["FriendlyName"]), sk),
        )
    ctx.conn.execute("UPDATE api_keys SET date_updated = ? WHERE sid = ?", (_db.now(), sk))
    return Response(200, key_json(ctx, owned_row(ctx, "api_keys", sk)))


def _delete(ctx: Ctx, sk: str) -> Response:
    owned_row(ctx, "api_keys", sk)
    ctx.conn.execute("DELETE FROM key_policies WHERE key_sid = ?", (sk,))
    ctx.conn.execute("DELETE FROM api_keys WHERE sid = ?", (sk,))
    return Response(204)


ROUTES = [
    route(r"/v1/Keys", {"GET": _list, "POST": _create}, needs_main_credentials=True),
    route(
        r"/v1/Keys/(?P<sk>[^/]+)",
        {"GET": _fetch, "POST": _update, "DELETE": _delete},
        needs_main_credentials=True,
    ),
]
