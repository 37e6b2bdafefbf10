"""The PhoneNumbers resource of a Messaging Service (messaging v1
``/v1/Services/{MG}/PhoneNumbers``): the bought numbers in a service's sender pool.

A number sits in at most one service's pool (``service_numbers`` is keyed by the number's SID).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db
from onboarding_helpers.sandbox.resources.base import Ctx, route
from onboarding_helpers.sandbox.resources.services import service_row, service_url
from onboarding_helpers.sandbox.wire import (
    ApiError,
    Response,
    iso8601,
    not_found,
    required,
    v1_list,
)

_SQL = (
    "SELECT s.*, n.phone_number FROM service_numbers s"
    " JOIN incoming_numbers n ON n.sid = s.sid WHERE s.service_sid = ?"
)


def service_number_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "service_sid": row["service_sid"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "phone_number": row["phone_number"],
        "country_code": "US",
        "capabilities": ["MMS", "SMS", "Voice"],
        "url": f"{service_url(row['service_sid'])}/PhoneNumbers/{row['sid']}",
    }


def service_number_rows(conn: sqlite3.Connection, service_sid: str) -> list[sqlite3.Row]:
    """The numbers in the pool of ``service_sid`` (``phone_number`` joined in), oldest first."""
    return conn.execute(_SQL + " ORDER BY s.date_created", (service_sid,)).fetchall()


def sender_pool(conn: sqlite3.Connection, service_sid: str) -> list[str]:
    """The phone numbers a message from service ``service_sid`` may go out from, first first."""
    return [r["phone_number"] for r in conn.execute(_SQL, (service_sid,))]


def _service_number_row(ctx: Ctx, mg: str, pn: str) -> sqlite3.Row:
    row = ctx.conn.execute(_SQL + " AND s.sid = ?", (mg, pn)).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _create(ctx: Ctx, mg: str) -> Response:
    service_row(ctx, mg)
    pn = required(ctx.form, "PhoneNumberSid")
    number = ctx.conn.execute(
        "SELECT * FROM incoming_numbers WHERE sid = ? AND account_sid = ?", (pn, ctx.account_sid)
    ).fetchone()
    if number is None:
        raise ApiError(400, 21421, f"PhoneNumberSid {pn} is not a phone number on this account")
    current = ctx.conn.execute(
        "SELECT service_sid FROM service_numbers WHERE sid = ?", (pn,)
    ).fetchone()
    if current is not None and current[0] == mg:
        raise ApiError(409, 21710, "Phone Number is already in the Messaging Service")
    if current is not None:
        raise ApiError(409, 21712, "Phone Number or Short Code is associated with another Service")
    ts = _db.now()
    ctx.conn.execute(
        "INSERT INTO service_numbers (sid, account_sid, service_sid, date_created, date_updated)"
        " VALUES (?, ?, ?, ?, ?)",
        (pn, ctx.account_sid, mg, ts, ts),
    )
    return Response(201, service_number_json(_service_number_row(ctx, mg, pn)))


def _list(ctx: Ctx, mg: str) -> Response:
    service_row(ctx, mg)
    items = [service_number_json(r) for r in service_number_rows(ctx.conn, mg)]
    return Response(200, v1_list(ctx.req, "phone_numbers", items))


def _fetch(ctx: Ctx, mg: str, pn: str) -> Response:
    service_row(ctx, mg)
    return Response(200, service_number_json(_service_number_row(ctx, mg, pn)))


def _delete(ctx: Ctx, mg: str, pn: str) -> Response:
    service_row(ctx, mg)
    _service_number_row(ctx, mg, pn)
    ctx.conn.execute("DELETE FROM service_numbers WHERE sid = ?", (pn,))
    return Response(204)


ROUTES = [
    route(r"/v1/Services/(?P<mg>[^/]+)/PhoneNumbers", {"GET": _list, "POST": _create}),
    route(
        r"/v1/Services/(?P<mg>[^/]+)/PhoneNumbers/(?P<pn>[^/]+)",
        {"GET": _fetch, "DELETE": _delete},
    ),
]
