"""Contract tests: our requests and the sandbox's answers, checked against Twilio's OpenAPI specs.

One module-scoped scenario drives every Twilio operation the runbook performs through the real
gateway (``make_client`` with the real twilio SDK; step 01 through its step function) against a
sandbox server over HTTP, succeeding and failing the ways the runbook meets. A recorder keeps
every exchange; each test then checks the exchanges of one operation with openapi-core
(see ``oas.py`` for what is checked and how strictly).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import provision_account, set_account
from onboarding_helpers.steps.account import check_account
from onboarding_helpers.twilio_gateway import call, make_client

from .oas import Contract, Exchange, Scenario

SG_MOBILE = "+6591234567"
STEP = "contract_test"

# Every Twilio operation the runbook performs (steps 01-05), by our id "<spec>.<operationId>",
# with the Twilio error codes the scenario provokes for it (each must be seen and pass the check).
COVERED: dict[str, set[int]] = {
    "api.v2010.FetchAccount": {20003},
    "api.v2010.FetchBalance": {20003},
    "api.v2010.CreateNewKey": set(),
    "api.v2010.ListKey": {20003},
    "api.v2010.FetchKey": {20404},
    "api.v2010.DeleteKey": set(),
    "api.v2010.ListAvailablePhoneNumberLocal": set(),
    "api.v2010.CreateIncomingPhoneNumber": {21422},
    "api.v2010.ListIncomingPhoneNumber": {20003},
    "api.v2010.FetchIncomingPhoneNumber": set(),
    "api.v2010.CreateMessage": {21211, 21608, 21612, 21614},
    "api.v2010.FetchMessage": {20404},
    "messaging.v1.CreateService": set(),
    "messaging.v1.ListService": {20005},
    "messaging.v1.FetchService": {20404},
    "messaging.v1.CreateAlphaSender": {21709, 21714},
    "messaging.v1.ListAlphaSender": set(),
    "messaging.v1.CreatePhoneNumber": {21421, 21710, 21712},
    "messaging.v1.ListPhoneNumber": set(),
}


def _fails(code: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run one SDK call through the gateway's ``call``; Twilio must refuse it with ``code``."""
    with pytest.raises(TwilioActionError) as caught:
        call("contract test action", fn, *args, **kwargs)
    assert caught.value.code == code, caught.value


def _wait_for_status(fetch: Callable[[], Any], wanted: str, timeout: float = 5.0) -> None:
    """Fetch a message until it reaches ``wanted``, so later states' answers are checked too."""
    deadline = time.monotonic() + timeout
    while (status := fetch().status) != wanted:
        assert time.monotonic() < deadline, f"message stuck in {status}, expected {wanted}"
        time.sleep(0.05)


