"""The fake Twilio REST API: authentication, routing, resources and their JSON.

Everything here works on one sqlite3 connection inside one transaction opened by the HTTP layer,
so a handler can raise ``ApiError`` at any point and the caller rolls its writes back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from . import _db

API_HOST = "https://api.twilio.com"
MESSAGING_HOST = "https://messaging.twilio.com"
V2010 = "/2010-04-01"

SID_RE = re.compile(r"^(AC|SK|MG|AI|PN|SM)[0-9a-f]{32}$")
E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
ALPHA_RE = re.compile(r"^[A-Za-z0-9 +\-_&]{1,11}$")
USECASES = ("notifications", "marketing", "verification", "discussion", "poll", "undeclared")
MAX_FRIENDLY_NAME = 64
MAX_BODY = 1600

# Fake US area codes: (locality, region, postal code, latitude, longitude, lata, rate centre).
AREA_CODES: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "201": ("Jersey City", "NJ", "07302", "40.7178", "-74.0431", "224", "JERSEYCITY"),
    "212": ("New York", "NY", "10001", "40.7506", "-73.9972", "132", "NWYRCYZN01"),
    "312": ("Chicago", "IL", "60601", "41.8858", "-87.6181", "358", "CHICAGO"),
    "415": ("San Francisco", "CA", "94105", "37.7898", "-122.3942", "722", "SNFC CNTRL"),
    "503": ("Portland", "OR", "97204", "45.5184", "-122.6746", "672", "PORTLAND"),
    "617": ("Boston", "MA", "02108", "42.3576", "-71.0646", "128", "BOSTON"),
}


class ApiError(Exception):
    """A Twilio-style error answer."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        # Exactly Twilio's legacy error keys: adding "type"/"title" would make the SDK raise
        # TwilioServiceException instead of TwilioRestException.
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def authenticate_failed() -> ApiError:
    return ApiError(401, 20003, "Authenticate")


def not_found(path: str) -> ApiError:
    return ApiError(404, 20404, f"The requested resource {path} was not found")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str | None


@dataclass
class Identity:
    kind: str  # "auth_token" | "api_key" | "none" | "bad"
    username: str | None = None  # only ever a SID, never free text that could be a secret
    account: sqlite3.Row | None = None
    key_type: str | None = None
    log_account_sid: str | None = None


@dataclass
class Response:
    status: int
    body: Any = None
    error_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- formatting


def rfc2822(ts: float | None) -> str | None:
    if ts is None:
        return None
    return format_datetime(datetime.fromtimestamp(ts, timezone.utc))


def iso8601(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _page_params(query: dict[str, str]) -> tuple[int, int]:
    try:
        page_size = int(query.get("PageSize", "50"))
        page = int(query.get("Page", "0"))
    except ValueError:
        raise ApiError(400, 20001, "Invalid paging parameters") from None
    if not 1 <= page_size <= 1000 or page < 0:
        raise ApiError(400, 20001, "PageSize must be 1 to 1000 and Page 0 or more")
    return page_size, page


def _page_uri(path: str, query: dict[str, str], page_size: int, page: int) -> str:
    # Keep the caller's filters so every page of a list answers the same question.
    params = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}
    params.update({"PageSize": str(page_size), "Page": str(page)})
    return f"{path}?{urlencode(params)}"


