import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.response import Response

from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.twilio_gateway import call, explain, make_client

AC = "AC" + "a" * 32


def test_rest_exception_gets_advice_and_link():
    exc = TwilioRestException(400, "/v1/Services/MG/AlphaSenders", "Invalid alpha sender", 21709)
    err = explain(exc, action="add the Sender ID")
    assert err.code == 21709
    assert err.field == "Sender ID"
    assert "SGNIC" in err.advice
    assert err.more_info == "https://www.twilio.com/docs/errors/21709"
    assert "Could not add the Sender ID" in str(err)


def test_list_call_exception_is_read_from_the_response_body():
    body = json.dumps({"code": 20003, "message": "Authenticate", "status": 401})
    exc = TwilioException("Unable to fetch page", Response(401, body))
    err = explain(exc, action="list API keys")
    assert err.code == 20003 and err.status == 401
    assert "credentials" in err.message


def test_unknown_code_gets_a_sensible_default():
    err = explain(TwilioRestException(400, "/x", "Something new", 29999), action="do it")
    assert err.code == 29999
    assert "Twilio said: Something new" in err.message
    assert err.more_info.endswith("/29999")


def test_server_errors_and_network_errors():
    assert "on its side" in explain(TwilioRestException(503, "/x", "", None), action="a").message
    assert "did not answer" in explain(requests.Timeout(), action="a").message
    assert "could not be reached" in explain(requests.ConnectionError(), action="a").message


def test_call_converts_and_passes_results_through():
    assert call("add", lambda a, b: a + b, 1, 2) == 3

    def fails():
        raise TwilioRestException(404, "/x", "not found", 20404)

    with pytest.raises(TwilioActionError, match="could not find"):
        call("fetch", fails)


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 twice, then 200: to see the bounded retries at work."""

    hits: list[tuple[str, str, str]] = []

    def _answer(self):
        _Flaky.hits.append((self.command, self.path, self.headers.get("User-Agent", "")))
        if len(_Flaky.hits) <= 2:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            body = b'{"code": 20503, "message": "busy", "status": 503}'
        else:
            self.send_response(200)
            body = json.dumps(
                {"sid": AC, "friendly_name": "x", "status": "active", "type": "Full"}
            ).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_server():
    _Flaky.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_client_is_rewritten_to_base_url_and_retries_safe_requests(flaky_server):
    client = make_client(AC, auth_token="t" * 32, base_url=flaky_server, step="01_account_sid")
    client.http_client.backoff = 0.01
    account = client.api.v2010.accounts(AC).fetch()
    assert account.status == "active"
    assert [h[1] for h in _Flaky.hits] == [f"/2010-04-01/Accounts/{AC}.json"] * 3
    assert "step/01_account_sid" in _Flaky.hits[0][2]


def test_creates_are_retried_only_on_429_and_503(flaky_server):
    client = make_client(AC, auth_token="t" * 32, base_url=flaky_server, retries=1)
    client.http_client.backoff = 0.01
    with pytest.raises(TwilioRestException):
        client.messaging.v1.services.create(friendly_name="x")
    assert len(_Flaky.hits) == 2  # first try + one retry, both 503


def test_make_client_needs_a_secret():
    with pytest.raises(ValueError):
        make_client(AC)


# In a fresh interpreter: import the package's gateway (which must import no Twilio), then what
# it names as its late imports; say which modules its functions import are still not loaded.
LATE = """
import ast, inspect, json, sys
from onboarding_helpers import twilio_gateway
heavy = [m for m in ("twilio", "requests") if m in sys.modules]
for name in twilio_gateway.LATE_IMPORTS:
    __import__(name)
tree = ast.parse(inspect.getsource(twilio_gateway))
late = set()
for function in ast.walk(tree):
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                late.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                late.add(node.module)
print(json.dumps([heavy, sorted(late), sorted(m for m in late if m not in sys.modules)]))
"""


def test_the_gateways_late_imports_are_what_its_functions_import_and_not_loaded_with_it():
    """What a headless run's kernels preload for the gateway (``LATE_IMPORTS``) covers every
    import in its functions, and importing the gateway itself loads none of it."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", LATE], capture_output=True, text=True, check=True)
    heavy, late, missing = json.loads(done.stdout)
    assert heavy == []  # importing the package stays cheap
    assert {"requests", "twilio.rest"} <= set(late)  # it did read the functions' imports
    assert missing == [], f"imported in twilio_gateway's functions, not in LATE_IMPORTS: {missing}"