def _drive(url: str, tmp: Path) -> None:
    """Every operation of the runbook, with the successes and refusals an officer can meet."""
    acct = provision_account(url)
    ac, token = acct["account_sid"], acct["auth_token"]
    set_account(url, ac, message_step_seconds=0.05, filtered_sender_ids=["BLOCKEDID"])

    # Step 01 through its step function: wrong token (401/20003), then the right one.
    settings = Settings(
        mode="sandbox",
        env_file=tmp / ".env",
        state_dir=tmp / "state",
        sandbox_dir=tmp / "sandbox-dir",
        base_url=url,
    )
    rb = Runbook(settings)
    with pytest.raises(TwilioActionError) as refused:
        check_account(rb, ac, "x" * 32)
    assert refused.value.code == 20003
    check_account(rb, ac, token)

    client = make_client(ac, auth_token=token, base_url=url, step=STEP)
    api = client.api.v2010

    # Step 02: a Standard API key, listed, fetched; the key itself may not use the Keys resource.
    key = client.new_keys.create(friendly_name="Postman SMS key")
    assert key.secret
    client.keys.list()
    client.keys(key.sid).fetch()
    keyed = make_client(ac, api_key_sid=key.sid, api_secret=key.secret, base_url=url, step=STEP)
    _fails(20003, keyed.keys.list)
    # Step 03 checks a key + secret pair with a call a Standard key may make.
    keyed.incoming_phone_numbers.list(limit=1)
    wrong = make_client(ac, api_key_sid=key.sid, api_secret="y" * 32, base_url=url, step=STEP)
    _fails(20003, wrong.incoming_phone_numbers.list, limit=1)

    # Steps 03/04: Messaging Service, found by listing or fetched by SID; alpha sender.
    messaging = client.messaging.v1
    service = messaging.services.create(friendly_name="Postman SMS", usecase="notifications")
    messaging.services.list()
    keyed.messaging.v1.services(service.sid).fetch()
    _fails(20404, messaging.services("MG" + "0" * 32).fetch)
    _fails(21709, messaging.services(service.sid).alpha_senders.create, alpha_sender="GOV.SG")
    set_account(url, ac, alpha_sender_enabled=False)  # 21709's other cause: not enabled
    _fails(21709, messaging.services(service.sid).alpha_senders.create, alpha_sender="MYAGENCY")
    set_account(url, ac, alpha_sender_enabled=True)
    messaging.services(service.sid).alpha_senders.create(alpha_sender="MYAGENCY")
    _fails(21714, messaging.services(service.sid).alpha_senders.create, alpha_sender="OTHERID")
    messaging.services(service.sid).alpha_senders.list()

    # Step 04a: search, buy, find again, fetch; put the number in the sender pool.
    found = api.account.available_phone_numbers("US").local.list(sms_enabled=True, limit=3)
    number = client.incoming_phone_numbers.create(phone_number=found[0].phone_number)
    _fails(21422, client.incoming_phone_numbers.create, phone_number=found[0].phone_number)
    client.incoming_phone_numbers.list(phone_number=number.phone_number)
    client.incoming_phone_numbers(number.sid).fetch()
    pool = messaging.services(service.sid).phone_numbers
    pool.create(phone_number_sid=number.sid)
    _fails(21710, pool.create, phone_number_sid=number.sid)
    _fails(21421, pool.create, phone_number_sid="PN" + "0" * 32)
    other = messaging.services.create(friendly_name="Other service", usecase="undeclared")
    _fails(21712, messaging.services(other.sid).phone_numbers.create, phone_number_sid=number.sid)
    pool.list()

    # Step 05: the test message the way Postman sends it (API key; service SID in From), and
    # with MessagingServiceSid; delivered, undelivered, filtered; and refused sends.
    sent = keyed.messages.create(to=SG_MOBILE, from_=service.sid, body="Postman test message")
    by_service = keyed.messages.create(
        to="+6581230008", messaging_service_sid=service.sid, body="Test: undelivered"
    )
    to_us = keyed.messages.create(to="+12125550123", from_=service.sid, body="To a US phone")
    to_uk = keyed.messages.create(to="+447911123456", from_=service.sid, body="To a UK phone")
    keyed.messages(sent.sid).fetch()  # still early in its life
    _wait_for_status(keyed.messages(sent.sid).fetch, "delivered")
    _wait_for_status(keyed.messages(by_service.sid).fetch, "undelivered")
    # The US number is not registered for A2P 10DLC: carriers block it (30034).
    _wait_for_status(keyed.messages(to_us.sid).fetch, "failed")
    assert keyed.messages(to_us.sid).fetch().error_code == 30034
    _wait_for_status(keyed.messages(to_uk.sid).fetch, "delivered")  # the Sender ID, as is
    set_account(url, ac, us_senders_registered=True)
    registered = keyed.messages.create(to="+12125550124", from_=service.sid, body="Registered")
    _wait_for_status(keyed.messages(registered.sid).fetch, "delivered")
    _fails(20404, keyed.messages("SM" + "0" * 32).fetch)
    _fails(21211, keyed.messages.create, to="+65123", from_=service.sid, body="Bad number")
    _fails(21614, keyed.messages.create, to="+6561234567", from_=service.sid, body="Landline")
    blocked = messaging.services.create(friendly_name="Blocked ID", usecase="notifications")
    messaging.services(blocked.sid).alpha_senders.create(alpha_sender="BLOCKEDID")
    filtered = keyed.messages.create(to=SG_MOBILE, from_=blocked.sid, body="Filtered")
    _wait_for_status(keyed.messages(filtered.sid).fetch, "failed")
    _fails(21612, keyed.messages.create, to="+12125550123", from_=blocked.sid, body="To the US")

    # The prepaid balance (step 01 read it already): a message it cannot pay for fails (30002).
    api.accounts(ac).balance.fetch()
    wrong_token = make_client(ac, auth_token="z" * 32, base_url=url, step=STEP)
    _fails(20003, wrong_token.api.v2010.accounts(ac).balance.fetch)
    set_account(url, ac, balance="0.01")
    unpaid = keyed.messages.create(to=SG_MOBILE, from_=service.sid, body="Not paid for")
    _wait_for_status(keyed.messages(unpaid.sid).fetch, "failed")
    assert keyed.messages(unpaid.sid).fetch().error_code == 30002
    set_account(url, ac, balance="50")

    # Key rotation: delete the key; it is gone afterwards.
    client.keys(key.sid).delete()
    _fails(20404, client.keys(key.sid).fetch)

    # A Trial account: no alpha sender, no sending to unverified numbers.
    trial = provision_account(url, type="Trial")
    trial_client = make_client(
        trial["account_sid"], auth_token=trial["auth_token"], base_url=url, step=STEP
    )
    trial_service = trial_client.messaging.v1.services.create(friendly_name="Trial")
    _fails(
        21709,
        trial_client.messaging.v1.services(trial_service.sid).alpha_senders.create,
        alpha_sender="MYAGENCY",
    )
    _fails(21608, trial_client.messages.create, to=SG_MOBILE, from_=trial_service.sid, body="x")

    # A suspended account: every call but the account fetch is refused.
    set_account(url, ac, status="suspended")
    _fails(20005, messaging.services.list)


