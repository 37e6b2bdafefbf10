"""Reconcile on unknown outcome: for every create the runbook makes, an answer lost after Twilio
acted (or a run killed there) never leads to a second resource, and a key whose secret was lost
is reported as an orphan while a new one is made and saved.

Faults are targeted (``set_faults``): ``status=0`` closes the connection without an answer,
``phase="after"`` once the work is committed (the worst case), ``phase="before"`` without it.
"""

from __future__ import annotations

from typing import Any

import pytest

from onboarding_helpers.credentials import API_KEY_SECRET, API_KEY_SID
from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.journal import (
    AlphaSenderAdded,
    KeyCreating,
    MessageNotSent,
    MessageSending,
    MessageSent,
    NumberBought,
    PurchaseNotMade,
    ServiceCreated,
    action_of,
)
from onboarding_helpers.sandbox import request_log, set_faults, snapshot
from onboarding_helpers.steps import api_key, handoff
from onboarding_helpers.steps import test_message as step05
from onboarding_helpers.steps.api_key import revoke_orphans, set_up_api_key
from onboarding_helpers.steps.handoff import hand_off
from onboarding_helpers.steps.messaging_service import set_up_messaging_service
from onboarding_helpers.steps.phone_number import buy_phone_number
from onboarding_helpers.steps.registry import API_KEY, MESSAGING_SERVICE, PHONE_NUMBER
from onboarding_helpers.steps.test_message import TEST_BODY, send_test_message
from onboarding_helpers.twilio_gateway import make_client

from .fixtures_flow import SG_MOBILE, flow_fixture  # noqa: F401
from .secret_audit import leaks
from .test_api_key import authenticates, keys, make_runbook, pair
from .test_messaging_service import requests, state

LOST = {"status": 0, "phase": "after"}  # committed, then no answer
DROPPED = {"status": 0, "phase": "before"}  # no answer, nothing done


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch):
    monkeypatch.setattr("onboarding_helpers.twilio_gateway.CREATE_PAUSE", 0.0)


@pytest.fixture
def rb(tmp_path, sandbox):
    return make_runbook(tmp_path, sandbox.url)


def actions(rb, step) -> list[str]:
    """The action texts of the step's journal events (``step``: a registry Step), oldest first."""
    return [action_of(type(e)) for e in rb.progress.events(step=step)]


def posts(rb, path_end: str) -> int:
    return len([r for r in requests(rb, "POST") if r["path"].endswith(path_end)])


# ---------------------------------------------------------------- 02: the API key


def test_lost_key_create_is_reported_as_orphan_and_a_new_key_saved_in_the_same_run(rb):
    set_faults(rb.base_url, r"POST /Keys\.json$", **LOST)

    result = set_up_api_key(rb)

    sid, secret = pair(rb)
    assert result.key_sid == sid and authenticates(rb, sid, secret)
    (orphan,) = [k for k in keys(rb) if k != sid]
    assert [k.sid for k in result.orphans] == [orphan]
    assert posts(rb, "/Keys.json") == 2
    assert actions(rb, API_KEY) == [
        "creating key",
        "key create answer lost",
        "unanswered create resolved",
        "creating key",
        "created key",
    ]
    # Offered, then revoked on request; nothing else to look for afterwards.
    assert revoke_orphans(rb).revoked == (orphan,) and keys(rb) == [sid]
    mark = len(request_log(rb.base_url))
    assert set_up_api_key(rb).orphans == ()
    assert len(request_log(rb.base_url)) - mark == 1


def test_dropped_key_create_made_nothing_so_one_key_is_made(rb):
    set_faults(rb.base_url, r"POST /Keys\.json$", **DROPPED)
    result = set_up_api_key(rb)
    assert keys(rb) == [result.key_sid] and result.orphans == ()
    assert authenticates(rb, *pair(rb))


def test_every_attempt_lost_fails_with_advice_and_the_next_run_reports_the_orphans(rb):
    set_faults(rb.base_url, r"POST /Keys\.json$", times=3, **LOST)
    with pytest.raises(TwilioActionError) as caught:
        set_up_api_key(rb)
    assert "orphan" in caught.value.advice and pair(rb) == (None, None)
    lost = set(keys(rb))
    assert len(lost) == 3

    result = set_up_api_key(rb)

    assert {k.sid for k in result.orphans} == lost and pair(rb)[0] == result.key_sid
    assert set(keys(rb)) == lost | {result.key_sid}


