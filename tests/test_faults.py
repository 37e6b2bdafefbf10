"""The sandbox's fault injection (chaos profile and targeted "no answer" faults) and the gateway's
retry rules under it: what is retried, what never is, and what the client sees."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from onboarding_helpers import twilio_gateway
from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.sandbox import (
    SandboxError,
    SandboxServer,
    chaos_status,
    clear_chaos,
    provision_account,
    request_log,
    set_chaos,
    set_faults,
    snapshot,
)
from onboarding_helpers.sandbox.faults import (
    ENV_VAR,
    ChaosProfile,
    ChaosState,
    FaultError,
    chaos_stats,
    parse_chaos,
)
from onboarding_helpers.twilio_gateway import (
    DEFAULT_RETRIES,
    call,
    create_once,
    make_client,
    outcome_unknown,
)

SERVICES = "/v1/Services"


@pytest.fixture
def acct(sandbox):
    account = provision_account(sandbox.url)
    return sandbox.url, account["account_sid"], account["auth_token"]


def _post_service(url: str, ac: str, token: str, name: str, timeout: float = 2.0):
    return requests.post(
        f"{url}{SERVICES}", data={"FriendlyName": name}, auth=(ac, token), timeout=timeout
    )


def _service_names(url: str, ac: str) -> list[str]:
    return [s["friendly_name"] for s in snapshot(url, ac)["services"]]


# ---------------------------------------------------------------- the profile


def test_environment_string_is_parsed_with_defaults():
    profile = parse_chaos("rate=0.25; kinds=429,lost ;seed=7;slow_seconds=3")
    assert profile == ChaosProfile(0.25, ("429", "lost"), 7, 3.0, 1)
    assert parse_chaos("rate=0.2").kinds == ("429", "500", "503", "slow", "drop", "lost")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("kinds=429", "needs a rate"),
        ("rate=1.5", "rate must be from 0 to 1"),
        ("rate=lots", "must be a number"),
        ("rate=0.2;kinds=429,teapot", "teapot"),
        ("rate=0.2;kinds=", "some of"),
        ("rate=0.2;seed=x", "seed must be a number"),
        ("rate=0.2;slow_seconds=900", "slow_seconds must be from"),
        ("rate=0.2;colour=red", "Unknown chaos settings: colour"),
        ("rate=0.2;lost", "is not name=value"),
    ],
)
def test_bad_profiles_are_refused_naming_the_setting(text, fragment):
    with pytest.raises(FaultError, match=fragment) as caught:
        parse_chaos(text)
    assert ENV_VAR in str(caught.value)


def test_a_seed_replays_the_same_faults():
    def kinds(seed: int) -> list[str | None]:
        conn = sqlite3.connect(":memory:")
        conn.row_factory = sqlite3.Row
        state = ChaosState(ChaosProfile(0.5, ("429", "500", "drop", "lost"), seed))
        hits = [state.pick(conn, "GET", "/x") for _ in range(40)]
        assert chaos_stats(conn)["seen"] == 40
        return [h.kind if h else None for h in hits]

    first = kinds(7)
    assert first == kinds(7) and first != kinds(8)
    assert 8 <= sum(k is not None for k in first) <= 32  # about half, not all or none


# ---------------------------------------------------------------- each kind over HTTP


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [("429", 429, "1"), ("500", 500, None), ("503", 503, "1")],
)
def test_refusing_kinds_answer_without_doing_the_work(acct, kind, status, retry_after):
    url, ac, token = acct
    set_chaos(url, rate=1.0, kinds=[kind], seed=1)
    answer = _post_service(url, ac, token, "refused")
    assert answer.status_code == status
    assert answer.headers.get("Retry-After") == retry_after
    assert answer.json()["status"] == status and answer.json()["code"] == {
        429: 20429, 500: 20500, 503: 20503
    }[status]  # fmt: skip
    assert _service_names(url, ac) == []
    stats = chaos_status(url)
    assert stats["injected"] == {kind: 1} and stats["source"] == "admin"


def test_drop_closes_the_connection_before_the_work(acct):
    url, ac, token = acct
    set_chaos(url, rate=1.0, kinds=["drop"])
    with pytest.raises(requests.ConnectionError):
        _post_service(url, ac, token, "dropped")
    assert _service_names(url, ac) == []
    # It reached the sandbox, then no answer: the client cannot know what happened, so the
    # gateway never sends a create again after a drop (test_creates_are_repeated_only_when_...).
    assert request_log(url, ac)[-1]["status"] == 0


def test_lost_does_the_work_then_closes_the_connection(acct):
    url, ac, token = acct
    set_chaos(url, rate=1.0, kinds=["lost"])
    with pytest.raises(requests.ConnectionError):
        _post_service(url, ac, token, "lost")
    assert _service_names(url, ac) == ["lost"]  # committed, though the client never heard
    assert request_log(url, ac)[-1]["status"] == 0


def test_slow_does_the_work_and_answers_after_the_client_gave_up(acct):
    url, ac, token = acct
    set_chaos(url, rate=1.0, kinds=["slow"], slow_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        _post_service(url, ac, token, "slow", timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert _service_names(url, ac) == ["slow"]
    clear_chaos(url)
    assert _post_service(url, ac, token, "fast").status_code == 201  # the server is not stuck


def test_admin_api_sets_reports_and_clears(acct):
    url, ac, token = acct
    assert chaos_status(url)["profile"] is None
    with pytest.raises(SandboxError, match="rate must be from 0 to 1"):
        set_chaos(url, rate=2)
    with pytest.raises(SandboxError, match="teapot"):
        set_chaos(url, kinds=["teapot"])
    status = set_chaos(url, rate=0.0, kinds=["500"], seed=3)
    assert status["profile"]["kinds"] == ["500"] and status["seen"] == 0
    requests.get(f"{url}{SERVICES}", auth=(ac, token), timeout=2)
    assert chaos_status(url)["seen"] == 1 and chaos_status(url)["faulted"] == 0
    cleared = clear_chaos(url)
    assert cleared["profile"] is None and cleared["seen"] == 1  # counts stay readable
    requests.get(f"{url}{SERVICES}", auth=(ac, token), timeout=2)
    assert chaos_status(url)["seen"] == 1  # off: requests are no longer looked at


def test_environment_profile_is_read_at_start_and_cleared_by_the_admin_api(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "rate=1;kinds=503;seed=1;retry_after=0")
    with SandboxServer(tmp_path / "db.sqlite3") as server:
        account = provision_account(server.url)  # admin calls are never faulted
        ac, token = account["account_sid"], account["auth_token"]
        assert chaos_status(server.url)["source"] == "environment"
        assert _post_service(server.url, ac, token, "x").status_code == 503
        clear_chaos(server.url)
        assert _post_service(server.url, ac, token, "x").status_code == 201
    monkeypatch.setenv(ENV_VAR, "rate=0.2;kinds=teapot")
    with pytest.raises(FaultError, match=f"{ENV_VAR}: chaos kinds"):
        SandboxServer(tmp_path / "db2.sqlite3").bind()


@pytest.mark.parametrize(("phase", "made"), [("before", []), ("after", ["x"])])
def test_targeted_no_answer_fault(acct, phase, made):
    url, ac, token = acct
    fault = set_faults(url, rf"POST {SERVICES}$", status=0, phase=phase)
    assert fault["status"] == 0 and "No answer" in fault["message"]
    with pytest.raises(requests.ConnectionError):
        _post_service(url, ac, token, "x")
    assert _service_names(url, ac) == made
    with pytest.raises(SandboxError, match="status must be 0"):
        set_faults(url, status=302)


# ---------------------------------------------------------------- the gateway under faults


def _client(url: str, ac: str, token: str, **kw):
    client = make_client(ac, auth_token=token, base_url=url, **kw)
    client.http_client.backoff = 0.01
    return client


def test_reads_are_retried_through_every_kind(acct, monkeypatch):
    url, ac, token = acct
    set_chaos(url, rate=1.0, kinds=["429", "500", "503", "drop", "lost"], retry_after=0)
    set_faults(url, "GET .", status=0, times=1)  # and one more drop, to be sure
    client = _client(url, ac, token, retries=60)
    clear_after = 4
    # Let the first few fail, then switch chaos off between two tries: the same call gets through.
    original = twilio_gateway.pause_before_retry

    def pause(backoff: float, attempt: int, retry_after: str | None) -> None:
        if attempt + 1 >= clear_after:
            clear_chaos(url)
        original(backoff, attempt, retry_after)

    monkeypatch.setattr(twilio_gateway, "pause_before_retry", pause)
    assert client.messaging.v1.services.list() == []
    assert chaos_status(url)["faulted"] >= clear_after - 1


def test_retry_after_is_honoured(acct):
    url, ac, token = acct
    set_faults(url, "GET .", status=429, times=1)
    set_chaos(url, rate=0.0, kinds=["429"])  # counts only
    client = _client(url, ac, token)
    started = time.monotonic()
    answer = client.http_client.request("GET", f"{url}{SERVICES}", auth=(ac, token))
    assert answer.status_code == 200 and time.monotonic() - started < 1.0  # no header: backoff
    set_chaos(url, rate=1.0, kinds=["429"], retry_after=1)
    client.http_client.retries = 1
    started = time.monotonic()
    answer = client.http_client.request("GET", f"{url}{SERVICES}", auth=(ac, token))
    assert answer.status_code == 429 and time.monotonic() - started >= 0.95


@pytest.mark.parametrize(
    ("kind", "posts"),
    [("503", 1 + DEFAULT_RETRIES), ("429", 1 + DEFAULT_RETRIES), ("drop", 1), ("500", 1)],
)
def test_creates_are_repeated_only_when_twilio_surely_did_not_act(acct, kind, posts):
    url, ac, token = acct
    set_chaos(url, rate=1.0, kinds=[kind], retry_after=0)
    client = _client(url, ac, token)
    with pytest.raises(TwilioActionError) as caught:
        call("create the service", client.messaging.v1.services.create, friendly_name="x")
    assert outcome_unknown(caught.value) is (kind in ("drop", "500"))
    assert len([r for r in request_log(url, ac) if r["method"] == "POST"]) == posts


def test_a_create_whose_connection_never_opened_is_sent_again(tmp_path, monkeypatch):
    # Nothing listens when the create goes out, so Twilio surely did not act: the gateway tries
    # again, and the sandbox, started again on its port meanwhile, makes the service once.
    db = tmp_path / "db.sqlite3"
    with SandboxServer(db) as server:
        url = server.url
        account = provision_account(url)
    ac, token = account["account_sid"], account["auth_token"]
    again: list[SandboxServer] = []

    def pause(backoff: float, attempt: int, retry_after: str | None) -> None:
        if not again:
            again.append(SandboxServer(db, port=urlsplit(url).port or 0).start())

    monkeypatch.setattr(twilio_gateway, "pause_before_retry", pause)
    client = make_client(ac, auth_token=token, base_url=url)
    try:
        made = call("create the service", client.messaging.v1.services.create, friendly_name="x")
        assert again and again[0].url == url  # the first try found no sandbox there
        assert _service_names(url, ac) == ["x"] and made.friendly_name == "x"
        assert [r["method"] for r in request_log(url, ac)] == ["POST"]  # one create arrived
    finally:
        for server in again:
            server.stop()


def test_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ONBOARDING_TWILIO_TIMEOUT", "2.5")
    assert make_client("AC" + "a" * 32, auth_token="t" * 32).http_client.timeout == 2.5
    monkeypatch.setenv("ONBOARDING_TWILIO_TIMEOUT", "nonsense")
    assert make_client("AC" + "a" * 32, auth_token="t" * 32).http_client.timeout == 15.0


def _lost(status: int | None) -> TwilioActionError:
    return TwilioActionError("Could not create: lost.", advice="Run again.", status=status)


def test_create_once_looks_before_repeating(monkeypatch):
    monkeypatch.setattr("onboarding_helpers.twilio_gateway.CREATE_PAUSE", 0.0)
    answers = [_lost(None), _lost(502), "made"]
    made: list[str] = []

    def create() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        made.append(answer)
        return answer

    lookups: list[int] = []
    assert create_once(create, lambda: lookups.append(1)) == ("made", False)
    assert len(lookups) == 2 and made == ["made"]

    # Found after a lost answer: returned as the create's result, nothing sent again.
    calls: list[int] = []

    def lost_create() -> str:
        calls.append(1)
        raise _lost(None)

    assert create_once(lost_create, lambda: "found") == ("found", True) and len(calls) == 1

    # A refusal (4xx) or 503 is not an unknown outcome: raised at once, no lookup.
    def refused() -> str:
        raise _lost(400)

    with pytest.raises(TwilioActionError):
        create_once(refused, lambda: pytest.fail("looked up after a refusal"))

    # The lookup fails too: the advice says the next run looks before creating.
    def broken_lookup() -> None:
        raise _lost(None)

    with pytest.raises(TwilioActionError) as caught:
        create_once(lost_create, broken_lookup)
    assert "looks for it before making anything" in caught.value.advice

    # Never found: tried ``attempts`` times, then "Twilio has no record of it".
    calls.clear()
    with pytest.raises(TwilioActionError) as caught:
        create_once(lost_create, lambda: None, attempts=3)
    assert len(calls) == 3 and "no record of it, so nothing was made" in caught.value.advice


def test_chaos_tables_do_not_exist_until_used(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.sqlite3")
    conn.row_factory = sqlite3.Row
    assert chaos_stats(conn) == {"seen": 0, "faulted": 0, "injected": {}, "actual_rate": 0.0}
    assert ChaosState().pick(conn, "GET", "/x") is None
    assert ChaosState().active(conn) is None
    assert Path(tmp_path / "x.sqlite3").exists()


def test_transient_errors_blame_no_input_field():
    from twilio.base.exceptions import TwilioRestException

    from onboarding_helpers.twilio_gateway import explain

    for status in (429, 500, 503):
        err = explain(TwilioRestException(status, "/x", "busy"), action="a", field="Auth Token")
        assert err.field is None and "field:" not in str(err)
    assert explain(TwilioRestException(400, "/x", "bad"), action="a", field="Auth Token").field