@pytest.fixture(scope="module")
def scenario(contract: Contract, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return Scenario.recorded(contract, tmp_path_factory.mktemp("contract"), _drive)


@pytest.mark.parametrize("op_id", sorted(COVERED))
def test_operation_follows_the_spec(scenario: Scenario, op_id: str) -> None:
    scenario.assert_follows_spec(op_id, COVERED[op_id])


def test_every_request_is_a_covered_operation(scenario: Scenario) -> None:
    assert len(scenario.exchanges) > 40
    unexpected = sorted(set(scenario.by_op) - set(COVERED))
    assert unexpected == [], f"requests outside the covered operations: {unexpected}"


# ---------------------------------------------------------------- the checker itself


def _one(scenario: Scenario, op_id: str, status: int) -> Exchange:
    """The last exchange of ``op_id`` with ``status`` (lists are fullest late in the scenario)."""
    return [ex for ex in scenario.by_op[op_id] if ex.status == status][-1]


def _with_form(ex: Exchange, form: dict[str, str]) -> Exchange:
    request = ex.request.copy()
    request.prepare_body(form, None)
    return Exchange(ex.origin, request, ex.response)


RFC2822_DATE = "Mon, 13 Jun 2016 22:50:08 +0000"


@pytest.mark.parametrize(
    ("op_id", "change", "expected"),
    [
        ("api.v2010.FetchAccount", {"status": "open"}, "is not one of"),
        ("api.v2010.FetchAccount", {"date_created": "2016-06-13T22:50:08Z"}, "date-time-rfc-2822"),
        ("api.v2010.FetchAccount", {"invented": 1}, "Additional properties"),
        ("api.v2010.FetchAccount", {"sid": None, "uri": 5}, "is not of type"),
        ("messaging.v1.CreateService", {"sid": "MG123"}, "does not match"),
        ("messaging.v1.CreateService", {"date_created": RFC2822_DATE}, "date-time"),
        ("api.v2010.FetchBalance", {"balance": 50.0}, "is not of type 'string'"),
    ],
    ids=["enum", "rfc2822-date", "extra-field", "type", "sid-pattern", "iso-date", "balance"],
)
def test_a_wrong_answer_is_caught(
    scenario: Scenario, op_id: str, change: dict[str, Any], expected: str
) -> None:
    ex = _one(scenario, op_id, 201 if ".Create" in op_id else 200)
    problems = scenario.contract.problems(ex.answered({**ex.json(), **change}))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("op_id", "path"),
    [
        ("api.v2010.FetchMessage", ("num_segments",)),
        ("api.v2010.ListIncomingPhoneNumber", ("incoming_phone_numbers", 0, "capabilities", "sms")),
        ("api.v2010.ListKey", ("next_page_uri",)),
        ("messaging.v1.ListService", ("meta", "key")),
    ],
    ids=["top-level", "nested-in-list", "nullable-paging", "v1-meta"],
)
def test_a_missing_field_is_caught(scenario: Scenario, op_id: str, path: tuple[Any, ...]) -> None:
    ex = _one(scenario, op_id, 200)
    body = ex.json()
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    problems = scenario.contract.problems(ex.answered(body))
    assert any(f"'{path[-1]}' is a required property" in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"FriendlyNme": "typo"}, "form field 'FriendlyNme' is not declared"),
        ({"InboundMethod": "PUT"}, "is not one of ['GET', 'POST']"),
        ({"FriendlyName": None, "Usecase": "notifications"}, "'FriendlyName' is a required"),
        ({"FriendlyName": None, "Usecase": None}, "no form body"),
    ],
    ids=["undeclared-field", "enum", "missing-required", "no-body"],
)
def test_a_wrong_request_is_caught(
    scenario: Scenario, change: dict[str, str | None], expected: str
) -> None:
    ex = _one(scenario, "messaging.v1.CreateService", 201)
    assert scenario.contract.request_problems(ex) == []
    form = {k: v for k, v in {**ex.form, **change}.items() if v is not None}
    problems = scenario.contract.request_problems(_with_form(ex, form))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "https://example.com", "title": "Bad"}, "Additional properties"),
        ({"code": "21709"}, "is not of type 'integer'"),
        ({"status": 500}, "!= HTTP 400"),
        ({"more_info": "https://example.com"}, "is not 'https://www.twilio.com/docs/errors/21709'"),
    ],
    ids=["problem-details-keys", "code-type", "status-mismatch", "more-info"],
)
def test_a_wrong_error_body_is_caught(
    scenario: Scenario, change: dict[str, Any], expected: str
) -> None:
    ex = _one(scenario, "messaging.v1.CreateAlphaSender", 400)
    assert scenario.contract.problems(ex) == []
    problems = scenario.contract.problems(ex.answered({**ex.json(), **change}))
    assert any(expected in p for p in problems), problems
    body = ex.json()
    del body["more_info"]
    assert scenario.contract.problems(ex.answered(body))


def test_a_request_without_basic_auth_is_caught(scenario: Scenario) -> None:
    ex = _one(scenario, "api.v2010.FetchAccount", 200)
    request = ex.request.copy()
    del request.headers["Authorization"]
    problems = scenario.contract.request_problems(Exchange(ex.origin, request, ex.response))
    assert any("Security" in p or "security" in p for p in problems), problems
