"""The Messaging Services resource (messaging v1 ``/v1/Services``): create, list, fetch, update
and delete services. Their sender pools are ``alpha_senders`` and ``service_numbers``; deleting a
service empties both.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from onboarding_helpers.sandbox import _db
from onboarding_helpers.sandbox.resources.base import Ctx, owned_row, route
from onboarding_helpers.sandbox.wire import (
    MESSAGING_HOST,
    ApiError,
    Response,
    bool_param,
    friendly_name,
    iso8601,
    required,
    v1_list,
)

USECASES = ("notifications", "marketing", "verification", "discussion", "poll", "undeclared")

# Form parameter -> (JSON field, kind, default) for the service settings kept in `props`.
SERVICE_PROPS: dict[str, tuple[str, str, Any]] = {
    "InboundRequestUrl": ("inbound_request_url", "str", None),
    "InboundMethod": ("inbound_method", "str", "POST"),
    "FallbackUrl": ("fallback_url", "str", None),
    "FallbackMethod": ("fallback_method", "str", "POST"),
    "StatusCallback": ("status_callback", "str", None),
    "StickySender": ("sticky_sender", "bool", True),
    "MmsConverter": ("mms_converter", "bool", True),
    "SmartEncoding": ("smart_encoding", "bool", True),
    "ScanMessageContent": ("scan_message_content", "str", "inherit"),
    "FallbackToLongCode": ("fallback_to_long_code", "bool", True),
    "AreaCodeGeomatch": ("area_code_geomatch", "bool", True),
    "ValidityPeriod": ("validity_period", "int", 14400),
    "SynchronousValidation": ("synchronous_validation", "bool", True),
    "UseInboundWebhookOnNumber": ("use_inbound_webhook_on_number", "bool", False),
}


def service_url(sid: str) -> str:
    return f"{MESSAGING_HOST}/v1/Services/{sid}"


def service_json(row: sqlite3.Row) -> dict[str, Any]:
    props = json.loads(row["props"])
    body: dict[str, Any] = {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "friendly_name": row["friendly_name"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
    }
    for json_name, _, default in SERVICE_PROPS.values():
        body[json_name] = props.get(json_name, default)
    url = service_url(row["sid"])
    body.update(
        {
            "usecase": row["usecase"],
            "us_app_to_person_registered": False,
            "url": url,
            "links": {
                "phone_numbers": f"{url}/PhoneNumbers",
                "short_codes": f"{url}/ShortCodes",
                "alpha_senders": f"{url}/AlphaSenders",
                "messages": f"{url}/Messages",
                "us_app_to_person": f"{url}/Compliance/Usa2p",
                "us_app_to_person_usecases": f"{url}/Compliance/Usa2p/Usecases",
                "channel_senders": f"{url}/ChannelSenders",
                "destination_alpha_senders": f"{url}/DestinationAlphaSenders",
            },
        }
    )
    return body


def service_row(ctx: Ctx, mg: str) -> sqlite3.Row:
    """The caller's service ``mg``, else 404: every sub-resource of a service checks it first."""
    return owned_row(ctx, "services", mg)


def _props(form: dict[str, str], props: dict[str, Any]) -> dict[str, Any]:
    for param, (json_name, kind, _) in SERVICE_PROPS.items():
        if param not in form:
            continue
        raw = form[param]
        if kind == "bool":
            props[json_name] = bool_param(form, param)
        elif kind == "int":
            if not raw.isdigit():
                raise ApiError(400, 20001, f"Invalid {param}")
            props[json_name] = int(raw)
        else:
            props[json_name] = raw or None
    return props


def _usecase(form: dict[str, str], default: str) -> str:
    usecase = form.get("Usecase", default)
    if usecase not in USECASES:
        raise ApiError(400, 20001, "Invalid Usecase")
    return usecase


def _create(ctx: Ctx) -> Response:
    name = friendly_name(required(ctx.form, "FriendlyName"))
    usecase = _usecase(ctx.form, "undeclared")
    props = _props(ctx.form, {})
    sid, ts = _db.new_sid("MG"), _db.now()
    ctx.conn.execute(
        "INSERT INTO services (sid, account_sid, friendly_name, usecase, props, date_created,"
        " date_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, name, usecase, json.dumps(props), ts, ts),
    )
    return Response(201, service_json(service_row(ctx, sid)))


def _list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM services WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    return Response(200, v1_list(ctx.req, "services", [service_json(r) for r in rows]))


def _fetch(ctx: Ctx, mg: str) -> Response:
    return Response(200, service_json(service_row(ctx, mg)))


def _update(ctx: Ctx, mg: str) -> Response:
    row = service_row(ctx, mg)
    name = row["friendly_name"]
    if "FriendlyName" in ctx.form:
        name = friendly_name(required(ctx.form, "FriendlyName"))
    usecase = _usecase(ctx.form, row["usecase"])
    props = _props(ctx.form, json.loads(row["props"]))
    ctx.conn.execute(
        "UPDATE services SET friendly_name = ?, usecase = ?, props = ?, date_updated = ?"
        " WHERE sid = ?",
        (name, usecase, json.dumps(props), _db.now(), mg),
    )
    return Response(200, service_json(service_row(ctx, mg)))


def _delete(ctx: Ctx, mg: str) -> Response:
    service_row(ctx, mg)
    for table in ("alpha_senders", "service_numbers"):
        ctx.conn.execute(f"DELETE FROM {table} WHERE service_sid = ?", (mg,))
    ctx.conn.execute("DELETE FROM services WHERE sid = ?", (mg,))
    return Response(204)


ROUTES = [
    route(r"/v1/Services", {"GET": _list, "POST": _create}),
    route(r"/v1/Services/(?P<mg>[^/]+)", {"GET": _fetch, "POST": _update, "DELETE": _delete}),
]
