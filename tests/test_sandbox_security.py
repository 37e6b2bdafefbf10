"""The sandbox against a hostile neighbour: a web page in the trainee's browser (DNS rebinding,
cross-site posts), a caller without the trainer token, and malformed HTTP. Real HTTP against a
real server; raw requests through http.client so the test controls every header."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from onboarding_helpers.sandbox import (
    SandboxNotProven,
    SandboxServer,
    admin,
    chaos_status,
    ensure_running,
    provision_account,
    request_log,
    snapshot,
    stop_running,
)

from .ci import cannot_run

ROOT = Path(__file__).resolve().parents[1]
TOKEN_HINT = "the trainer token (trainer.token beside the sandbox's database)"


class Answer:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    def json(self) -> object:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def raw(
    url: str,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request on a new connection; a ``Host`` in ``headers`` replaces the real one."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return Answer(conn.getresponse())
    finally:
        conn.close()


def headers_only(url: str, path: str, lines: list[tuple[str, str]], body: bytes = b"") -> Answer:
    """A POST with exactly these headers (no Content-Length added) and whatever body bytes."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        for name, value in lines:
            conn.putheader(name, value)
        conn.endheaders(body or None)
        return Answer(conn.getresponse())
    finally:
        conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str | bytes) -> dict[str, str]:
    raw_pair = (
        user.encode() + b":" + (password if isinstance(password, bytes) else password.encode())
    )
    return {"Authorization": "Basic " + base64.b64encode(raw_pair).decode()}


def form(values: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return urlencode(values).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def port(server: SandboxServer) -> int:
    return int(urlsplit(server.url).port or 0)


def account_count(server: SandboxServer) -> int:
    with sqlite3.connect(server.db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0])


@pytest.fixture
def token(sandbox: SandboxServer) -> str:
    return sandbox.token_path.read_text().strip()


@pytest.fixture
def acct(sandbox: SandboxServer) -> dict[str, str]:
    return provision_account(sandbox.url)


# ---------------------------------------------------------------- the trainer token


def test_admin_refuses_callers_without_the_trainer_token(sandbox, token, acct):
    before = account_count(sandbox)
    for headers in (
        {},
        bearer("x" * 43),
        bearer(token[:-1]),
        basic(acct["account_sid"], acct["auth_token"]),  # Twilio credentials are not admin ones
        bearer(acct["auth_token"]),
        {"Authorization": token},  # no scheme
    ):
        answer = raw(sandbox.url, "GET", "/_sandbox/requests", headers)
        assert answer.status == 401, headers
        error = answer.json()["error"]
        assert TOKEN_HINT in error and token not in error and str(sandbox.token_path) not in error
        body, extra = form({"friendly_name": "intruder"})
        assert (
            raw(sandbox.url, "POST", "/_sandbox/accounts", {**headers, **extra}, body).status == 401
        )
        body, extra = form({"rate": "1", "kinds": "500"})
        assert raw(sandbox.url, "POST", "/_sandbox/chaos", {**headers, **extra}, body).status == 401
    path = f"/_sandbox/accounts/{acct['account_sid']}/snapshot"
    assert raw(sandbox.url, "GET", path).status == 401
    assert account_count(sandbox) == before
    assert chaos_status(sandbox.url)["profile"] is None

    answer = raw(sandbox.url, "GET", path, bearer(token))
    assert answer.status == 200 and answer.json()["account"]["sid"] == acct["account_sid"]


def test_health_answers_without_a_token_and_names_the_database(sandbox):
    answer = raw(sandbox.url, "GET", "/_sandbox/health")
    assert answer.status == 200
    assert answer.json()["db_path"] == str(sandbox.db_path) and answer.json()["status"] == "ok"


