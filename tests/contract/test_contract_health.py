"""Contract tests for step 08, the health check: every request it makes, checked against Twilio's
official OpenAPI specs (``twilio_api_v2010.json``, ``twilio_messaging_v1.json``).

One module-scoped scenario stages an account in use (a Messaging Service with its Sender ID and a
number, thousands of messages of mixed outcome), then runs ``health_check`` as an officer would:
with a Standard key; with a Restricted key the runbook made (its policy leaves out the message
log) and one made in the console with a narrower policy (70051 refusals); with a wrong secret
(20003) and an unknown service (20404). The Messages list is read with ``DateSent>``/``DateSent<``,
``PageSize=1000`` and the ``PageToken`` of each next page, as Twilio pages it; a bad page token
is refused (20001). Each test checks the exchanges of one operation (see ``oas.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
)
from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import provision_account, set_account
from onboarding_helpers.steps.api_key import set_up_api_key
from onboarding_helpers.steps.health_check import health_check
from onboarding_helpers.twilio_gateway import call, make_client

from .oas import Contract, Scenario

STEP = "contract_test"
MIX = {"delivered": 2300, "sent": 20, "30003": 90, "30005": 40, "30007": 60, "21610": 30}
NARROW = {"allow": ["/twilio/messaging/messages/create", "/twilio/messaging/services/read"]}
READS = [
    "/twilio/messaging/services.alphasenders/list",
    "/twilio/messaging/services.phonenumbers/list",
    "/twilio/messaging/messages/list",
]

# Every operation step 08 makes, with the Twilio error codes the scenario provokes for each.
COVERED: dict[str, set[int]] = {
    "messaging.v1.FetchService": {20003, 20404},
    "messaging.v1.ListAlphaSender": {70051},
    "messaging.v1.ListPhoneNumber": {70051},
    "api.v2010.FetchBalance": {70051},
    "api.v2010.ListMessage": {70051, 20001},
    "api.v2010.ListIncomingPhoneNumber": {70051},
}
# Made by the scenario's own set-up (Auth Token), not by step 08.
SETUP = {
    "api.v2010.CreateNewKey",
    "api.v2010.ListAvailablePhoneNumberLocal",
    "api.v2010.CreateIncomingPhoneNumber",
    "messaging.v1.CreateService",
    "messaging.v1.CreateAlphaSender",
    "messaging.v1.CreatePhoneNumber",
    "iam.v1.CreateNewKey",
    "iam.v1.ListGetKeys",
    "api.v2010.FetchAccount",
}


def _account(url: str, tmp: Path) -> tuple[Runbook, str, str, str]:
    """An account in use: service, Sender ID, a number, a Standard key, a week of messages."""
    acct = provision_account(url)
    ac, token = acct["account_sid"], acct["auth_token"]
    client = make_client(ac, auth_token=token, base_url=url, step=STEP)
    service = client.messaging.v1.services.create(friendly_name="Campaigns")
    client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="MYAGENCY")
    offer = client.available_phone_numbers("US").local.list(sms_enabled=True, limit=1)[0]
    bought = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=bought.sid)
    key = client.new_keys.create(friendly_name="Postman")
    history = {"service_sid": service.sid, "days": 6, "mix": MIX, "countries": {"SG": 9, "US": 1}}
    set_account(url, ac, message_history=json.dumps(history))
    rb = Runbook(Settings("sandbox", tmp / ".env", tmp / "state", tmp / "sandbox-dir", url))
    rb.store.save(
        {
            ACCOUNT_SID: ac,
            AUTH_TOKEN: token,
            API_KEY_SID: key.sid,
            API_KEY_SECRET: key.secret,
            MESSAGING_SERVICE_SID: service.sid,
        }
    )
    return rb, ac, token, service.sid


def _fails(field: str, *args: object, **kwargs: object) -> None:
    with pytest.raises(TwilioActionError) as caught:
        health_check(*args, **kwargs)
    assert caught.value.field == field, caught.value


def _drive(url: str, tmp: Path) -> None:
    rb, ac, token, mg = _account(url, tmp)
    health_check(rb)  # a Standard key: every read allowed
    client = make_client(ac, auth_token=token, base_url=url, step=STEP)
    narrow = client.iam.v1.new_api_key.create(
        account_sid=ac, friendly_name="console", key_type="restricted", policy=NARROW
    )
    # A console key the journal does not know: refused reads, and the probe of its type.
    health_check(rb, api_key_sid=narrow.sid, api_secret=narrow.secret)
    reads = {"allow": [*NARROW["allow"], *READS]}
    broad = client.iam.v1.new_api_key.create(
        account_sid=ac, friendly_name="reads", key_type="restricted", policy=reads
    )
    # Every read 08 needs allowed: only the probe (numbers, not in its policy) shows its type.
    result = health_check(rb, api_key_sid=broad.sid, api_secret=broad.secret)
    assert result.key_type == "restricted" and result.counts is not None
    _fails("Account SID / API key SID / API secret", rb, api_secret="x" * 32)
    _fails("Messaging Service SID", rb, messaging_service_sid="MG" + "0" * 32)
    # The runbook's own Restricted key: everything but the message log.
    rb.store.remove(API_KEY_SID, API_KEY_SECRET)
    set_up_api_key(rb, api_key_type="restricted")
    rb.store.remove(AUTH_TOKEN)
    health_check(rb)
    keyed = rb.api_key_client(STEP)
    with pytest.raises(TwilioActionError) as token_refused:
        call("list", keyed.messages.page, page_token="PA" + "SM" + "0" * 32)
    assert token_refused.value.code == 70051  # the policy is checked before the token
    standard = make_client(ac, auth_token=token, base_url=url, step=STEP)
    with pytest.raises(TwilioActionError) as bad_token:
        call("list", standard.messages.page, page_token="PA" + "SM" + "0" * 32)
    assert bad_token.value.code == 20001


@pytest.fixture(scope="module")
def scenario(contract: Contract, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return Scenario.recorded(contract, tmp_path_factory.mktemp("contract-health"), _drive)


@pytest.mark.parametrize("op_id", sorted(COVERED))
def test_operation_follows_the_spec(scenario: Scenario, op_id: str) -> None:
    scenario.assert_follows_spec(op_id, COVERED[op_id])


def test_every_request_is_a_covered_operation(scenario: Scenario) -> None:
    unexpected = sorted(set(scenario.by_op) - set(COVERED) - SETUP)
    assert unexpected == [], f"requests outside the covered operations: {unexpected}"


def test_the_message_log_is_read_by_date_and_page_token_1000_a_page(scenario: Scenario) -> None:
    lists = [ex for ex in scenario.by_op["api.v2010.ListMessage"] if ex.status == 200]
    names = [{name for name, _ in ex.query} for ex in lists]
    assert all({"DateSent>", "DateSent<", "PageSize"} <= n for n in names)
    assert all(dict(ex.query)["PageSize"] == "1000" for ex in lists)
    following = [ex for ex in lists if "PageToken" in dict(ex.query)]
    assert following and all(dict(ex.query)["PageToken"].startswith("PASM") for ex in following)
    first = lists[0].json()
    assert len(first["messages"]) == 1000 and "PageToken=PASM" in first["next_page_uri"]
    assert scenario.contract.problems(lists[0]) == []
