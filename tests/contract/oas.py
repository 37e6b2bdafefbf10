"""Check recorded Twilio requests and answers against Twilio's OpenAPI specs with openapi-core.

``Recorder`` captures every HTTP exchange the gateway's client makes (the prepared request as sent
on the wire, the response as received, and the Twilio URL the SDK aimed at before the gateway
rewrote the host). ``Contract.problems`` lists every way one exchange departs from the spec.

The check is stricter than the letter of Twilio's specs, which declare no ``required`` fields and
allow any extra field. The sandbox must neither omit a documented field (the SDK reads them all)
nor invent one, and our requests must send only documented parameters, so:

- every object schema that lists ``properties`` gets ``additionalProperties: false`` (free-form
  maps such as ``subresource_uris``/``links``, which list none, stay open);
- every documented response field is required (it may still be null where the spec says
  ``nullable``), except the few in ``DELIBERATELY_OMITTED``;
- query parameters and form fields must be declared by the operation (openapi-core ignores
  unknown query parameters and drops undeclared form fields before it validates a form body).

The specs describe success answers only. Error answers are checked against the error schema that
Twilio publishes in ``twilio_iam_v1.json`` (``twilio.service_error_response``: code, message,
more_info, status), made strict: all four keys, nothing else (a body with ``type``/``title``
would make the SDK raise a different exception), ``status`` equal to the HTTP status and
``more_info`` the error's documentation page.
"""

from __future__ import annotations

import copy
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator

from onboarding_helpers.twilio_gateway import http_client_class

# Twilio host -> (spec file, prefix of our operation ids)
HOSTS = {
    "api.twilio.com": ("twilio_api_v2010.json", "api.v2010"),
    "messaging.twilio.com": ("twilio_messaging_v1.json", "messaging.v1"),
    "iam.twilio.com": ("twilio_iam_v1.json", "iam.v1"),
}
ERROR_SCHEMA_SOURCE = ("twilio_iam_v1.json", "twilio.service_error_response")
_METHODS = ("get", "post", "put", "delete", "patch")
_RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


# ---------------------------------------------------------------- recording


@dataclass
class Exchange:
    """One HTTP request the SDK sent through the gateway, and the answer it got."""

    origin: str  # the absolute Twilio URL the SDK built, before the gateway rewrote the host
    request: requests.PreparedRequest
    response: requests.Response

    @property
    def twilio_url(self) -> str:
        """The URL as it would have gone to Twilio: Twilio's host, the path and query sent."""
        sent, aimed = urlsplit(self.request.url or ""), urlsplit(self.origin)
        query = f"?{sent.query}" if sent.query else ""
        return f"{aimed.scheme}://{aimed.netloc}{sent.path}{query}"

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or ""

    @property
    def method(self) -> str:
        return (self.request.method or "").upper()

    @property
    def path(self) -> str:
        return urlsplit(self.request.url or "").path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.request.url or "").query, keep_blank_values=True)

    @property
    def form(self) -> dict[str, str]:
        body = self.request.body or ""
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return dict(parse_qsl(text, keep_blank_values=True))

    @property
    def status(self) -> int:
        return int(self.response.status_code)

    def json(self) -> Any:
        return json.loads(self.response.content or b"null")

    def answered(self, body: Any, status: int | None = None) -> Exchange:
        """This request with another answer: ``body`` as JSON (to show a check catches it)."""
        response = requests.Response()
        response.status_code = status or self.status
        response.headers.update({"Content-Type": "application/json"})
        response.raw = io.BytesIO(json.dumps(body).encode())  # read as requests reads a socket
        return Exchange(self.origin, self.request, response)

    def __str__(self) -> str:
        return f"{self.method} {self.twilio_url} -> {self.status}"