def _expected_proof(token: str, challenge: str, host: str, port_number: int) -> str:
    # Written out here, not taken from the package: this is the protocol both sides must keep.
    message = f"onboarding-sandbox-proof/1\n{host}\n{port_number}\n{challenge}".encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def test_health_proves_the_token_for_a_fresh_challenge_bound_to_its_address(sandbox, token):
    assert "proof" not in raw(sandbox.url, "GET", "/_sandbox/health").json()
    challenge = secrets.token_urlsafe(32)
    answer = raw(sandbox.url, "GET", f"/_sandbox/health?{urlencode({'challenge': challenge})}")
    proof = answer.json()["proof"]
    assert answer.status == 200 and token not in answer.text
    assert proof == _expected_proof(token, challenge, "127.0.0.1", port(sandbox))
    # Good for this challenge on this address only: a relay from another port proves nothing.
    assert proof != _expected_proof(token, challenge, "127.0.0.1", port(sandbox) + 1)
    assert proof != _expected_proof(token, secrets.token_urlsafe(32), "127.0.0.1", port(sandbox))
    for bad in ("short", "x" * 129, "a" * 40 + "!", ""):
        refused = raw(sandbox.url, "GET", f"/_sandbox/health?{urlencode({'challenge': bad})}")
        assert refused.status == 400 and "challenge must be" in refused.json()["error"]