def v2010_list(req: Request, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    page_size, page = _page_params(req.query)
    start = page * page_size
    chunk = items[start : start + page_size]
    has_next = start + page_size < len(items)
    return {
        "first_page_uri": _page_uri(req.path, req.query, page_size, 0),
        "end": start + len(chunk) - 1 if chunk else start,
        "previous_page_uri": (
            _page_uri(req.path, req.query, page_size, page - 1) if page > 0 else None
        ),
        key: chunk,
        "uri": _page_uri(req.path, req.query, page_size, page),
        "page_size": page_size,
        "start": start,
        "next_page_uri": _page_uri(req.path, req.query, page_size, page + 1) if has_next else None,
        "page": page,
    }


def v1_list(req: Request, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    page_size, page = _page_params(req.query)
    start = page * page_size
    chunk = items[start : start + page_size]
    has_next = start + page_size < len(items)

    # Absolute URLs on Twilio's own host, as Twilio sends them; the SDK follows next_page_url
    # through its http_client, so a rewriting client reaches the sandbox for every page.
    def url(p: int) -> str:
        return MESSAGING_HOST + _page_uri(req.path, req.query, page_size, p)

    return {
        key: chunk,
        "meta": {
            "page": page,
            "page_size": page_size,
            "first_page_url": url(0),
            "previous_page_url": url(page - 1) if page > 0 else None,
            "url": url(page),
            "next_page_url": url(page + 1) if has_next else None,
            "key": key,
        },
    }


# ---------------------------------------------------------------- authentication


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def authenticate(conn: sqlite3.Connection, header: str | None) -> Identity:
    if not header:
        return Identity("none")
    creds = _basic_credentials(header)
    if creds is None:
        return Identity("bad")
    user, password = creds
    # Log the username only if it is a SID: a secret pasted into the wrong field must not leak.
    username = user if SID_RE.match(user) else None
    if user.startswith("AC"):
        account = conn.execute("SELECT * FROM accounts WHERE sid = ?", (user,)).fetchone()
        ident = Identity("bad", username, log_account_sid=account["sid"] if account else None)
        if account and hmac.compare_digest(account["auth_token"], password):
            ident.kind, ident.account = "auth_token", account
        return ident
    if user.startswith("SK"):
        key = conn.execute("SELECT * FROM api_keys WHERE sid = ?", (user,)).fetchone()
        ident = Identity("bad", username, log_account_sid=key["account_sid"] if key else None)
        if key and hmac.compare_digest(key["secret_sha256"], secret_hash(password)):
            account = conn.execute(
                "SELECT * FROM accounts WHERE sid = ?", (key["account_sid"],)
            ).fetchone()
            if account is not None:
                ident.kind, ident.account, ident.key_type = "api_key", account, key["key_type"]
        return ident
    return Identity("bad", username)


# ---------------------------------------------------------------- routing


@dataclass
class Ctx:
    conn: sqlite3.Connection
    req: Request
    ident: Identity

    @property
    def account(self) -> sqlite3.Row:
        assert self.ident.account is not None
        return self.ident.account

    @property
    def account_sid(self) -> str:
        return str(self.account["sid"])


Handler = Callable[..., Response]


@dataclass
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Handler]
    # Standard API keys may not use the Accounts and Keys resources (Twilio's documented rule).
    accounts_api: bool = False
    # Fetching the account still works when it is suspended or closed, so its status can be read.
    status_exempt: bool = False


ROUTES: list[Route] = []


def route(
    pattern: str, *, accounts_api: bool = False, status_exempt: bool = False
) -> Callable[[dict[str, Handler]], None]:
    def register(methods: dict[str, Handler]) -> None:
        ROUTES.append(Route(re.compile(f"^{pattern}$"), methods, accounts_api, status_exempt))

    return register


def handle(conn: sqlite3.Connection, req: Request) -> tuple[Response, Identity]:
    ident = authenticate(conn, req.authorization)
    if ident.log_account_sid is None:
        # File failed calls under the account they aimed at, so trainers see them per account.
        aimed = re.match(rf"^{V2010}/Accounts/(AC[0-9a-f]{{32}})[/.]", req.path)
        ident.log_account_sid = aimed.group(1) if aimed else None
    try:
        return _dispatch(conn, req, ident), ident
    except ApiError as err:
        headers = {}
        if err.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return Response(err.status, err.body(), err.code, headers), ident


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
        if r.accounts_api and ident.kind == "api_key" and ident.key_type != "main":
            raise authenticate_failed()
        params = match.groupdict()
        ac = params.pop("ac", None)
        if ac is not None and ac != ident.account["sid"]:
            # A key only works inside its own account. An Account SID path that is not yours
            # (or a key SID put where the Account SID belongs) is simply not found, like Twilio.
            if ident.kind == "api_key" and ac.startswith("AC"):
                raise authenticate_failed()
            raise not_found(req.path)
        if not r.status_exempt and ident.account["status"] != "active":
            # Our choice for suspended and closed accounts: credentials still authenticate
            # (so the account fetch can show the status) but every other call is refused.
            raise ApiError(403, 20005, "Account not active")
        return handler(Ctx(conn, req, ident), **params)
    raise not_found(req.path)


def _required(ctx: Ctx, name: str) -> str:
    value = ctx.req.form.get(name, "")
    if value == "":
        raise ApiError(400, 20001, f"Missing required parameter {name} in the post body")
    return value


def _friendly_name(value: str) -> str:
    if len(value) > MAX_FRIENDLY_NAME:
        raise ApiError(400, 20001, "FriendlyName must be 64 characters or fewer")
    return value


def _bool_param(ctx: Ctx, name: str) -> bool | None:
    value = ctx.req.form.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise ApiError(400, 20001, f"Invalid {name}: expected true or false")
    return value.lower() == "true"


# ---------------------------------------------------------------- accounts


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


def _accounts_list(ctx: Ctx) -> Response:
    return Response(200, v2010_list(ctx.req, "accounts", [account_json(ctx.account)]))


def _account_fetch(ctx: Ctx) -> Response:
    return Response(200, account_json(ctx.account))


def _account_update(ctx: Ctx) -> Response:
    if "FriendlyName" in ctx.req.form:
        name = _friendly_name(ctx.req.form["FriendlyName"])
        ctx.conn.execute(
            "UPDATE accounts SET friendly_name = ?, date_updated = ? WHERE sid = ?",
            (name, _db.now(), ctx.account_sid),
        )
    row = ctx.conn.execute("SELECT * FROM accounts WHERE sid = ?", (ctx.account_sid,)).fetchone()
    return Response(200, account_json(row))


route(rf"{V2010}/Accounts\.json", accounts_api=True, status_exempt=True)({"GET": _accounts_list})
route(rf"{V2010}/Accounts/(?P<ac>[^/]+)\.json", accounts_api=True, status_exempt=True)(
    {"GET": _account_fetch, "POST": _account_update}
)


# ---------------------------------------------------------------- API keys


def key_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
    }


