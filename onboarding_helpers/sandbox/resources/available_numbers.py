"""The AvailablePhoneNumbers resource (2010-04-01, ``Local`` only): the numbers one can buy.

The sandbox "stocks" +1 <area> 555-0100 to 555-0199 in a few US area codes: fictional numbers
that can never reach a person. Only US numbers are stocked, which is enough for the runbook's
"foreign recipients" step. ``IncomingPhoneNumbers`` buys from the same stock.
"""

from __future__ import annotations

import re
from typing import Any

from onboarding_helpers.sandbox.resources.base import ACCOUNT_PATH, Ctx, route
from onboarding_helpers.sandbox.wire import Response, not_found, page_params, v2010_list

# Fake US area codes: (locality, region, postal code, latitude, longitude, lata, rate centre).
AREA_CODES: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "201": ("Jersey City", "NJ", "07302", "40.7178", "-74.0431", "224", "JERSEYCITY"),
    "212": ("New York", "NY", "10001", "40.7506", "-73.9972", "132", "NWYRCYZN01"),
    "312": ("Chicago", "IL", "60601", "41.8858", "-87.6181", "358", "CHICAGO"),
    "415": ("San Francisco", "CA", "94105", "37.7898", "-122.3942", "722", "SNFC CNTRL"),
    "503": ("Portland", "OR", "97204", "45.5184", "-122.6746", "672", "PORTLAND"),
    "617": ("Boston", "MA", "02108", "42.3576", "-71.0646", "128", "BOSTON"),
}


def pretty_us(number: str) -> str:
    """``+14155550100`` -> ``(415) 555-0100``, a US number's default friendly name."""
    return f"({number[2:5]}) {number[5:8]}-{number[8:]}"


def is_offerable(number: str) -> bool:
    """Whether ``number`` is in the sandbox's stock (owned or not)."""
    return re.fullmatch(r"\+1\d{3}55501\d\d", number) is not None and number[2:5] in AREA_CODES


def available_json(number: str) -> dict[str, Any]:
    locality, region, postal, lat, lon, lata, rate_center = AREA_CODES[number[2:5]]
    return {
        "friendly_name": pretty_us(number),
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


def _search_local(ctx: Ctx, country: str) -> Response:
    if country != "US":
        raise not_found(ctx.req.path)
    area = ctx.req.query.get("AreaCode")
    if area is not None and area not in AREA_CODES:
        areas: list[str] = []
    else:
        areas = [area] if area else list(AREA_CODES)
    page_size, _ = page_params(ctx.req.query)
    owned = {r[0] for r in ctx.conn.execute("SELECT phone_number FROM incoming_numbers")}
    contains = ctx.req.query.get("Contains", "")
    found: list[dict[str, Any]] = []
    for code in areas:
        for n in range(100, 200):
            number = f"+1{code}5550{n}"
            if number not in owned and contains in number:
                found.append(available_json(number))
            if len(found) >= page_size:
                break
        if len(found) >= page_size:
            break
    # Twilio answers number searches with a single page.
    body = v2010_list(ctx.req, "available_phone_numbers", found)
    body["next_page_uri"] = None
    return Response(200, body)


ROUTES = [
    route(
        rf"{ACCOUNT_PATH}/AvailablePhoneNumbers/(?P<country>[^/]+)/Local\.json",
        {"GET": _search_local},
    ),
]
