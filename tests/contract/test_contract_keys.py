"""Contract tests for API keys by type: the iam v1 Keys operations, and a Restricted key held to its
policy, checked against Twilio's official OpenAPI specs (``twilio_iam_v1.json`` and the others).

One module-scoped scenario makes a Restricted key through step 02, checks it through step 03,
rotates it through step 07 (both phases), then drives every iam v1 Keys operation the sandbox
serves (``GET|POST /v1/Keys``, ``GET|POST|DELETE /v1/Keys/{Sid}``) through the real SDK, with the
refusals an officer can meet. The steps list, look up and revoke keys through Key resource v1
only (both types): no 2010-04-01 Keys request is made. Each test checks the exchanges of one
operation (see ``oas.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN, MESSAGING_SERVICE_SID
from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import SandboxServer, provision_account, set_account
from onboarding_helpers.steps.api_key import postman_policy, set_up_api_key
from onboarding_helpers.steps.rotate_key import rotate_key
from onboarding_helpers.steps.secret_key import check_secret
from onboarding_helpers.twilio_gateway import call, make_client

from .oas import Contract, Recorder, Scenario

STEP = "contract_test"
SG_MOBILE = "+6581234567"

# Every operation this scenario makes, with the Twilio error codes it provokes for each.
COVERED: dict[str, set[int]] = {
    "iam.v1.CreateNewKey": {20001, 20003},
    "iam.v1.ListGetKeys": {20003},
    "iam.v1.FetchKey": {20404},
    "iam.v1.UpdateKey": {20001},
    "iam.v1.DeleteKey": {20404},
    "api.v2010.CreateMessage": {70051},
    "api.v2010.FetchMessage": {20404},
    "api.v2010.ListMessage": {70051},
    "api.v2010.ListIncomingPhoneNumber": {70051},
    "messaging.v1.CreateService": set(),
    "messaging.v1.FetchService": set(),
    "messaging.v1.ListService": {70051},
    "messaging.v1.CreateAlphaSender": set(),
    "messaging.v1.ListAlphaSender": set(),
}


def _fails(code: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with pytest.raises(TwilioActionError) as caught:
        call("contract test action", fn, *args, **kwargs)
    assert caught.value.code == code, caught.value


def _runbook(url: str, tmp: Path) -> tuple[Runbook, str, str]:
    acct = provision_account(url)
    ac, token = acct["account_sid"], acct["auth_token"]
    set_account(url, ac, message_step_seconds=0.02)
    settings = Settings("sandbox", tmp / ".env", tmp / "state", tmp / "sandbox-dir", url)
    rb = Runbook(settings)
    rb.store.save({ACCOUNT_SID: ac, AUTH_TOKEN: token})
    return rb, ac, token


def _steps(rb: Runbook, ac: str, token: str, url: str) -> None:
    """Steps 02, 03 and 07 with a Restricted key: every call they make, made for real."""
    set_up_api_key(rb, api_key_type="restricted")
    check_secret(rb)
    client = make_client(ac, auth_token=token, base_url=url, step=STEP)
    service = client.messaging.v1.services.create(friendly_name="Postman SMS")
    client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="GOVTECH")
    rb.store.save({MESSAGING_SERVICE_SID: service.sid})
    rotate_key(rb, SG_MOBILE, wait_seconds=5)
    rotate_key(rb, postman_updated=True)
    values = rb.store.values()
    keyed = make_client(
        ac,
        api_key_sid=values["TWILIO_API_KEY_SID"],
        api_secret=values["TWILIO_API_KEY_SECRET"],
        base_url=url,
        step=STEP,
    )
    # Outside the policy: the message log, numbers, services, a send from a bare number.
    _fails(70051, keyed.messages.list, limit=1)
    _fails(70051, keyed.incoming_phone_numbers.list, limit=1)
    _fails(70051, keyed.messaging.v1.services.list, limit=1)
    keyed.messaging.v1.services(service.sid).fetch()
    # The same lists are the Auth Token's to make (and a Standard key's).
    client.messages.list(limit=1)
    client.incoming_phone_numbers.list(limit=1)
    # No API key may use the Keys resources.
    _fails(20003, keyed.iam.v1.get_api_keys.list, account_sid=ac)
    _fails(20003, keyed.iam.v1.new_api_key.create, account_sid=ac, friendly_name="not allowed")


def _iam_keys(ac: str, token: str, url: str, other: str) -> None:
    """Every iam v1 Keys operation, succeeding and refused."""
    iam = make_client(ac, auth_token=token, base_url=url, step=STEP).iam.v1
    standard = iam.new_api_key.create(account_sid=ac, friendly_name="Standard by iam")
    assert standard.secret and standard.policy is None
    restricted = iam.new_api_key.create(
        account_sid=ac, friendly_name="Restricted", key_type="restricted", policy=postman_policy()
    )
    assert restricted.policy == postman_policy()
    _fails(20001, iam.new_api_key.create, account_sid=ac, key_type="restricted")  # no policy
    iam.get_api_keys.list(account_sid=ac)
    _fails(20003, iam.get_api_keys.list, account_sid=other)  # another account's keys
    iam.api_key(restricted.sid).fetch()
    _fails(20404, iam.api_key("SK" + "0" * 32).fetch)
    narrower = {"allow": ["/twilio/messaging/messages/create"]}
    iam.api_key(restricted.sid).update(friendly_name="Renamed", policy=narrower)
    _fails(20001, iam.api_key(standard.sid).update, policy=narrower)  # not a restricted key
    iam.api_key(standard.sid).update(friendly_name="Standard, renamed")
    iam.api_key(standard.sid).delete()
    _fails(20404, iam.api_key(standard.sid).delete)
    keyed = make_client(
        ac, api_key_sid=restricted.sid, api_secret=restricted.secret, base_url=url, step=STEP
    )
    # messages/create only: a send goes out; following it is outside the narrowed policy.
    sent = keyed.messages.create(to=SG_MOBILE, from_=iam_service(ac, token, url), body="x")
    _fails(70051, keyed.messages(sent.sid).fetch)
    iam.api_key(restricted.sid).update(policy={"allow": ["/twilio/messaging/services/read"]})
    _fails(70051, keyed.messages.create, to=SG_MOBILE, from_=sent.messaging_service_sid, body="y")


def iam_service(ac: str, token: str, url: str) -> str:
    """A service with a Sender ID to send through (the Auth Token's work)."""
    services = make_client(ac, auth_token=token, base_url=url, step=STEP).messaging.v1.services
    found = services.list(limit=1)
    return found[0].sid


@pytest.fixture(scope="module")
def scenario(contract: Contract, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("contract-keys")
    with SandboxServer(tmp / "sandbox.sqlite3") as server, Recorder().installed() as recorder:
        rb, ac, token = _runbook(server.url, tmp)
        _steps(rb, ac, token, server.url)
        other = provision_account(server.url)["account_sid"]
        _iam_keys(ac, token, server.url, other)
    yield Scenario(recorder.exchanges, contract)


@pytest.mark.parametrize("op_id", sorted(COVERED))
def test_operation_follows_the_spec(scenario: Scenario, op_id: str) -> None:
    scenario.assert_follows_spec(op_id, COVERED[op_id])


def test_every_request_is_a_covered_operation(scenario: Scenario) -> None:
    unexpected = sorted(set(scenario.by_op) - set(COVERED))
    assert unexpected == [], f"requests outside the covered operations: {unexpected}"


def test_the_iam_host_and_the_messaging_host_share_v1_and_are_told_apart(scenario: Scenario):
    """``/v1/Keys`` (iam) and ``/v1/Services`` (messaging) reach one sandbox; each answer matches
    its own host's spec, so the routing sent each to the right resource."""
    iam = [ex for ex in scenario.exchanges if ex.host == "iam.twilio.com"]
    messaging = [ex for ex in scenario.exchanges if ex.host == "messaging.twilio.com"]
    assert iam and messaging
    assert all(ex.path.startswith("/v1/Keys") for ex in iam)
    assert all(ex.path.startswith("/v1/Services") for ex in messaging)
    listed = [ex for ex in scenario.by_op["iam.v1.ListGetKeys"] if ex.status == 200][-1]
    assert listed.json()["meta"]["url"].startswith("https://iam.twilio.com/v1/Keys?")


def test_a_restricted_key_answer_shows_its_policy(scenario: Scenario) -> None:
    fetched = [ex for ex in scenario.by_op["iam.v1.FetchKey"] if ex.status == 200]
    assert fetched and all(isinstance(ex.json()["policy"], dict) for ex in fetched)
    created = [ex.json() for ex in scenario.by_op["iam.v1.CreateNewKey"] if ex.status == 201]
    assert {c["policy"] is None for c in created} == {True, False}  # standard and restricted
    problems = scenario.contract.problems(fetched[0])
    assert problems == []


def test_a_wrong_iam_answer_is_caught(scenario: Scenario) -> None:
    """Not vacuous: the checks would catch a key without its policy, an invented field, or a
    v1 date in the wrong format."""
    ex = [e for e in scenario.by_op["iam.v1.FetchKey"] if e.status == 200][-1]
    for change, expected in (
        ({"policy": "drop"}, "'policy' is a required property"),
        ({"flags": ["rest_api"]}, "Additional properties"),
        ({"date_created": "2016-06-13T22:50:08Z"}, "date-time-rfc-2822"),
    ):
        body = {**ex.json(), **change}
        if change.get("policy") == "drop":
            del body["policy"]
        problems = scenario.contract.problems(ex.answered(body))
        assert any(expected in p for p in problems), (change, problems)


def test_two_threads_sending_at_once_keep_their_own_hosts(contract: Contract, tmp_path) -> None:
    """The recorder labels each exchange with the host its own thread aimed at: a form's preview
    reading in a background thread must not relabel the main thread's request (a GET /v1/Keys
    seen as api.twilio.com's is no operation of any spec)."""
    with SandboxServer(tmp_path / "sandbox.sqlite3") as server, Recorder().installed() as recorder:
        acct = provision_account(server.url)
        ac, token = acct["account_sid"], acct["auth_token"]
        client = make_client(ac, auth_token=token, base_url=server.url, step=STEP)
        start = threading.Barrier(2)

        def keys() -> None:
            start.wait()
            for _ in range(15):
                client.iam.v1.get_api_keys.list(account_sid=ac, limit=1)

        other = threading.Thread(target=keys)
        other.start()
        start.wait()
        for _ in range(15):
            client.messages.list(limit=1)
        other.join()
    labels = [contract.op_id(ex) for ex in recorder.exchanges]
    assert sorted(set(labels)) == ["api.v2010.ListMessage", "iam.v1.ListGetKeys"]
    assert len(labels) == 30


def test_a_client_used_after_recording_ended_records_nothing(tmp_path) -> None:
    with SandboxServer(tmp_path / "sandbox.sqlite3") as server:
        acct = provision_account(server.url)
        client = make_client(
            acct["account_sid"], auth_token=acct["auth_token"], base_url=server.url, step=STEP
        )
        with Recorder().installed() as recorder:
            client.messages.list(limit=1)
        client.messages.list(limit=1)
    assert len(recorder.exchanges) == 1