def _key_row(ctx: Ctx, sk: str) -> sqlite3.Row:
    row = ctx.conn.execute(
        "SELECT * FROM api_keys WHERE sid = ? AND account_sid = ?", (sk, ctx.account_sid)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _keys_create(ctx: Ctx) -> Response:
    name = _friendly_name(ctx.req.form.get("FriendlyName", ""))
    sid, secret, ts = _db.new_sid("SK"), _db.new_secret(), _db.now()
    # Only a hash is kept: like Twilio, the secret is shown once and can never be read back.
    ctx.conn.execute(
        "INSERT INTO api_keys (sid, account_sid, friendly_name, secret_sha256, date_created,"
        " date_updated) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, name, secret_hash(secret), ts, ts),
    )
    body = key_json(_key_row(ctx, sid))
    body["secret"] = secret
    return Response(201, body)


def _keys_list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM api_keys WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    return Response(200, v2010_list(ctx.req, "keys", [key_json(r) for r in rows]))


def _key_fetch(ctx: Ctx, sk: str) -> Response:
    return Response(200, key_json(_key_row(ctx, sk)))


def _key_update(ctx: Ctx, sk: str) -> Response:
    _key_row(ctx, sk)
    if "FriendlyName" in ctx.req.form:
        ctx.conn.execute(
            "UPDATE api_keys SET friendly_name = ?, date_updated = ? WHERE sid = ?",
            (_friendly_name(ctx.req.form["FriendlyName"]), _db.now(), sk),
        )
    return Response(200, key_json(_key_row(ctx, sk)))


def _key_delete(ctx: Ctx, sk: str) -> Response:
    _key_row(ctx, sk)
    ctx.conn.execute("DELETE FROM api_keys WHERE sid = ?", (sk,))
    return Response(204)


route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/Keys\.json", accounts_api=True)(
    {"GET": _keys_list, "POST": _keys_create}
)
route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/Keys/(?P<sk>[^/]+)\.json", accounts_api=True)(
    {"GET": _key_fetch, "POST": _key_update, "DELETE": _key_delete}
)


# ---------------------------------------------------------------- phone numbers


def _pretty_us(number: str) -> str:
    return f"({number[2:5]}) {number[5:8]}-{number[8:]}"