@contextmanager
def impostor(proves: str | None) -> Iterator[tuple[str, list[tuple[int, str, str | None]]]]:
    """Another program at a sandbox-like address: it answers health as the sandbox does, with the
    proof for the token ``proves`` (None: no proof), and ``[]`` to anything else. Yields its URL
    and what reached it: (the caller's port, so its connection; the path; Authorization)."""
    seen: list[tuple[int, str, str | None]] = []

    class Answers(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the connection stays open for the call after the proof

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append((self.client_address[1], self.path, self.headers.get("Authorization")))
            answer: object = []
            if self.path.startswith("/_sandbox/health"):
                challenge = parse_qs(urlsplit(self.path).query).get("challenge", [""])[0]
                answer = {"status": "ok", "db_path": "/elsewhere/sandbox.sqlite3"}
                if proves and challenge:
                    where = self.server.server_address
                    answer["proof"] = _expected_proof(proves, challenge, where[0], where[1])
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # nothing on the test's stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_client_checks_the_proof_before_it_sends_the_token(sandbox, token):
    assert admin.verify_sandbox(sandbox.url, token=token)["db_path"] == str(sandbox.db_path)
    # Another program took the port: it gets a challenge, never the token.
    with impostor(proves=None) as (url, seen):
        with pytest.raises(SandboxNotProven, match="did not prove"):
            request_log(url, token=token)
    assert [(path.split("?")[0], auth) for _, path, auth in seen] == [("/_sandbox/health", None)]
    # One that proves another token: the token this client holds is not sent either.
    with impostor(proves=token) as (url, seen):
        with pytest.raises(SandboxNotProven, match="did not prove") as refused:
            admin.verify_sandbox(url, token="w" * 43)
        assert "w" * 43 not in str(refused.value) and [auth for _, _, auth in seen] == [None]
        seen.clear()
        # Proven: the challenge first, without the token; then the call, on that connection.
        assert request_log(url, token=token) == []
    assert [(path.split("?")[0], auth) for _, path, auth in seen] == [
        ("/_sandbox/health", None),
        ("/_sandbox/requests", f"Bearer {token}"),
    ]
    assert seen[0][0] == seen[1][0]


def test_admin_answers_local_names_only_and_same_origin_posts(sandbox, token):
    p = port(sandbox)
    for host in (f"evil.example:{p}", "evil.example", f"127.0.0.1.evil.example:{p}", ""):
        for path in ("/_sandbox/health", "/_sandbox/requests"):
            answer = raw(sandbox.url, "GET", path, {"Host": host, **bearer(token)})
            assert answer.status == 403, (host, path)
            assert "db_path" not in answer.text
    for host in (f"localhost:{p}", f"[::1]:{p}", f"127.0.0.1:{p}", "LOCALHOST"):
        assert raw(sandbox.url, "GET", "/_sandbox/health", {"Host": host}).status == 200, host

    # Another site's form (CSRF), even if it somehow had the token: refused, nothing switched on.
    body, extra = form({"rate": "1", "kinds": "500"})
    for origin in (
        "http://evil.example",
        "null",
        f"https://127.0.0.1:{p}",
        f"http://localhost:{p}",
    ):
        headers = {"Origin": origin, **extra, **bearer(token)}
        assert raw(sandbox.url, "POST", "/_sandbox/chaos", headers, body).status == 403, origin
    assert chaos_status(sandbox.url)["profile"] is None
    same = {"Origin": sandbox.url, **extra, **bearer(token)}
    assert raw(sandbox.url, "POST", "/_sandbox/chaos", same, body).status == 201
    assert chaos_status(sandbox.url)["profile"]["rate"] == 1.0


def test_the_twilio_api_still_answers_any_host_and_ignores_the_trainer_token(sandbox, token, acct):
    path = f"/2010-04-01/Accounts/{acct['account_sid']}.json"
    creds = basic(acct["account_sid"], acct["auth_token"])
    assert raw(sandbox.url, "GET", path, {"Host": "api.twilio.com", **creds}).status == 200
    answer = raw(sandbox.url, "GET", path, bearer(token))
    assert answer.status == 401 and answer.json()["code"] == 20003


def test_token_file_is_private_made_once_and_kept_across_restarts(tmp_path):
    db = tmp_path / "sb" / "sandbox.sqlite3"
    with SandboxServer(db) as first:
        path = first.token_path
        assert path == db.parent / "trainer.token"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        token = path.read_text().strip()
        assert len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum()
        inode, mtime = path.stat().st_ino, path.stat().st_mtime_ns
    with SandboxServer(db) as second, SandboxServer(db) as third:  # two at once share it too
        assert path.read_text().strip() == token
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (inode, mtime)
        for server in (second, third):
            assert raw(server.url, "GET", "/_sandbox/requests", bearer(token)).status == 200

    # A trainer's own token (e.g. copied to a new machine) is used as it is.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "trainer.token").write_text("T" * 40 + "\n")
    with SandboxServer(mine / "sandbox.sqlite3") as server:
        assert raw(server.url, "GET", "/_sandbox/faults", bearer("T" * 40)).status == 200
    (mine / "trainer.token").write_text("short\n")
    with pytest.raises(RuntimeError, match="Delete it and start the sandbox again"):
        SandboxServer(mine / "sandbox.sqlite3").bind()
    assert (mine / "trainer.token").read_text() == "short\n"  # never rewritten


def test_token_command_prints_the_token_and_serve_prints_only_where_it_is(tmp_path):
    folder = tmp_path / "sandbox"
    cmd = [sys.executable, "-m", "onboarding_helpers.sandbox", "token", "--dir", str(folder)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    first = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    token = (folder / "trainer.token").read_text().strip()
    assert first.returncode == 0 and first.stdout.strip() == token == again.stdout.strip()

    url = ensure_running(folder)  # the background server uses the token the command made
    try:
        log = (folder / "server.log").read_text()
        assert str(folder / "trainer.token") in log and token not in log
        assert raw(url, "GET", "/_sandbox/faults", bearer(token)).status == 200
    finally:
        assert stop_running(folder) is True


# ---------------------------------------------------------------- the admin client finds it


_KNOWS_ONLY_THE_URL = """
import json, sys
from onboarding_helpers.sandbox import SandboxError, admin, provision_account
try:
    provision_account(sys.argv[1])
    print(json.dumps({"token": admin.trainer_token(sys.argv[1])}))
except SandboxError as err:
    print(json.dumps({"error": str(err)}))
"""


def knowing_only_the_url(url: str, env_token: str | None = None) -> dict[str, str]:
    """What a process that knows only the sandbox's URL (a notebook kernel) gets: the token it
    used to provision an account, or the error that stopped it."""
    env = {k: v for k, v in os.environ.items() if k != admin.TOKEN_ENV}
    env |= {admin.TOKEN_ENV: env_token} if env_token else {}
    done = subprocess.run(
        [sys.executable, "-c", _KNOWS_ONLY_THE_URL, url],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def test_admin_functions_find_the_token_in_process_env_or_beside_the_database(sandbox, token):
    assert admin.trainer_token(sandbox.url) == token  # remembered by SandboxServer.bind
    assert admin.trainer_token(sandbox.url + "/") == token
    assert knowing_only_the_url(sandbox.url) == {"token": token}  # read beside the database

    admin.remember_token(sandbox.url, "stale" * 8)  # an earlier server's, on this port
    assert isinstance(request_log(sandbox.url), list)
    assert admin.trainer_token(sandbox.url) == token  # read again beside the database

    sandbox.token_path.unlink()  # this process cannot read it (another user's, in a class)
    missing = knowing_only_the_url(sandbox.url)["error"]
    assert "needs the trainer token" in missing
    assert str(sandbox.token_path) in missing and token not in missing
    assert knowing_only_the_url(sandbox.url, env_token=token) == {"token": token}

    with pytest.raises(SandboxNotProven, match="did not prove"):
        request_log(sandbox.url, token="w" * 43)  # an explicit token is taken as given
    assert isinstance(request_log(sandbox.url, token=token), list)


_CHILD = """
import sys
from onboarding_helpers.sandbox import provision_account, set_account, snapshot
url = sys.argv[1]
acct = provision_account(url, type="Trial")
set_account(url, acct["account_sid"], status="suspended")
print(snapshot(url, acct["account_sid"])["account"]["status"])
"""


def test_a_child_process_that_knows_only_the_url_finds_the_token(sandbox):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, sandbox.url],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "suspended"


# ---------------------------------------------------------------- the console


def unlock(url: str, token: str, origin: str | None = None, back: str = "/console") -> Answer:
    body, headers = form({"token": token, "next": back})
    if origin:
        headers["Origin"] = origin
    return raw(url, "POST", "/console/unlock", headers, body)


def trainer_cookie(answer: Answer) -> str:
    return answer.headers["Set-Cookie"].split(";", 1)[0]


def test_console_reveal_and_actions_need_the_trainer_unlock(sandbox, token):
    acct = provision_account(sandbox.url, type="Trial")
    sid = acct["account_sid"]
    page = f"/console/{sid}"
    reveal = {"X-Console-Reveal": "1"}
    body, extra = form({"action": "upgrade"})
    htmls = []

    locked = raw(sandbox.url, "GET", page)
    htmls.append(locked.text)
    assert locked.status == 403 and "type='password' name='token'" in locked.text
    refused = raw(sandbox.url, "GET", f"{page}/auth-token", reveal)
    assert refused.status == 403 and "unlock this console with the trainer token" in refused.text
    assert acct["auth_token"] not in refused.text
    acted = raw(sandbox.url, "POST", f"{page}/actions", {"Origin": sandbox.url, **extra}, body)
    assert acted.status == 403 and "trainer token" in acted.text
    assert snapshot(sandbox.url, sid)["account"]["type"] == "Trial"
    # Twilio credentials or a guessed cookie are no key either.
    for cookie in ("sandbox_trainer=" + acct["auth_token"], "sandbox_trainer=", "other=" + token):
        assert (
            raw(sandbox.url, "GET", f"{page}/auth-token", {"Cookie": cookie, **reveal}).status
            == 403
        )

    wrong = unlock(sandbox.url, "n" * 43, sandbox.url, page)
    assert wrong.status == 403 and "Set-Cookie" not in wrong.headers
    htmls.append(wrong.text)
    foreign = unlock(sandbox.url, token, "http://evil.example", page)
    assert foreign.status == 403 and "Set-Cookie" not in foreign.headers
    htmls.append(foreign.text)

    opened = unlock(sandbox.url, token, sandbox.url, page)
    assert opened.status == 303 and opened.headers["Location"] == page
    set_cookie = opened.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/console"):
        assert attribute in set_cookie
    cookie = {"Cookie": "theme=dark; " + trainer_cookie(opened)}

    answer = raw(sandbox.url, "GET", f"{page}/auth-token", {**cookie, **reveal})
    assert answer.status == 200 and answer.json() == {"auth_token": acct["auth_token"]}
    assert (
        raw(sandbox.url, "GET", f"{page}/auth-token", cookie).status == 403
    )  # header still needed
    headers = {"Origin": sandbox.url, **cookie, **extra}
    acted = raw(sandbox.url, "POST", f"{page}/actions", headers, body)
    assert acted.status == 303 and acted.headers["Location"] == f"{page}?done=upgrade"
    assert snapshot(sandbox.url, sid)["account"]["type"] == "Full"
    evil = {**headers, "Origin": "http://evil.example"}
    assert raw(sandbox.url, "POST", f"{page}/actions", evil, body).status == 403

    for path in ("/console", page, f"{page}?done=upgrade"):
        shown = raw(sandbox.url, "GET", path, cookie)
        assert shown.status == 200 and "Trainer mode is on" in shown.text
        htmls.append(shown.text)
    assert not [h for h in htmls if token in h]
    assert not [h for h in htmls if acct["auth_token"] in h]


def test_console_unlock_goes_back_only_to_console_pages_and_lock_forgets(sandbox, token):
    for back in ("https://evil.example/", "//evil.example", "/console/../x", "/_sandbox/chaos"):
        assert unlock(sandbox.url, token, back=back).headers["Location"] == "/console"
    locked = raw(sandbox.url, "POST", "/console/lock", {"Origin": sandbox.url})
    assert locked.status == 303 and "Max-Age=0" in locked.headers["Set-Cookie"]
    host = {"Host": f"evil.example:{port(sandbox)}"}
    assert raw(sandbox.url, "GET", "/console", host).status == 403


# ---------------------------------------------------------------- malformed HTTP


def test_huge_content_length_is_refused_unread_and_the_server_goes_on(sandbox, token, capfd):
    huge = [("Content-Length", "99999999999999")]
    for path in ("/2010-04-01/Accounts.json", "/_sandbox/accounts", "/console/unlock"):
        answer = headers_only(sandbox.url, path, huge)
        assert answer.status == 413, path
        assert answer.headers["Connection"] == "close"
        if path.startswith("/2010"):
            assert answer.json()["code"] == 20001 and answer.json()["status"] == 413
    # The client starts sending its large body anyway: it still reads the answer, no reset.
    over = [("Content-Length", str(2 * 1024 * 1024))]
    assert headers_only(sandbox.url, "/_sandbox/faults", over, b"x" * 200_000).status == 413
    assert raw(sandbox.url, "GET", "/_sandbox/faults", bearer(token)).status == 200
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("value", "status"),
    [("lots", 400), ("-5", 400), ("1e3", 400), ("0x10", 400), ("", 400), ("\u00b2", 400)],
)
def test_a_content_length_that_is_not_a_whole_number_is_400(sandbox, capfd, value, status):
    for path in ("/v1/Services", "/_sandbox/faults"):
        answer = headers_only(sandbox.url, path, [("Content-Length", value)])
        assert answer.status == status, (path, value)
        assert answer.headers["Connection"] == "close"
        payload = answer.json()
        assert (payload["code"] == 20001) if path.startswith("/v1") else ("error" in payload)
    assert raw(sandbox.url, "GET", "/_sandbox/health").status == 200
    assert capfd.readouterr().err == ""


def test_chunked_or_doubled_lengths_are_refused(sandbox, capfd):
    chunked = [("Transfer-Encoding", "chunked")]
    answer = headers_only(sandbox.url, "/v1/Services", chunked, b"5\r\nhello\r\n0\r\n\r\n")
    assert answer.status == 411 and answer.json()["code"] == 20001
    doubled = [("Content-Length", "3"), ("Content-Length", "4")]
    assert headers_only(sandbox.url, "/v1/Services", doubled, b"abcd").status == 400
    assert raw(sandbox.url, "GET", "/_sandbox/health").status == 200
    assert capfd.readouterr().err == ""


def test_credentials_that_do_not_decode_are_20003_not_a_crash(sandbox, acct, capfd):
    sid = acct["account_sid"]
    path = f"/2010-04-01/Accounts/{sid}.json"
    for headers in (
        basic(sid, b"\xff\xfe"),  # not UTF-8
        basic(sid, "pässwört"),  # UTF-8 but not ASCII (compare_digest would refuse it)
        basic(sid, acct["auth_token"][:-1] + "é"),
        {"Authorization": "Basic %%%not-base64%%%"},
        {"Authorization": "Basic " + base64.b64encode(b"no colon").decode()},
        {"Authorization": "Basic"},
    ):
        answer = raw(sandbox.url, "GET", path, headers)
        assert answer.status == 401, headers
        assert answer.json()["code"] == 20003
    # Header bytes that are not even ASCII.
    latin = [("Authorization", "Basic \xe9\xe9=="), ("Content-Length", "0")]
    assert headers_only(sandbox.url, "/v1/Services", latin).status == 401
    assert raw(sandbox.url, "GET", path, basic(sid, acct["auth_token"])).status == 200
    rows = [r for r in request_log(sandbox.url, sid) if r["path"] == path]
    assert [r["auth_kind"] for r in rows].count("bad") == 6
    assert capfd.readouterr().err == ""


def test_authentication_is_safe_without_the_servers_header_guard(sandbox, acct):
    # auth.authenticate on its own (without the server's check of the header in front): odd
    # credentials are simply wrong credentials, never an exception from compare_digest.
    from onboarding_helpers.sandbox import auth

    conn = sqlite3.connect(sandbox.db_path)
    conn.row_factory = sqlite3.Row  # columns by name, as the server reads its database
    try:
        sid, token = acct["account_sid"], acct["auth_token"]
        key_sid = "SK" + "1" * 32
        for user, password in (
            (sid, "pässwört"),
            (sid, token[:-1] + "é"),
            (sid, b"\xff\xfe"),
            (key_sid, "pässwört"),
            ("ACé", token),
        ):
            header = basic(user, password)["Authorization"]
            ident = auth.authenticate(conn, header)
            assert ident.kind == "bad" and ident.account is None, (user, password)
        assert auth.authenticate(conn, "Basic \xe9\xe9==").kind == "bad"
        good = auth.authenticate(conn, basic(sid, token)["Authorization"])
        assert good.kind == "auth_token" and good.account["sid"] == sid
    finally:
        conn.close()


def test_unexpected_errors_still_print_their_traceback(sandbox, acct, capfd, monkeypatch):
    # The quiet above is about malformed input; a real bug must still be seen.
    from onboarding_helpers.sandbox import routing

    def broken(conn, req):
        raise RuntimeError("a bug")

    monkeypatch.setattr(routing, "handle", broken)
    creds = basic(acct["account_sid"], acct["auth_token"])
    answer = raw(sandbox.url, "GET", "/v1/Services", creds)
    assert answer.status == 500 and answer.json()["code"] == 20500
    assert "RuntimeError: a bug" in capfd.readouterr().err


def listen_backlog(port_number: int) -> int:
    """The backlog of the socket listening on ``port_number`` on 127.0.0.1, as the kernel reports
    it (``ss``: the Send-Q of a listening socket)."""
    if shutil.which("ss") is None:
        cannot_run("no ss here (Debian: apt install iproute2)")
    done = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port_number}"], capture_output=True, text=True, check=True
    )
    [line] = [ln for ln in done.stdout.splitlines() if f"127.0.0.1:{port_number}" in ln]
    return int(line.split()[2])


def test_a_burst_of_connections_is_queued_not_reset(sandbox, capfd):
    # A backlog of 5 (Python's default) drops the connections of a burst that the server has not
    # accepted yet; they come in a second later, once the client sends again.
    assert listen_backlog(port(sandbox)) >= 128
    parts = urlsplit(sandbox.url)
    count = 100
    opened = threading.Barrier(count, timeout=30)
    results: list[int | str] = []
    lock = threading.Lock()

    def one() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        try:
            conn.connect()
            opened.wait()  # every connection is open before any request goes
            conn.request("GET", "/_sandbox/health")
            status: int | str = conn.getresponse().status
        except (OSError, threading.BrokenBarrierError) as err:
            status = repr(err)
        finally:
            conn.close()
        with lock:
            results.append(status)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [200] * count
    # Each client hung up without reading the body (a reset): no traceback for that either.
    assert "Traceback" not in capfd.readouterr().err


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(admin.TOKEN_ENV, raising=False)
    yield