def test_run_killed_between_create_and_saving_the_secret(rb):
    # What a killed run leaves: the intent in the journal, a key in Twilio, no secret anywhere.
    name = api_key.default_key_name(rb)
    rb.progress.log(API_KEY, KeyCreating(friendly_name=name, account_sid=rb.saved_account()[0]))
    killed = rb.auth_token_client("test").new_keys.create(friendly_name=name)

    result = set_up_api_key(rb)

    assert [k.sid for k in result.orphans] == [killed.sid] and result.key_sid != killed.sid
    assert authenticates(rb, *pair(rb)) and len(keys(rb)) == 2


def test_run_killed_before_the_create_was_sent_leaves_no_orphan(rb):
    rb.progress.log(
        API_KEY, KeyCreating(friendly_name="Postman key", account_sid=rb.saved_account()[0])
    )
    result = set_up_api_key(rb)
    assert result.orphans == () and keys(rb) == [result.key_sid]
    mark = len(request_log(rb.base_url))
    set_up_api_key(rb)
    assert len(request_log(rb.base_url)) - mark == 1  # settled: nothing left to look for


def test_revoke_whose_answer_was_lost_is_repeated_and_counts_as_done(rb):
    first = set_up_api_key(rb)
    rb.store.remove(API_KEY_SECRET)
    set_up_api_key(rb)  # the first key is now an orphan
    set_faults(rb.base_url, r"DELETE /Keys/", **LOST)
    assert revoke_orphans(rb).revoked == (first.key_sid,)
    assert first.key_sid not in keys(rb) and "revoked key" in actions(rb, API_KEY)


# ---------------------------------------------------------------- 04 and 04a


@pytest.mark.parametrize("fault", [LOST, DROPPED, {"status": 500, "phase": "after"}])
def test_service_create_with_a_lost_answer_makes_one_service(rb, fault):
    set_faults(rb.base_url, r"POST /v1/Services$", **fault)

    result = set_up_messaging_service(rb, "GOVTECH")

    [service] = state(rb)["services"]
    assert service["sid"] == result.service_sid
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]
    made = fault["phase"] == "after"
    assert posts(rb, "/Services") == (1 if made else 2)
    created = rb.progress.events(ServiceCreated, step=MESSAGING_SERVICE)
    assert len(created) == 1 and bool(created[0].recovered) is made
    assert any("found by name" in n for n in result.notes) is made
    # A re-run finds it through the journal: nothing more is made.
    set_up_messaging_service(rb)
    assert len(state(rb)["services"]) == 1


@pytest.mark.parametrize("fault", [LOST, DROPPED])
def test_alpha_sender_add_with_a_lost_answer_adds_it_once(rb, fault):
    set_faults(rb.base_url, r"POST /v1/Services/MG[0-9a-f]+/AlphaSenders$", **fault)
    result = set_up_messaging_service(rb, "GOVTECH")
    [service] = state(rb)["services"]
    assert [a["sid"] for a in service["alpha_senders"]] == [result.alpha_sender_sid]
    assert rb.progress.events(AlphaSenderAdded, step=MESSAGING_SERVICE)


def test_number_purchase_and_pool_add_with_lost_answers_buy_and_add_once(rb):
    set_faults(rb.base_url, r"POST /IncomingPhoneNumbers\.json$", **LOST)
    set_faults(rb.base_url, r"POST /v1/Services/MG[0-9a-f]+/PhoneNumbers$", **LOST)

    result = buy_phone_number(rb, buy=True, confirm=True)

    snap = state(rb)
    [number] = snap["incoming_phone_numbers"]
    [service] = snap["services"]
    assert number["sid"] == result.phone_number_sid
    assert [n["sid"] for n in service["phone_numbers"]] == [number["sid"]]
    assert posts(rb, "/IncomingPhoneNumbers.json") == 1
    bought = rb.progress.events(NumberBought, step=PHONE_NUMBER)
    assert len(bought) == 1 and bought[0].recovered is True
    # Re-runs of 04a and 04 buy and attach nothing more.
    buy_phone_number(rb, buy=True, confirm=True)
    set_up_messaging_service(rb, "GOVTECH")
    assert len(state(rb)["incoming_phone_numbers"]) == 1
    assert len(state(rb)["services"][0]["phone_numbers"]) == 1