def _is_offerable(number: str) -> bool:
    # The sandbox "stocks" +1 <area> 555-01xx: fictional numbers that can never reach a person.
    return re.fullmatch(r"\+1\d{3}55501\d\d", number) is not None and number[2:5] in AREA_CODES


def _available_json(number: str) -> dict[str, Any]:
    locality, region, postal, lat, lon, lata, rate_center = AREA_CODES[number[2:5]]
    return {
        "friendly_name": _pretty_us(number),
        "phone_number": number,
        "lata": lata,
        "locality": locality,
        "rate_center": rate_center,
        # Numbers, as the spec's schema says (its example shows strings; the SDK reads either).
        "latitude": float(lat),
        "longitude": float(lon),
        "region": region,
        "postal_code": postal,
        "iso_country": "US",
        "address_requirements": "none",
        "beta": False,
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
    }


def _available_local(ctx: Ctx, country: str) -> Response:
    if country != "US":
        # Only US numbers are stocked: enough for the "foreign recipients" step.
        raise not_found(ctx.req.path)
    area = ctx.req.query.get("AreaCode")
    if area is not None and area not in AREA_CODES:
        areas: list[str] = []
    else:
        areas = [area] if area else list(AREA_CODES)
    page_size, _ = _page_params(ctx.req.query)
    owned = {r[0] for r in ctx.conn.execute("SELECT phone_number FROM incoming_numbers")}
    contains = ctx.req.query.get("Contains", "")
    found: list[dict[str, Any]] = []
    for code in areas:
        for n in range(100, 200):
            number = f"+1{code}5550{n}"
            if number not in owned and contains in number:
                found.append(_available_json(number))
            if len(found) >= page_size:
                break
        if len(found) >= page_size:
            break
    # Twilio answers number searches with a single page.
    body = v2010_list(ctx.req, "available_phone_numbers", found)
    body["next_page_uri"] = None
    return Response(200, body)


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


def _incoming_row(ctx: Ctx, pn: str) -> sqlite3.Row:
    row = ctx.conn.execute(
        "SELECT * FROM incoming_numbers WHERE sid = ? AND account_sid = ?", (pn, ctx.account_sid)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _incoming_create(ctx: Ctx) -> Response:
    number = _required(ctx, "PhoneNumber")
    if not E164_RE.match(number):
        raise ApiError(400, 21421, f"PhoneNumber {number} is not a valid phone number")
    taken = ctx.conn.execute(
        "SELECT 1 FROM incoming_numbers WHERE phone_number = ?", (number,)
    ).fetchone()
    if taken or not _is_offerable(number):
        raise ApiError(400, 21422, f"PhoneNumber {number} is not available")
    if ctx.account["type"] == "Trial":
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
    name = _friendly_name(ctx.req.form.get("FriendlyName") or _pretty_us(number))
    sid, ts = _db.new_sid("PN"), _db.now()
    ctx.conn.execute(
        "INSERT INTO incoming_numbers (sid, account_sid, phone_number, friendly_name,"
        " date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, number, name, ts, ts),
    )
    return Response(201, incoming_json(_incoming_row(ctx, sid)))


def _incoming_list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM incoming_numbers WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    wanted = ctx.req.query.get("PhoneNumber", "")
    items = [incoming_json(r) for r in rows if wanted in r["phone_number"]]
    return Response(200, v2010_list(ctx.req, "incoming_phone_numbers", items))


def _incoming_fetch(ctx: Ctx, pn: str) -> Response:
    return Response(200, incoming_json(_incoming_row(ctx, pn)))


def _incoming_delete(ctx: Ctx, pn: str) -> Response:
    _incoming_row(ctx, pn)
    # Releasing a number also takes it out of any sender pool, as on Twilio.
    ctx.conn.execute("DELETE FROM service_numbers WHERE sid = ?", (pn,))
    ctx.conn.execute("DELETE FROM incoming_numbers WHERE sid = ?", (pn,))
    return Response(204)


route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/AvailablePhoneNumbers/(?P<country>[^/]+)/Local\.json")(
    {"GET": _available_local}
)
route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/IncomingPhoneNumbers\.json")(
    {"GET": _incoming_list, "POST": _incoming_create}
)
route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/IncomingPhoneNumbers/(?P<pn>[^/]+)\.json")(
    {"GET": _incoming_fetch, "DELETE": _incoming_delete}
)


