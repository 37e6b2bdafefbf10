"""Step 05 against the sandbox: each outcome, and each failure ending with the guide's advice."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from onboarding_helpers.countries import sender_for
from onboarding_helpers.credentials import AUTH_TOKEN, MESSAGING_SERVICE_SID
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import MessageSent, TestMessageRecord
from onboarding_helpers.phone import parse_phone
from onboarding_helpers.sandbox import request_log, set_account, snapshot
from onboarding_helpers.steps.handoff import hand_off
from onboarding_helpers.steps.registry import MESSAGING_SERVICE
from onboarding_helpers.steps.test_message import (
    STEP,
    before_send_panel,
    follow_message,
    form,
    send_and_follow,
    send_test_message,
    status_panel,
)
from onboarding_helpers.steps.test_message import panel as message_check_panel

from .fixtures_flow import SG_MOBILE, flow_fixture  # noqa: F401
from .presses import press
from .secret_audit import leaks


def _messages(f):
    return snapshot(f.url, f.account_sid)["messages"]


def _posts(f, step=STEP):
    def sent_by_step(r) -> bool:
        return (
            r["method"] == "POST"
            and r["path"].endswith("/Messages.json")
            and (f"step/{step.id}" in (r["user_agent"] or ""))
        )

    return [r for r in request_log(f.url, f.account_sid) if sent_by_step(r)]


def test_delivered_shows_each_status_and_the_registered_sender(flow):
    f = flow(step_seconds=0.05)
    seen = []
    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10, on_status=seen.append)

    assert result.outcome == "delivered" and result.shown_from == "GOVTECH"
    assert result.sender_id == "GOVTECH" and not result.warnings
    assert [u.status for u in seen] == [u.status for u in result.statuses]
    assert seen[0].status == "accepted" and seen[-1].status == "delivered"
    assert any("your registered ID" in n for n in result.notes)
    # Sent the console's way (MessagingServiceSid), with the Auth Token, and few fetches.
    (post,) = _posts(f)
    assert post["auth_kind"] == "auth_token"
    assert post["form"]["MessagingServiceSid"] == f.service_sid and "From" not in post["form"]
    fetches = [r for r in request_log(f.url, f.account_sid) if r["method"] == "GET"]
    assert 1 <= len(fetches) <= 6

    record = f.rb.progress.read(STEP)
    assert record.status == "done" and record.outcome == "delivered"
    assert record.to == "+65 ••••4567" and record.message_sid == result.message_sid
    events = f.rb.progress.events(step=STEP)
    assert "81234567" not in json.dumps([e.to_json() for e in events])
    assert any(isinstance(e, MessageSent) for e in events)
    text = str(message_check_panel(result))
    assert "Test message delivered" in text and "accepted →" in text
    assert leaks(f.secrets, [f.rb.settings.state_dir], [text]) == []


def test_filtered_sender_id_ends_with_the_singapore_30007_advice(flow):
    f = flow()
    set_account(f.url, f.account_sid, filtered_sender_ids=["GOVTECH"])
    seen = []
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, SG_MOBILE, wait_seconds=10, on_status=seen.append)
    err = caught.value
    assert err.code == 30007 and err.field == "Sender ID"
    assert "'GOVTECH'" in err.message and "30007" in err.message
    for fragment in ("not registered with SGNIC", "mapped to your account", "another agency"):
        assert fragment in err.advice
    assert seen[-1].status == "failed" and seen[-1].error_code == 30007
    assert "error 30007" in str(status_panel(seen[-1]))
    record = f.rb.progress.read(STEP)
    assert record.status == "failed" and record.error_code == 30007


def test_undelivered_30008(flow):
    f = flow()
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, "+6581230008", wait_seconds=10)
    assert caught.value.code == 30008 and "undelivered" in caught.value.message
    assert caught.value.advice and caught.value.more_info.endswith("/30008")


def test_message_that_stays_sent_is_reported_as_sent_not_confirmed(flow):
    f = flow()
    result = send_test_message(f.rb, "+6581239999", wait_seconds=0.5)
    assert result.outcome == "sent-not-confirmed" and result.statuses[-1].status == "sent"
    (warning,) = result.warnings
    assert warning.startswith("Sent, carrier did not confirm within 0.5 s")
    assert "Postman counts 'sent'" in warning and "Look at your phone" in warning  # the advice
    shown = message_check_panel(result)
    assert shown.kind == "warn" and "did not confirm" in shown.title
    assert "delivered" not in shown.title.lower()
    assert f.rb.progress.read(STEP).outcome == "sent-not-confirmed"


@pytest.mark.parametrize("typed", ["+65 9900 1234", "+65 8000 1234"])
def test_every_singapore_number_postman_takes_passes_with_a_warning_at_most(flow, typed):
    f = flow()
    result = send_test_message(f.rb, typed, wait_seconds=10)
    assert result.outcome == "delivered" and result.shown_from == "GOVTECH"
    assert len(result.warnings) == 1 and result.warnings == parse_phone(typed).warnings
    assert message_check_panel(result).kind == "warn"
    assert _messages(f)[0]["to"] == typed.replace(" ", "")


def test_a_foreign_number_where_the_sender_id_goes_needs_no_bought_number(flow):
    f = flow()
    result = send_test_message(f.rb, "+60 12 345 6789", wait_seconds=10)
    assert result.outcome == "delivered" and result.shown_from == "GOVTECH"
    text = "\n".join(result.notes + result.warnings)
    malaysia = sender_for("MY", True, [], sender_id="GOVTECH")  # the country table's prediction
    assert f"Malaysia: {malaysia.summary}" in result.notes and "Geo Permissions" in text
    assert "RM0" in text  # what Malaysia still needs, from the country table


def test_a_us_number_without_a_registered_sender_is_refused_before_sending(flow):
    f = flow()
    with pytest.raises(InputError) as caught:
        send_test_message(f.rb, "+1 415 555 0123", wait_seconds=1)
    err = caught.value
    assert err.field == "test_phone" and "A2P 10DLC" in str(err) and "toll-free" in str(err)
    assert "Nothing was sent" in err.message
    assert _messages(f) == [] and _posts(f) == []  # nothing sent
    assert f.rb.progress.read(STEP) == TestMessageRecord()  # a refused input writes nothing


def test_a_us_number_goes_once_its_registration_is_confirmed(flow):
    f = flow(buy_number=True)
    with pytest.raises(InputError, match="us_sender_registered True"):
        send_test_message(f.rb, "+1 415 555 0123", wait_seconds=1)
    assert _messages(f) == []
    set_account(f.url, f.account_sid, us_senders_registered=True)  # the trainer plays Twilio
    result = send_test_message(f.rb, "+1 415 555 0123", wait_seconds=10, us_sender_registered=True)
    assert result.outcome == "delivered" and result.shown_from == f.phone_number
    assert any("A2P 10DLC" in w for w in result.warnings)  # still said: the runbook cannot check
    with pytest.raises(InputError, match="us_sender_registered"):
        send_test_message(f.rb, "+14155550123", us_sender_registered="True")


def test_sandbox_21612_gets_the_destination_advice(flow):
    # The record says the pool holds a number, but it does not: Twilio itself refuses.
    f = flow()
    record = f.rb.progress.read(MESSAGING_SERVICE)
    f.rb.progress.save(MESSAGING_SERVICE, replace(record, phone_numbers=["+12015550123"]))
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, "+82 10 1234 5678", wait_seconds=1)
    err = caught.value
    assert err.code == 21612 and err.field == "test_phone"
    assert "cannot reach" in err.message and "South Korea" in err.message
    assert "South Korea" in err.advice and "009 or 006" in err.advice  # the country's rule
    assert "Geo Permissions" in err.advice and "Singapore mobile" in err.advice


def test_where_the_sender_id_is_not_taken_the_bought_number_is_the_sender(flow):
    f = flow(buy_number=True)
    korea = send_test_message(f.rb, "+82 10 1234 5678", wait_seconds=10)
    assert korea.outcome == "delivered" and korea.shown_from == f.phone_number
    from_number = sender_for("KR", True, [f.phone_number])  # the country table's prediction
    assert f"South Korea: {from_number.summary}" in korea.notes
    # The UK takes the Sender ID, so the bought number is not used there.
    uk = send_test_message(f.rb, "+447400123456", wait_seconds=10)
    assert uk.shown_from == "GOVTECH" and not any("expects" in w for w in uk.warnings)


def test_sandbox_21614_for_a_landline_gets_the_mobile_advice(flow):
    # parse_phone refuses landlines first; this proves the advice when Twilio is the one to say it.
    f = flow()
    landline = SimpleNamespace(
        e164="+6561234567", country="Singapore", is_singapore=True, masked="+65 ••••4567"
    )
    client = f.rb.auth_token_client(STEP.id)
    options = {"body": "x", "postman_style": False, "wait_seconds": 1}
    with pytest.raises(TwilioActionError) as caught:
        send_and_follow(f.rb, client, STEP, landline, f.service_sid, **options)
    assert caught.value.code == 21614 and "not a mobile number" in caught.value.message
    assert "8 or 9" in caught.value.advice
    with pytest.raises(InputError, match="landline"):
        send_test_message(f.rb, "+6561234567")


def test_trial_account_21608_says_upgrade(flow):
    f = flow(account_type="Trial")
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, SG_MOBILE, wait_seconds=1)
    err = caught.value
    assert err.code == 21608 and err.field == "Account SID"
    assert "Trial" in err.message and "Upgrade billing" in err.advice
    assert f.rb.progress.read(STEP).status == "failed"


def test_sender_shown_differs_from_the_registered_id_warns(flow):
    f = flow()
    record = f.rb.progress.read(MESSAGING_SERVICE)
    f.rb.progress.save(MESSAGING_SERVICE, replace(record, sender_id="GOVTECHSG"))
    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    assert result.outcome == "delivered"
    # Both IDs named: the one Twilio sent from, and the one registered.
    assert any("'GOVTECH'" in w and "'GOVTECHSG'" in w for w in result.warnings)
    assert message_check_panel(result).kind == "warn"


def test_without_a_progress_record_the_sender_id_is_read_from_the_service(flow):
    f = flow(record_steps=False)
    result = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    assert result.sender_id == "GOVTECH" and not result.warnings


def test_no_test_phone_skips_and_sends_nothing(flow):
    f = flow()
    result = send_test_message(f.rb, "", wait_seconds=1)
    assert result.outcome == "skipped" and "No test_phone" in result.reason
    assert f.rb.progress.read(STEP).status == "skipped"
    assert _messages(f) == []
    assert "nothing will be sent" in str(before_send_panel(f.rb, ""))
    with pytest.raises(InputError, match="is empty"):
        send_test_message(f.rb, "", allow_skip=False)


def test_missing_messaging_service_blocks(flow):
    f = flow()
    f.rb.store.remove(MESSAGING_SERVICE_SID)
    with pytest.raises(StepBlocked, match="04_messaging_service"):
        send_test_message(f.rb, SG_MOBILE)


@pytest.mark.parametrize("wait", [-1, 601, "60", True])
def test_bad_wait_seconds_is_refused(flow, wait):
    f = flow()
    with pytest.raises(InputError, match="wait_seconds"):
        send_test_message(f.rb, SG_MOBILE, wait_seconds=wait)


def test_polling_backs_off_and_stops_at_the_limit():
    """A fake clock: waits grow 1, 1.5, 2.25, ... up to 3 s, and stop at wait_seconds."""
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(round(seconds, 4))
        now[0] += seconds

    statuses = iter(["queued", "sending", "sent"] + ["sent"] * 100)

    def fetch():
        return SimpleNamespace(
            sid="SM1", status=next(statuses), from_="GOVTECH", error_code=None, error_message=None
        )

    first = SimpleNamespace(
        sid="SM1", status="accepted", from_=None, error_code=None, error_message=None
    )
    seen = []
    delivery = follow_message(
        fetch, first, wait_seconds=20, on_status=seen.append, sleep=sleep, clock=lambda: now[0]
    )
    assert sleeps[:4] == [1.0, 1.5, 2.25, 3.0]  # first look after 1 s, then x1.5 up to 3 s
    assert max(sleeps) == 3.0 and sum(sleeps) == pytest.approx(20)
    assert delivery.timed_out and delivery.outcome == "sent-not-confirmed"
    assert [u.status for u in seen] == ["accepted", "queued", "sending", "sent"]
    assert delivery.fetches == len(sleeps) < 10  # few requests for a 20 s wait


def test_form_sends_and_shows_statuses_in_its_output(flow):
    f = flow()
    check = form(f.rb, wait_seconds=10)
    assert not check.action.field("auth_token")["shown"]  # the env file holds the token
    shown = (check.notice, check.phone, check.us_registered, check.action, check.output)
    assert check.children == shown
    press(check.action, "send")  # empty number: refused, nothing sent
    assert "is empty" in str(check.output.outputs[-1]["data"]["text/plain"])
    assert _messages(f) == []
    check.phone.value = SG_MOBILE
    press(check.action, "send")
    texts = [o["data"]["text/plain"] for o in check.output.outputs]
    assert any("Message status: accepted" in t for t in texts)
    assert "Test message delivered" in texts[-1] and not check.action.disabled


def test_a_rerun_after_delivery_sends_nothing_unless_asked(flow):
    f = flow()
    first = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    checked = hand_off(f.rb, SG_MOBILE, wait_seconds=10)
    assert first.outcome == checked.delivery == "delivered"
    requests_before = len(request_log(f.url, f.account_sid))

    again = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    rechecked = hand_off(f.rb, SG_MOBILE, wait_seconds=10)

    assert again.message_sid == first.message_sid and "already delivered" in again.notes[0]
    assert rechecked.message_sid == checked.message_sid and rechecked.postman_check == "passed"
    assert len(request_log(f.url, f.account_sid)) == requests_before  # not one request
    assert len(_messages(f)) == 2
    assert send_test_message(f.rb, SG_MOBILE, resend=True, wait_seconds=10).message_sid not in (
        first.message_sid,
        checked.message_sid,
    )
    assert len(_messages(f)) == 3


def test_with_the_auth_token_put_away_a_rerun_reuses_and_a_new_send_stops(flow):
    f = flow()
    first = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)
    f.rb.store.remove(AUTH_TOKEN)
    again = send_test_message(f.rb, SG_MOBILE, wait_seconds=10)  # needs no token
    assert again.message_sid == first.message_sid and "already delivered" in again.notes[0]
    before = f.rb.store.path.read_bytes()
    with pytest.raises(StepBlocked) as caught:
        send_test_message(f.rb, "+6598765432", wait_seconds=10)  # another phone: a new send
    assert AUTH_TOKEN in caught.value.message and caught.value.field == AUTH_TOKEN
    assert len(_messages(f)) == 1 and f.rb.store.path.read_bytes() == before


def test_the_form_asks_for_the_token_once_it_is_put_away_and_never_keeps_it(flow):
    f = flow()
    f.rb.store.remove(AUTH_TOKEN)
    check = form(f.rb, wait_seconds=10)
    assert check.action.field("auth_token")["shown"] and check.action in check.children
    assert check.action.field("auth_token")["label"] == "Auth Token (for this send only)"
    check.phone.value = SG_MOBILE
    press(check.action, "send", auth_token="")  # nothing typed: refused, nothing sent
    texts = [o["data"]["text/plain"] for o in check.output.outputs]
    assert AUTH_TOKEN in texts[-1] and _messages(f) == []
    press(check.action, "send", auth_token=f.auth_token)
    texts = [o["data"]["text/plain"] for o in check.output.outputs]
    assert "Test message delivered" in texts[-1]
    assert f.auth_token not in str(check.action.get_state())  # it came in the press only
    assert f.rb.store.get(AUTH_TOKEN) is None  # used for this send only, never saved
    (post,) = _posts(f)
    assert post["auth_kind"] == "auth_token"
    assert leaks(f.secrets, [f.rb.settings.state_dir], [str(check.output.outputs)]) == []
