"""The IncomingPhoneNumbers resource (2010-04-01): buy, list, fetch and release numbers.

A number is bought from the sandbox's stock (``available_numbers``); a Trial account may own one.
Releasing a number also takes it out of any Messaging Service's sender pool, as on Twilio.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db
from onboarding_helpers.sandbox.resources.available_numbers import is_offerable, pretty_us
from onboarding_helpers.sandbox.resources.base import ACCOUNT_PATH, Ctx, owned_row, route
from onboarding_helpers.sandbox.wire import (
    E164_RE,
    V2010,
    ApiError,
    Response,
    friendly_name,
    required,
    rfc2822,
    v2010_list,
)


def incoming_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "account_sid": row["account_sid"],
        "address_requirements": "none",
        "address_sid": None,
        "api_version": "2010-04-01",
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": row["friendly_name"],
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": row["phone_number"],
        "sid": row["sid"],
        # Unset SIDs and URLs are null: the spec's SID patterns and uri format refuse "".
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": "POST",
        "sms_url": None,
        "status": "in-use",
        "status_callback": None,
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"{V2010}/Accounts/{row['account_sid']}/IncomingPhoneNumbers/{row['sid']}.json",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": None,
    }


def _check_trial_allowance(ctx: Ctx) -> None:
    owned = ctx.conn.execute(
        "SELECT COUNT(*) FROM incoming_numbers WHERE account_sid = ?", (ctx.account_sid,)
    ).fetchone()[0]
    # Like Twilio's free trial: one number is allowed, more need an upgraded account.
    if owned >= 1:
        raise ApiError(
            400,
            21404,
            "Trial accounts may have only one phone number. Upgrade the account to buy more.",
        )


def _create(ctx: Ctx) -> Response:
    number = required(ctx.form, "PhoneNumber")
    if not E164_RE.match(number):
        raise ApiError(400, 21421, f"PhoneNumber {number} is not a valid phone number")
    taken = ctx.conn.execute(
        "SELECT 1 FROM incoming_numbers WHERE phone_number = ?", (number,)
    ).fetchone()
    if taken or not is_offerable(number):
        raise ApiError(400, 21422, f"PhoneNumber {number} is not available")
    if ctx.account["type"] == "Trial":
        _check_trial_allowance(ctx)
    name = friendly_name(ctx.form.get("FriendlyName") or pretty_us(number))
    sid, ts = _db.new_sid("PN"), _db.now()
    ctx.conn.execute(
        "INSERT INTO incoming_numbers (sid, account_sid, phone_number, friendly_name,"
        " date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, number, name, ts, ts),
    )
    return Response(201, incoming_json(owned_row(ctx, "incoming_numbers", sid)))


def _list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM incoming_numbers WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    wanted = ctx.req.query.get("PhoneNumber", "")
    items = [incoming_json(r) for r in rows if wanted in r["phone_number"]]
    return Response(200, v2010_list(ctx.req, "incoming_phone_numbers", items))


def _fetch(ctx: Ctx, pn: str) -> Response:
    return Response(200, incoming_json(owned_row(ctx, "incoming_numbers", pn)))


def _delete(ctx: Ctx, pn: str) -> Response:
    owned_row(ctx, "incoming_numbers", pn)
    ctx.conn.execute("DELETE FROM service_numbers WHERE sid = ?", (pn,))
    ctx.conn.execute("DELETE FROM incoming_numbers WHERE sid = ?", (pn,))
    return Response(204)


ROUTES = [
    route(rf"{ACCOUNT_PATH}/IncomingPhoneNumbers\.json", {"GET": _list, "POST": _create}),
    route(
        rf"{ACCOUNT_PATH}/IncomingPhoneNumbers/(?P<pn>[^/]+)\.json",
        {"GET": _fetch, "DELETE": _delete},
    ),
]
