"""The AlphaSenders resource (messaging v1 ``/v1/Services/{MG}/AlphaSenders``): a service's
alphanumeric Sender ID, one per service.

Which Sender IDs an account may add is decided in ``_check_sender_id``, with Twilio's two causes
for 21709: alphanumeric Sender IDs not enabled for the account (never for a Trial account; the
account setting ``alpha_sender_enabled``), or a format Twilio does not take. An ID another
organisation registered with SGNIC (``protected_sender_ids``) is added like any other: Twilio
cannot see SGNIC's registry, and such an ID shows only when messages to Singapore are blocked
(``delivery``).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db, delivery
from onboarding_helpers.sandbox.resources.base import Ctx, route
from onboarding_helpers.sandbox.resources.services import service_row, service_url
from onboarding_helpers.sandbox.wire import ApiError, Response, iso8601, not_found, v1_list

ALPHA_RE = re.compile(r"^[A-Za-z0-9 +\-_&]{1,11}$")
# Twilio's words for 21709, whichever of its causes applies.
ALPHA_REFUSED = "Alpha Sender ID is Invalid or Not Authorized for this Messaging Service"


def alpha_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "service_sid": row["service_sid"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "alpha_sender": row["alpha_sender"],
        "capabilities": ["SMS"],
        "url": f"{service_url(row['service_sid'])}/AlphaSenders/{row['sid']}",
    }


def alpha_sender_problem(value: str) -> str | None:
    """Twilio's format rule for an alphanumeric Sender ID; None when it is acceptable."""
    if not ALPHA_RE.match(value):
        return "1 to 11 characters: letters, digits, spaces and - + _ & only"
    if not re.search(r"[A-Za-z]", value):
        return "at least one letter is required"
    return None


def service_alpha_sender(conn: sqlite3.Connection, service_sid: str) -> str | None:
    """The Sender ID in the pool of service ``service_sid``, if it has one."""
    row = conn.execute(
        "SELECT alpha_sender FROM alpha_senders WHERE service_sid = ? ORDER BY rowid",
        (service_sid,),
    ).fetchone()
    return row[0] if row else None


def _check_sender_id(ctx: Ctx, value: str) -> None:
    """Refuse (400/21709, as Twilio words it) a Sender ID this account may not add."""
    if alpha_sender_problem(value) or not delivery.alpha_senders_enabled(ctx.conn, ctx.account):
        raise ApiError(400, 21709, ALPHA_REFUSED)


def _alpha_row(ctx: Ctx, mg: str, ai: str) -> sqlite3.Row:
    row = ctx.conn.execute(
        "SELECT * FROM alpha_senders WHERE sid = ? AND service_sid = ?", (ai, mg)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _create(ctx: Ctx, mg: str) -> Response:
    service_row(ctx, mg)
    value = ctx.form.get("AlphaSender", "")
    _check_sender_id(ctx, value)
    if service_alpha_sender(ctx.conn, mg) is not None:
        # Twilio allows one alpha sender per service; a second overflows the sender pool's
        # limit for alpha senders (21714: the pool reached its size limit).
        raise ApiError(400, 21714, "A Messaging Service can have only one Alpha Sender ID")
    sid, ts = _db.new_sid("AI"), _db.now()
    ctx.conn.execute(
        "INSERT INTO alpha_senders (sid, account_sid, service_sid, alpha_sender, date_created,"
        " date_updated) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, mg, value, ts, ts),
    )
    return Response(201, alpha_json(_alpha_row(ctx, mg, sid)))


def _list(ctx: Ctx, mg: str) -> Response:
    service_row(ctx, mg)
    rows = ctx.conn.execute(
        "SELECT * FROM alpha_senders WHERE service_sid = ? ORDER BY date_created, rowid", (mg,)
    ).fetchall()
    return Response(200, v1_list(ctx.req, "alpha_senders", [alpha_json(r) for r in rows]))


def _fetch(ctx: Ctx, mg: str, ai: str) -> Response:
    service_row(ctx, mg)
    return Response(200, alpha_json(_alpha_row(ctx, mg, ai)))


def _delete(ctx: Ctx, mg: str, ai: str) -> Response:
    service_row(ctx, mg)
    _alpha_row(ctx, mg, ai)
    ctx.conn.execute("DELETE FROM alpha_senders WHERE sid = ?", (ai,))
    return Response(204)


ROUTES = [
    route(r"/v1/Services/(?P<mg>[^/]+)/AlphaSenders", {"GET": _list, "POST": _create}),
    route(
        r"/v1/Services/(?P<mg>[^/]+)/AlphaSenders/(?P<ai>[^/]+)",
        {"GET": _fetch, "DELETE": _delete},
    ),
]
