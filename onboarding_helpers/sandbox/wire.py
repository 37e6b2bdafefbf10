"""Twilio's wire format, as every resource speaks it: the request and the answer, Twilio's error
body, its two date formats, its two list shapes (2010-04-01 pages and v1 ``meta``), and the form
parameter rules several resources share.

Standard library only, and no import of the rest of the sandbox, so anything may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

API_HOST = "https://api.twilio.com"
MESSAGING_HOST = "https://messaging.twilio.com"
V2010 = "/2010-04-01"

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_FRIENDLY_NAME = 64


# ---------------------------------------------------------------- requests, answers, errors


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str | None


@dataclass
class Response:
    status: int
    body: Any = None
    error_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


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

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return Response(self.status, self.body(), self.code, dict(headers or {}))


def authenticate_failed() -> ApiError:
    return ApiError(401, 20003, "Authenticate")


def not_found(path: str) -> ApiError:
    return ApiError(404, 20404, f"The requested resource {path} was not found")


def internal_error() -> ApiError:
    return ApiError(500, 20500, "Internal Server Error")


# ---------------------------------------------------------------- form parameters


def required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if value == "":
        raise ApiError(400, 20001, f"Missing required parameter {name} in the post body")
    return value


def friendly_name(value: str) -> str:
    if len(value) > MAX_FRIENDLY_NAME:
        raise ApiError(400, 20001, "FriendlyName must be 64 characters or fewer")
    return value


def bool_param(form: dict[str, str], name: str) -> bool | None:
    value = form.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise ApiError(400, 20001, f"Invalid {name}: expected true or false")
    return value.lower() == "true"


# ---------------------------------------------------------------- dates


def rfc2822(ts: float | None) -> str | None:
    """The 2010-04-01 API's dates: ``Tue, 01 Jul 2025 09:00:00 +0000``."""
    if ts is None:
        return None
    return format_datetime(datetime.fromtimestamp(ts, timezone.utc))


def iso8601(ts: float | None) -> str | None:
    """The v1 APIs' dates: ``2025-07-01T09:00:00Z``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- lists


def page_params(query: dict[str, str]) -> tuple[int, int]:
    """``PageSize`` (1 to 1000, default 50) and ``Page`` (from 0) of a list request."""
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
    """One page of a 2010-04-01 list: the items under ``key``, paging fields beside them."""
    page_size, page = page_params(req.query)
    start = page * page_size
    chunk = items[start : start + page_size]
    has_next = start + page_size < len(items)
    next_uri = _page_uri(req.path, req.query, page_size, page + 1) if has_next else None
    current = _page_uri(req.path, req.query, page_size, page)
    return _v2010_page(req, key, chunk, page_size, page, current, next_uri)


def v2010_keyset_page(
    req: Request,
    key: str,
    chunk: list[dict[str, Any]],
    page_size: int,
    page: int,
    next_token: str | None,
) -> dict[str, Any]:
    """One page of a 2010-04-01 list read by page token, as Twilio's Messages list pages: the
    next page's URI carries ``PageToken`` (where this page ended) so that items added meanwhile
    do not shift it; ``next_token`` None: this is the last page."""
    next_uri = None
    if next_token is not None:
        next_uri = f"{_page_uri(req.path, req.query, page_size, page + 1)}&" + urlencode(
            {"PageToken": next_token}
        )
    current = _page_uri(req.path, req.query, page_size, page)
    if req.query.get("PageToken"):
        current += "&" + urlencode({"PageToken": req.query["PageToken"]})
    return _v2010_page(req, key, chunk, page_size, page, current, next_uri)


def _v2010_page(
    req: Request,
    key: str,
    chunk: list[dict[str, Any]],
    page_size: int,
    page: int,
    current: str,
    next_uri: str | None,
) -> dict[str, Any]:
    """The paging fields of a 2010-04-01 list page around ``chunk``, under ``key``."""
    start = page * page_size
    return {
        "first_page_uri": _page_uri(req.path, req.query, page_size, 0),
        "end": start + len(chunk) - 1 if chunk else start,
        "previous_page_uri": (
            _page_uri(req.path, req.query, page_size, page - 1) if page > 0 else None
        ),
        key: chunk,
        "uri": current,
        "page_size": page_size,
        "start": start,
        "next_page_uri": next_uri,
        "page": page,
    }


def v1_list(
    req: Request, key: str, items: list[dict[str, Any]], host: str = MESSAGING_HOST
) -> dict[str, Any]:
    """One page of a v1 list on ``host``: the items under ``key``, paging under ``meta``."""
    page_size, page = page_params(req.query)
    start = page * page_size
    chunk = items[start : start + page_size]
    has_next = start + page_size < len(items)

    # Absolute URLs on Twilio's own host, as Twilio sends them; the SDK follows next_page_url
    # through its http_client, so a rewriting client reaches the sandbox for every page.
    def url(p: int) -> str:
        return host + _page_uri(req.path, req.query, page_size, p)

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