def test_purchase_never_answered_is_settled_as_not_happened(rb):
    set_faults(rb.base_url, r"POST /IncomingPhoneNumbers\.json$", times=3, **DROPPED)
    with pytest.raises(TwilioActionError) as caught:
        buy_phone_number(rb, buy=True, confirm=True)
    assert "nothing was made" in caught.value.advice
    assert state(rb)["incoming_phone_numbers"] == []
    assert isinstance(rb.progress.events(step=PHONE_NUMBER)[-1], PurchaseNotMade)


# ---------------------------------------------------------------- 05 and 06: billed messages


def _messages(f) -> list[dict[str, Any]]:
    return snapshot(f.url, f.account_sid)["messages"]


@pytest.mark.parametrize("fault", [LOST, DROPPED, {"status": 500, "phase": "after"}])
def test_send_with_a_lost_answer_sends_one_sms(flow, fault):
    f = flow()
    set_faults(f.url, r"POST /Accounts/AC[0-9a-f]+/Messages\.json$", **fault)

    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)

    assert result.outcome == "delivered"
    [message] = _messages(f)
    assert message["sid"] == result.message_sid
    made = fault["phase"] == "after"
    assert any("not sent a second time" in n for n in result.notes) is made
    sent = f.rb.progress.events(MessageSent, step=step05.STEP)
    assert len(sent) == 1 and bool(sent[0].recovered) is made


def test_postman_check_with_a_lost_answer_sends_one_sms(flow):
    f = flow()
    set_faults(f.url, r"POST /Accounts/AC[0-9a-f]+/Messages\.json$", **LOST)
    result = hand_off(f.rb, SG_MOBILE, wait_seconds=10)
    assert result.postman_check == "passed"
    [message] = _messages(f)
    assert message["sid"] == result.message_sid
    assert any("not sent a second time" in n for n in result.notes)
    assert leaks(f.secrets, [f.rb.settings.state_dir], [repr(result)]) == []


def test_send_never_answered_fails_saying_nothing_was_sent(flow):
    f = flow()
    set_faults(f.url, r"POST /Accounts/AC[0-9a-f]+/Messages\.json$", times=3, **DROPPED)
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    assert "nothing was made" in caught.value.advice and _messages(f) == []
    assert isinstance(f.rb.progress.events(step=step05.STEP)[-1], MessageNotSent)
    # The next run sends (once), without a hunt for the failed one.
    assert send_test_message(f.rb, SG_MOBILE, wait_seconds=10).outcome == "delivered"
    assert len(_messages(f)) == 1


def _send_like_a_killed_run(f, *, journal_sent: bool, send: bool = True) -> str | None:
    rb = f.rb
    sending = MessageSending(
        service_sid=f.service_sid, to="+65 ••••4567", sent_as="MessagingServiceSid"
    )
    rb.progress.log(step05.STEP, sending)
    if not send:
        return None
    message = f.client().messages.create(
        to=SG_MOBILE, body=TEST_BODY, messaging_service_sid=f.service_sid
    )
    if journal_sent:
        sent = MessageSent(
            message_sid=message.sid,
            service_sid=f.service_sid,
            to="+65 ••••4567",
            sent_as="MessagingServiceSid",
        )
        rb.progress.log(step05.STEP, sent)
    return message.sid


@pytest.mark.parametrize("journal_sent", [True, False])
def test_run_killed_after_sending_is_followed_not_sent_again(flow, journal_sent):
    f = flow()
    sid = _send_like_a_killed_run(f, journal_sent=journal_sent)

    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)

    assert result.message_sid == sid and result.outcome == "delivered"
    assert len(_messages(f)) == 1
    assert any("stopped after sending" in n for n in result.notes)
    # The earlier send is settled now: a deliberate re-run sends a new test message.
    again = send_test_message(f.rb, SG_MOBILE, resend=True, wait_seconds=10)
    assert again.message_sid != sid and len(_messages(f)) == 2


def test_run_killed_before_sending_sends_once(flow):
    f = flow()
    _send_like_a_killed_run(f, journal_sent=False, send=False)
    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    assert result.outcome == "delivered" and len(_messages(f)) == 1
    assert not any("stopped" in n for n in result.notes)


def test_an_old_message_of_the_runbook_is_never_taken_for_a_lost_one(flow):
    f = flow()
    first = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    set_faults(f.url, r"POST /Accounts/AC[0-9a-f]+/Messages\.json$", **DROPPED)
    second = send_test_message(f.rb, SG_MOBILE, resend=True, wait_seconds=10)
    assert second.message_sid != first.message_sid and len(_messages(f)) == 2