# ---------------------------------------------------------------- messaging services

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


def _service_props(ctx: Ctx, props: dict[str, Any]) -> dict[str, Any]:
    for param, (json_name, kind, _) in SERVICE_PROPS.items():
        if param not in ctx.req.form:
            continue
        raw = ctx.req.form[param]
        if kind == "bool":
            props[json_name] = _bool_param(ctx, param)
        elif kind == "int":
            if not raw.isdigit():
                raise ApiError(400, 20001, f"Invalid {param}")
            props[json_name] = int(raw)
        else:
            props[json_name] = raw or None
    return props


def _usecase(ctx: Ctx, default: str) -> str:
    usecase = ctx.req.form.get("Usecase", default)
    if usecase not in USECASES:
        raise ApiError(400, 20001, "Invalid Usecase")
    return usecase


def _service_row(ctx: Ctx, mg: str) -> sqlite3.Row:
    row = ctx.conn.execute(
        "SELECT * FROM services WHERE sid = ? AND account_sid = ?", (mg, ctx.account_sid)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _services_create(ctx: Ctx) -> Response:
    name = _friendly_name(_required(ctx, "FriendlyName"))
    usecase = _usecase(ctx, "undeclared")
    props = _service_props(ctx, {})
    sid, ts = _db.new_sid("MG"), _db.now()
    ctx.conn.execute(
        "INSERT INTO services (sid, account_sid, friendly_name, usecase, props, date_created,"
        " date_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, name, usecase, json.dumps(props), ts, ts),
    )
    return Response(201, service_json(_service_row(ctx, sid)))


def _services_list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM services WHERE account_sid = ? ORDER BY date_created, rowid",
        (ctx.account_sid,),
    ).fetchall()
    return Response(200, v1_list(ctx.req, "services", [service_json(r) for r in rows]))


def _service_fetch(ctx: Ctx, mg: str) -> Response:
    return Response(200, service_json(_service_row(ctx, mg)))


def _service_update(ctx: Ctx, mg: str) -> Response:
    row = _service_row(ctx, mg)
    name = row["friendly_name"]
    if "FriendlyName" in ctx.req.form:
        name = _friendly_name(_required(ctx, "FriendlyName"))
    usecase = _usecase(ctx, row["usecase"])
    props = _service_props(ctx, json.loads(row["props"]))
    ctx.conn.execute(
        "UPDATE services SET friendly_name = ?, usecase = ?, props = ?, date_updated = ?"
        " WHERE sid = ?",
        (name, usecase, json.dumps(props), _db.now(), mg),
    )
    return Response(200, service_json(_service_row(ctx, mg)))


def _service_delete(ctx: Ctx, mg: str) -> Response:
    _service_row(ctx, mg)
    for table in ("alpha_senders", "service_numbers"):
        ctx.conn.execute(f"DELETE FROM {table} WHERE service_sid = ?", (mg,))
    ctx.conn.execute("DELETE FROM services WHERE sid = ?", (mg,))
    return Response(204)


route(r"/v1/Services")({"GET": _services_list, "POST": _services_create})
route(r"/v1/Services/(?P<mg>[^/]+)")(
    {"GET": _service_fetch, "POST": _service_update, "DELETE": _service_delete}
)


# ---------------------------------------------------------------- alpha senders


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