class Recorder:
    """Records the gateway client's exchanges while ``installed()`` is active (tests only)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        # The Twilio URL of the request being sent, before the host rewrite, per thread: requests
        # runs the hook in the thread that sent, and a second thread's request must not relabel it.
        self._aimed = threading.local()

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A requests response hook: it runs once per send, so every retry is recorded too."""
        self.exchanges.append(Exchange(self._aimed.url, response.request, response))

    @contextmanager
    def installed(self) -> Iterator[Recorder]:
        """Every client the gateway makes meanwhile records into this one: each request of its
        HTTP client class (the gateway's public seam) hooks ``record`` into the client, until the
        block ends: a client used afterwards records nothing here."""
        client_class = http_client_class()
        original = client_class.request
        hooked: list[list[Any]] = []

        def request(client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            hooks = client.request_hooks.setdefault("response", [])
            if self.record not in hooks:
                hooks.append(self.record)
                hooked.append(hooks)
            self._aimed.url = url
            return original(client, method, url, *args, **kwargs)

        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(client_class, "request", request)
                yield self
        finally:
            for hooks in hooked:
                hooks.remove(self.record)

    def mark(self) -> int:
        return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        return self.exchanges[mark:]


# ---------------------------------------------------------------- validation


class _TwilioRequest(RequestsOpenAPIRequest):
    """The sent request, seen at Twilio's host so the spec's ``servers`` entry matches."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange.request)
        aimed = urlsplit(exchange.origin)
        self.twilio_host = f"{aimed.scheme}://{aimed.netloc}"

    @property
    def host_url(self) -> str:
        return self.twilio_host


def _is_rfc2822(value: object) -> bool:
    """v2010 dates, e.g. ``Mon, 13 Jun 2016 22:50:08 +0000`` (a format jsonschema does not know)."""
    if not isinstance(value, str) or not _RFC2822.match(value):
        return False
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_twilio_uri(value: object) -> bool:
    """An absolute URL, or an absolute path as v2010 gives its ``uri``/``*_page_uri`` fields.

    Workaround: jsonschema's ``uri`` format wants an absolute URI, but Twilio's v2010 paging
    fields are relative (``/2010-04-01/...``, as in the spec's own examples), so a plain check
    would reject Twilio itself. Empty strings are still refused.
    """
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    if parts.scheme:
        return parts.scheme in ("http", "https") and bool(parts.netloc)
    return value.startswith("/") and not value.startswith("//")


FORMATS = {"date-time-rfc-2822": _is_rfc2822, "uri": _is_twilio_uri}


# Documented response fields the sandbox leaves out on purpose, by component schema name.
DELIBERATELY_OMITTED = {
    # Twilio returns the Auth Token with the account; the sandbox never shows a secret.
    "api.v2010.account": {"auth_token"},
}


def _close_objects(schema: Any, require: bool, omitted: frozenset[str] = frozenset()) -> None:
    """Forbid undocumented fields in every object schema that documents its fields; in
    response schemas (``require``) also make every documented field required."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        schema.setdefault("additionalProperties", False)
        if require:
            schema["required"] = sorted(set(properties) - omitted)
        for sub in properties.values():
            _close_objects(sub, require)
    _close_objects(schema.get("items"), require)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            _close_objects(sub, require)


def strict_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` with closed object schemas (see the module docstring).

    Request bodies are inline in Twilio's specs and component schemas are response models, so
    only the latter (and inline response schemas) get ``required``.
    """
    spec = copy.deepcopy(spec)
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        _close_objects(schema, True, frozenset(DELIBERATELY_OMITTED.get(name, ())))
    for item in spec.get("paths", {}).values():
        for method in _METHODS:
            op = item.get(method)
            if not op:
                continue
            for media in op.get("requestBody", {}).get("content", {}).values():
                _close_objects(media.get("schema"), False)
            for response in op.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    _close_objects(media.get("schema"), True)
    return spec


@dataclass(frozen=True)
class Operation:
    op_id: str  # our id: "<prefix>.<operationId>", e.g. api.v2010.FetchAccount
    method: str
    template: str
    pattern: re.Pattern[str]
    query_params: frozenset[str]
    form_fields: frozenset[str]
    form_required: frozenset[str]
    statuses: frozenset[int]


def _form_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    content = op.get("requestBody", {}).get("content", {})
    schema: dict[str, Any] = content.get("application/x-www-form-urlencoded", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _operations(spec: dict[str, Any], prefix: str) -> list[Operation]:
    found = []
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        for method in _METHODS:
            op = item.get(method)
            if not op:
                continue
            params = shared + op.get("parameters", [])
            found.append(
                Operation(
                    op_id=f"{prefix}.{op['operationId']}",
                    method=method.upper(),
                    template=template,
                    pattern=re.compile(regex),
                    query_params=frozenset(p["name"] for p in params if p.get("in") == "query"),
                    form_fields=frozenset(_form_schema(spec, op).get("properties", {})),
                    form_required=frozenset(_form_schema(spec, op).get("required", [])),
                    statuses=frozenset(int(s) for s in op.get("responses", {}) if s.isdigit()),
                )
            )
    return found


def _describe(exc: BaseException) -> list[str]:
    """Readable lines for one openapi-core error and the schema errors behind it."""
    # The exception's own text repeats the whole body; the schema errors below say what is wrong.
    lines = [f"{type(exc).__name__}: {str(exc)[:160]}"]
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        for err in getattr(cause, "schema_errors", None) or []:
            where = "/".join(str(p) for p in getattr(err, "absolute_path", [])) or "(body)"
            lines.append(f"  at {where}: {getattr(err, 'message', err)}"[:400])
        for sub in getattr(cause, "errors", None) or []:  # ParametersError collects several
            lines.extend("  " + line for line in _describe(sub))
        cause = cause.__cause__ or cause.__context__
    return lines


class Contract:
    """Twilio's three specs, loaded once, and the checks for one recorded exchange."""

    def __init__(self, specs: dict[str, dict[str, Any]]) -> None:
        config = Config(extra_format_validators=FORMATS)
        self.apis: dict[str, OpenAPI] = {}
        self.operations: dict[str, list[Operation]] = {}
        for host, (name, prefix) in HOSTS.items():
            self.apis[host] = OpenAPI.from_dict(strict_spec(specs[name]), config=config)
            self.operations[host] = _operations(specs[name], prefix)
        source, key = ERROR_SCHEMA_SOURCE
        error_schema = copy.deepcopy(specs[source]["components"]["schemas"][key])
        error_schema["required"] = sorted(error_schema["properties"])
        error_schema["additionalProperties"] = False
        self.error_schema = error_schema
        self.error_validator = OAS30Validator(error_schema)

    def operation(self, exchange: Exchange) -> Operation | None:
        for op in self.operations.get(exchange.host, []):
            if op.method == exchange.method and op.pattern.match(exchange.path):
                return op
        return None

    def op_id(self, exchange: Exchange) -> str:
        op = self.operation(exchange)
        return op.op_id if op else f"(undocumented) {exchange.method} {exchange.path}"

    def request_problems(self, exchange: Exchange) -> list[str]:
        op = self.operation(exchange)
        if op is None:
            return [
                f"{exchange.method} {exchange.path} is not an operation of the {exchange.host} spec"
            ]
        problems = [f"query parameter {name!r} is not declared by {op.op_id}"
                    for name, _ in exchange.query if name not in op.query_params]  # fmt: skip
        problems += [f"form field {name!r} is not declared by {op.op_id}"
                     for name in exchange.form if name not in op.form_fields]  # fmt: skip
        if op.form_required and not exchange.form:
            # Twilio's requestBody is not marked required, so openapi-core accepts no body at all.
            problems.append(f"no form body; {op.op_id} requires {sorted(op.form_required)}")
        api = self.apis[exchange.host]
        for err in api.iter_request_errors(_TwilioRequest(exchange)):
            problems.extend(_describe(err))
        return problems

    def response_problems(self, exchange: Exchange) -> list[str]:
        op = self.operation(exchange)
        if op is None:
            return []  # already reported by request_problems
        if exchange.status in op.statuses:
            api = self.apis[exchange.host]
            errors = api.iter_response_errors(
                _TwilioRequest(exchange), RequestsOpenAPIResponse(exchange.response)
            )
            return [line for err in errors for line in _describe(err)]
        if exchange.status >= 400:
            return self.error_problems(exchange)
        return [f"status {exchange.status} is not documented for {op.op_id}"]

    def error_problems(self, exchange: Exchange) -> list[str]:
        content_type = exchange.response.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            return [f"error answer is {content_type!r}, not application/json"]
        try:
            body = exchange.json()
        except ValueError:
            return ["error answer is not JSON"]
        problems = [
            f"error body at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in self.error_validator.iter_errors(body)
        ]
        if problems or not isinstance(body, dict):
            return problems
        if body["status"] != exchange.status:
            problems.append(f"error body status {body['status']} != HTTP {exchange.status}")
        expected_info = f"https://www.twilio.com/docs/errors/{body['code']}"
        if body["more_info"] != expected_info:
            problems.append(f"more_info {body['more_info']!r} is not {expected_info!r}")
        return problems

    def problems(self, exchange: Exchange) -> list[str]:
        return self.request_problems(exchange) + self.response_problems(exchange)


@dataclass
class Scenario:
    """What a contract scenario sent and got back, grouped by the spec's operation id."""

    exchanges: list[Exchange]
    contract: Contract
    by_op: dict[str, list[Exchange]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ex in self.exchanges:
            self.by_op.setdefault(self.contract.op_id(ex), []).append(ex)

    @classmethod
    def recorded(
        cls, contract: Contract, folder: Path, drive: Callable[[str, Path], object]
    ) -> Scenario:
        """Every exchange ``drive(url, folder)`` makes with a sandbox on its own database."""
        from onboarding_helpers.sandbox import SandboxServer

        with SandboxServer(folder / "sandbox.sqlite3") as server, Recorder().installed() as rec:
            drive(server.url, folder)
        return cls(rec.exchanges, contract)

    def assert_follows_spec(self, op_id: str, expected_codes: set[int]) -> None:
        """The operation succeeded at least once, was refused with each expected Twilio error
        code, and every exchange of it matches the spec."""
        exchanges = self.by_op.get(op_id, [])
        assert any(ex.status < 400 for ex in exchanges), f"{op_id} never succeeded in the scenario"
        seen_codes = {ex.json()["code"] for ex in exchanges if ex.status >= 400}
        missing = f"{op_id}: expected errors {expected_codes} not provoked"
        assert expected_codes <= seen_codes, missing
        report = []
        for ex in exchanges:
            problems = self.contract.problems(ex)
            if problems:
                report.append(f"{ex}\n    " + "\n    ".join(problems))
        assert not report, f"{op_id} departs from Twilio's spec:\n" + "\n".join(report)