def test_step_06_resumes_its_own_send_not_step_05s(flow):
    f = flow()
    send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    client = make_client(
        f.account_sid, api_key_sid=f.api_key_sid, api_secret=f.api_secret, base_url=f.url
    )
    sending = MessageSending(service_sid=f.service_sid, to="+65 ••••4567", sent_as="From")
    f.rb.progress.log(handoff.STEP, sending)
    killed = client.messages.create(to=SG_MOBILE, body=handoff.POSTMAN_BODY, from_=f.service_sid)

    result = hand_off(f.rb, SG_MOBILE, wait_seconds=10)

    assert result.message_sid == killed.sid and len(_messages(f)) == 2
    assert f.rb.store.values()[API_KEY_SID] == f.api_key_sid


def test_a_status_check_that_fails_on_the_way_does_not_end_the_step(flow, monkeypatch):
    from onboarding_helpers import twilio_gateway

    monkeypatch.setattr(twilio_gateway, "pause_before_retry", lambda *a: None)
    f = flow(step_seconds=0.1)
    # One whole status check fails, every retry included; the next poll gets through.
    tries = 1 + twilio_gateway.DEFAULT_RETRIES
    set_faults(f.url, r"GET /Messages/SM[0-9a-f]+\.json$", status=500, times=tries)

    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)

    assert result.outcome == "delivered" and len(_messages(f)) == 1
    fetches = [r for r in request_log(f.url, f.account_sid) if "/Messages/SM" in r["path"]]
    assert [r["status"] for r in fetches][:tries] == [500] * tries
    assert fetches[-1]["status"] == 200


def test_a_status_check_still_failing_at_the_deadline_is_reported(flow, monkeypatch):
    from onboarding_helpers import twilio_gateway

    monkeypatch.setattr(twilio_gateway, "pause_before_retry", lambda *a: None)
    f = flow(step_seconds=0.1)
    set_faults(f.url, r"GET /Messages/SM[0-9a-f]+\.json$", status=503, times=1000)
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, SG_MOBILE, wait_seconds=1)
    assert "only following it failed" in caught.value.advice
    assert "follows the same message" in caught.value.advice and len(_messages(f)) == 1


def test_refused_key_create_leaves_nothing_to_look_for(rb):
    set_faults(rb.base_url, r"POST /Keys\.json$", status=400, code=20001)
    with pytest.raises(TwilioActionError):
        set_up_api_key(rb)
    assert actions(rb, API_KEY)[-2:] == ["creating key", "key create refused"]
    mark = len(request_log(rb.base_url))
    result = set_up_api_key(rb)
    # list + create only: the refused create is not hunted for in the listing.
    assert len(request_log(rb.base_url)) - mark == 2 and result.orphans == ()


def _with_restricted_key(f) -> None:
    """Swap the flow's Standard key for a Restricted one holding Postman's policy only."""
    from onboarding_helpers.credentials import API_KEY_SECRET, API_KEY_SID
    from onboarding_helpers.steps.api_key.policy import postman_policy

    owner = f.rb.auth_token_client("test")
    key = owner.iam.v1.new_api_key.create(
        account_sid=f.account_sid, key_type="restricted", policy=postman_policy()
    )
    f.rb.store.save({API_KEY_SID: key.sid, API_KEY_SECRET: key.secret})


def test_restricted_key_lost_answer_is_looked_up_with_the_auth_token(flow):
    # A Restricted key may not read the message log (on purpose): the Auth Token looks instead.
    f = flow()
    _with_restricted_key(f)
    set_faults(f.url, r"POST /Accounts/AC[0-9a-f]+/Messages\.json$", **LOST)
    result = hand_off(f.rb, SG_MOBILE, wait_seconds=10)
    assert result.postman_check == "passed"
    [message] = _messages(f)
    assert message["sid"] == result.message_sid
    assert any("not sent a second time" in n for n in result.notes)


def test_restricted_key_lost_answer_without_the_token_says_how_to_check(flow):
    from onboarding_helpers.credentials import AUTH_TOKEN

    f = flow()
    _with_restricted_key(f)
    f.rb.store.remove(AUTH_TOKEN)
    set_faults(f.url, r"POST /Accounts/AC[0-9a-f]+/Messages\.json$", **LOST)
    with pytest.raises(TwilioActionError) as caught:
        hand_off(f.rb, SG_MOBILE, wait_seconds=10)
    assert "Monitor > Logs > Messaging" in caught.value.advice
    assert len(_messages(f)) == 1  # sent once, never twice