def _alpha_row(ctx: Ctx, mg: str, ai: str) -> sqlite3.Row:
    row = ctx.conn.execute(
        "SELECT * FROM alpha_senders WHERE sid = ? AND service_sid = ?", (ai, mg)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _alpha_create(ctx: Ctx, mg: str) -> Response:
    _service_row(ctx, mg)
    value = ctx.req.form.get("AlphaSender", "")
    problem = alpha_sender_problem(value)
    if problem:
        raise ApiError(400, 21709, f"Invalid Alpha Sender ID '{value}': {problem}")
    if ctx.account["type"] == "Trial":
        raise ApiError(
            400,
            21709,
            "Alphanumeric Sender ID is not available to Trial accounts. Upgrade the account.",
        )
    protected = {s.strip().upper() for s in _db.loads_list(ctx.account["protected_sender_ids"])}
    if value.strip().upper() in protected:
        raise ApiError(
            400,
            21709,
            f"Alpha Sender ID '{value}' is not authorized for this account:"
            " it is protected for another organisation",
        )
    existing = ctx.conn.execute(
        "SELECT 1 FROM alpha_senders WHERE service_sid = ?", (mg,)
    ).fetchone()
    if existing:
        # Twilio allows one alpha sender per service; we answer with the pool-limit code.
        raise ApiError(400, 21714, "A Messaging Service can have only one Alpha Sender ID")
    sid, ts = _db.new_sid("AI"), _db.now()
    ctx.conn.execute(
        "INSERT INTO alpha_senders (sid, account_sid, service_sid, alpha_sender, date_created,"
        " date_updated) VALUES (?, ?, ?, ?, ?, ?)",
        (sid, ctx.account_sid, mg, value, ts, ts),
    )
    return Response(201, alpha_json(_alpha_row(ctx, mg, sid)))


def _alpha_list(ctx: Ctx, mg: str) -> Response:
    _service_row(ctx, mg)
    rows = ctx.conn.execute(
        "SELECT * FROM alpha_senders WHERE service_sid = ? ORDER BY date_created, rowid", (mg,)
    ).fetchall()
    return Response(200, v1_list(ctx.req, "alpha_senders", [alpha_json(r) for r in rows]))


def _alpha_fetch(ctx: Ctx, mg: str, ai: str) -> Response:
    _service_row(ctx, mg)
    return Response(200, alpha_json(_alpha_row(ctx, mg, ai)))


def _alpha_delete(ctx: Ctx, mg: str, ai: str) -> Response:
    _service_row(ctx, mg)
    _alpha_row(ctx, mg, ai)
    ctx.conn.execute("DELETE FROM alpha_senders WHERE sid = ?", (ai,))
    return Response(204)


route(r"/v1/Services/(?P<mg>[^/]+)/AlphaSenders")({"GET": _alpha_list, "POST": _alpha_create})
route(r"/v1/Services/(?P<mg>[^/]+)/AlphaSenders/(?P<ai>[^/]+)")(
    {"GET": _alpha_fetch, "DELETE": _alpha_delete}
)


# ---------------------------------------------------------------- service phone numbers


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


_SERVICE_NUMBER_SQL = (
    "SELECT s.*, n.phone_number FROM service_numbers s"
    " JOIN incoming_numbers n ON n.sid = s.sid WHERE s.service_sid = ?"
)


def _service_number_row(ctx: Ctx, mg: str, pn: str) -> sqlite3.Row:
    row = ctx.conn.execute(_SERVICE_NUMBER_SQL + " AND s.sid = ?", (mg, pn)).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return row


def _service_number_create(ctx: Ctx, mg: str) -> Response:
    _service_row(ctx, mg)
    pn = _required(ctx, "PhoneNumberSid")
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


def _service_number_list(ctx: Ctx, mg: str) -> Response:
    _service_row(ctx, mg)
    rows = ctx.conn.execute(_SERVICE_NUMBER_SQL + " ORDER BY s.date_created", (mg,)).fetchall()
    items = [service_number_json(r) for r in rows]
    return Response(200, v1_list(ctx.req, "phone_numbers", items))


def _service_number_fetch(ctx: Ctx, mg: str, pn: str) -> Response:
    _service_row(ctx, mg)
    return Response(200, service_number_json(_service_number_row(ctx, mg, pn)))


def _service_number_delete(ctx: Ctx, mg: str, pn: str) -> Response:
    _service_row(ctx, mg)
    _service_number_row(ctx, mg, pn)
    ctx.conn.execute("DELETE FROM service_numbers WHERE sid = ?", (pn,))
    return Response(204)


route(r"/v1/Services/(?P<mg>[^/]+)/PhoneNumbers")(
    {"GET": _service_number_list, "POST": _service_number_create}
)
route(r"/v1/Services/(?P<mg>[^/]+)/PhoneNumbers/(?P<pn>[^/]+)")(
    {"GET": _service_number_fetch, "DELETE": _service_number_delete}
)


# ---------------------------------------------------------------- messages

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€\f")
SG_PRICE = 0.0415
OTHER_PRICE = 0.0079


def segments(body: str) -> int:
    if all(c in _GSM7 or c in _GSM7_EXT for c in body):
        units = sum(2 if c in _GSM7_EXT else 1 for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def _is_sg(number: str) -> bool:
    return number.startswith("+65")


def _message_timeline(row: sqlite3.Row) -> list[str]:
    steps = ["accepted"] if row["service_sid"] else []
    steps += ["queued", "sending"]
    outcome = row["outcome"]
    if outcome == "failed":
        return [*steps, "failed"]
    steps.append("sent")
    if outcome == "stuck":
        return steps
    return [*steps, outcome]  # "delivered" or "undelivered"


OUTCOME_ERRORS = {
    "failed": (30007, "Message filtered: the carrier blocked this Sender ID"),
    "undelivered": (30008, "Unknown error: the handset or carrier did not accept the message"),
}


def message_state(row: sqlite3.Row, at: float) -> dict[str, Any]:
    """Where a message is in its life at time ``at``: status advances one step per interval."""
    timeline = _message_timeline(row)
    step = row["step_seconds"]
    elapsed = max(0.0, at - row["date_created"])
    index = len(timeline) - 1 if step <= 0 else min(int(elapsed / step), len(timeline) - 1)
    status = timeline[index]
    changed = row["date_created"] + index * max(step, 0)
    sent_at = None
    if "sent" in timeline and timeline.index("sent") <= index:
        sent_at = row["date_created"] + timeline.index("sent") * max(step, 0)
    error = OUTCOME_ERRORS.get(status)
    priced = status in ("sent", "delivered", "undelivered")
    unit_price = SG_PRICE if _is_sg(row["to_number"]) else OTHER_PRICE
    return {
        "status": status,
        # The sender is chosen when the service queues the message; "accepted" has none yet.
        "from": None if status == "accepted" else row["sender"],
        "date_updated": changed,
        "date_sent": sent_at,
        "error_code": error[0] if error else None,
        "error_message": error[1] if error else None,
        "price": f"-{unit_price * row['num_segments']:.5f}" if priced else None,
    }


def message_json(row: sqlite3.Row, at: float | None = None) -> dict[str, Any]:
    state = message_state(row, _db.now() if at is None else at)
    base = f"{V2010}/Accounts/{row['account_sid']}/Messages/{row['sid']}"
    return {
        "account_sid": row["account_sid"],
        "api_version": "2010-04-01",
        "body": row["body"],
        "date_created": rfc2822(row["date_created"]),
        "date_sent": rfc2822(state["date_sent"]),
        "date_updated": rfc2822(state["date_updated"]),
        "direction": "outbound-api",
        "error_code": state["error_code"],
        "error_message": state["error_message"],
        "from": state["from"],
        "messaging_service_sid": row["service_sid"],
        "num_media": "0",
        "num_segments": str(row["num_segments"]),
        "price": state["price"],
        "price_unit": "USD",
        "sid": row["sid"],
        "status": state["status"],
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": row["to_number"],
        "uri": f"{base}.json",
    }


def _pick_service(ctx: Ctx, mg: str) -> sqlite3.Row:
    row = ctx.conn.execute(
        "SELECT * FROM services WHERE sid = ? AND account_sid = ?", (mg, ctx.account_sid)
    ).fetchone()
    if row is None:
        raise ApiError(400, 21701, f"The Messaging Service Sid {mg} is invalid.")
    return row


def _messages_create(ctx: Ctx) -> Response:
    form = ctx.req.form
    to = form.get("To", "")
    if not to:
        raise ApiError(400, 21604, "A 'To' phone number is required.")
    if not E164_RE.match(to):
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    sender_from = form.get("From", "")
    mg = form.get("MessagingServiceSid") or (sender_from if sender_from.startswith("MG") else "")
    service = _pick_service(ctx, mg) if mg else None
    direct_number = None
    if service is None:
        if not sender_from:
            raise ApiError(
                400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send"
            )
        direct_number = ctx.conn.execute(
            "SELECT phone_number FROM incoming_numbers WHERE phone_number = ? AND account_sid = ?",
            (sender_from, ctx.account_sid),
        ).fetchone()
        if direct_number is None:
            raise ApiError(
                400,
                21606,
                f"The From phone number {sender_from} is not a valid, SMS-capable inbound phone"
                " number or short code for your account.",
            )
    body = form.get("Body", "")
    if not body:
        raise ApiError(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise ApiError(400, 21617, "The concatenated message body exceeds the 1600 character limit")
    if ctx.account["type"] == "Trial":
        # Trial accounts may text verified numbers only; the sandbox has none, so it refuses.
        raise ApiError(
            400,
            21608,
            f"The number {to} is unverified. Trial accounts cannot send messages to unverified"
            " numbers; verify it or purchase a Twilio number to send to it.",
        )
    alpha = None
    pool: list[str] = []
    if service is not None:
        alpha_row = ctx.conn.execute(
            "SELECT alpha_sender FROM alpha_senders WHERE service_sid = ? ORDER BY rowid",
            (service["sid"],),
        ).fetchone()
        alpha = alpha_row[0] if alpha_row else None
        pool = [r["phone_number"] for r in ctx.conn.execute(_SERVICE_NUMBER_SQL, (service["sid"],))]
        if alpha is None and not pool:
            raise ApiError(
                400,
                21703,
                "The Messaging Service does not have a phone number or sender available"
                " to send this message",
            )
    if _is_sg(to) and not re.fullmatch(r"\+65[89]\d{7}", to):
        if re.fullmatch(r"\+65\d{8}", to):
            raise ApiError(400, 21614, f"'To' number {to} is not a valid mobile number")
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if direct_number is not None:
        sender = direct_number[0]
    elif _is_sg(to) and alpha:
        sender = alpha
    elif pool:
        sender = pool[0]
    else:
        # An alphanumeric Sender ID cannot reach most countries outside Singapore (e.g. the US).
        raise ApiError(
            400,
            21612,
            f"The 'To' phone number: {to}, is not currently reachable using the 'From'"
            f" Alpha Sender ID {alpha} via SMS.",
        )
    filtered = {s.strip().upper() for s in _db.loads_list(ctx.account["filtered_sender_ids"])}
    if sender.strip().upper() in filtered:
        outcome = "failed"
    elif to.endswith("0008"):
        outcome = "undelivered"
    elif to.endswith("9999"):
        outcome = "stuck"
    else:
        outcome = "delivered"
    sid, ts = _db.new_sid("SM"), _db.now()
    ctx.conn.execute(
        "INSERT INTO messages (sid, account_sid, service_sid, sender, to_number, body,"
        " num_segments, outcome, step_seconds, date_created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sid,
            ctx.account_sid,
            service["sid"] if service is not None else None,
            sender,
            to,
            body,
            segments(body),
            outcome,
            ctx.account["message_step_seconds"],
            ts,
        ),
    )
    row = ctx.conn.execute("SELECT * FROM messages WHERE sid = ?", (sid,)).fetchone()
    # Freeze the answer at creation time: a zero step would otherwise report "delivered" at once.
    answer = message_json(row, at=ts)
    if row["step_seconds"] <= 0:
        answer.update(status="accepted" if service is not None else "queued", error_code=None)
        answer.update(error_message=None, price=None, date_sent=None)
        answer["from"] = None if service is not None else sender
    return Response(201, answer)


def _messages_list(ctx: Ctx) -> Response:
    rows = ctx.conn.execute(
        "SELECT * FROM messages WHERE account_sid = ? ORDER BY date_created DESC, rowid DESC",
        (ctx.account_sid,),
    ).fetchall()
    to = ctx.req.query.get("To")
    items = [message_json(r) for r in rows if to is None or r["to_number"] == to]
    return Response(200, v2010_list(ctx.req, "messages", items))


def _message_fetch(ctx: Ctx, sm: str) -> Response:
    row = ctx.conn.execute(
        "SELECT * FROM messages WHERE sid = ? AND account_sid = ?", (sm, ctx.account_sid)
    ).fetchone()
    if row is None:
        raise not_found(ctx.req.path)
    return Response(200, message_json(row))


route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/Messages\.json")(
    {"GET": _messages_list, "POST": _messages_create}
)
route(rf"{V2010}/Accounts/(?P<ac>[^/]+)/Messages/(?P<sm>[^/]+)\.json")({"GET": _message_fetch})
