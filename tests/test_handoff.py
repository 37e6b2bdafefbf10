"""Step 06 against the sandbox: Postman's own call, the card, the run report, the secret reveal."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import replace

import pytest

from onboarding_helpers.countries import sender_for
from onboarding_helpers.credentials import API_KEY_SECRET, API_KEY_SID, AUTH_TOKEN
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import AuthTokenRemoved, HandoffRecord, StartRecord
from onboarding_helpers.report import build_report, handoff_summary, scrub
from onboarding_helpers.runbook import Runbook
from onboarding_helpers.sandbox import request_log, set_account, snapshot
from onboarding_helpers.steps.handoff import (
    BRIEF_FOLLOW_SECONDS,
    LABEL_RULE,
    STEP,
    form,
    hand_off,
    keep_or_remove_note,
    suggest_label,
    validate_label,
)
from onboarding_helpers.steps.handoff import panel as handoff_panel
from onboarding_helpers.steps.registry import START
from onboarding_helpers.steps.test_message import send_test_message

from .fixtures_flow import SG_MOBILE, flow_fixture  # noqa: F401
from .secret_audit import leaks


def _step_requests(f, method=None):
    return [
        r
        for r in request_log(f.url, f.account_sid)
        if f"step/{STEP.id}" in (r["user_agent"] or "")
        and (method is None or r["method"] == method)
    ]


def test_postman_equivalent_check_uses_the_api_key_and_from_mg(flow):
    f = flow()
    result = hand_off(f.rb, SG_MOBILE, wait_seconds=10)

    assert result.postman_check == "passed" and result.delivery == "delivered"
    (post,) = [r for r in _step_requests(f, "POST") if r["path"].endswith("/Messages.json")]
    assert post["auth_kind"] == "api_key" and post["auth_username"] == f.api_key_sid
    assert post["path"] == f"/2010-04-01/Accounts/{f.account_sid}/Messages.json"
    assert post["form"]["From"] == f.service_sid and post["form"]["To"] == SG_MOBILE
    assert "MessagingServiceSid" not in post["form"] and post["status"] == 201
    # Every request of this step used the API key: the Auth Token is never Postman's.
    assert {r["auth_kind"] for r in _step_requests(f)} == {"api_key"}

    record = f.rb.progress.read(STEP)
    assert record.status == "done" and record.postman_check == "passed"
    assert record.sent_as == "From" and record.auth == "api_key"
    assert record.report_path == str(result.report_path)

    card = result.card
    assert [label for label, _ in card.rows()] == [
        "Credential label",
        "Account SID",
        "API Key SID",
        "API Secret",
        "Messaging Service ID",
        "Your mobile (as Postman takes it)",
    ]
    assert card.api_secret_masked == "••••" + f.api_secret[-4:]
    assert card.label == "postman-sms" and LABEL_RULE.match(card.label)
    shown = handoff_panel(result)
    text, html = str(shown), shown._repr_html_()
    assert shown.panels[0].kind == "ok" and str(result.report_path) in text  # passed, no warning
    assert "Settings > Credentials" in text and "cannot be undone" in text
    assert leaks(f.secrets, [f.rb.settings.state_dir], [text, html, repr(result)]) == []


def test_the_run_report_has_sids_and_times_and_no_secret(flow):
    f = flow()
    result = hand_off(f.rb, SG_MOBILE, wait_seconds=10)
    report = result.report_path
    assert report.parent == f.rb.settings.state_dir and report.name.startswith("report-")
    assert report.suffix == ".md" and stat.S_IMODE(os.stat(report).st_mode) == 0o600
    text = report.read_text()
    for sid in (f.account_sid, f.api_key_sid, f.service_sid, result.message_sid):
        assert sid in text
    assert "| 06_postman_handoff | done | 20" in text and "sent test message" in text
    assert "Postman-equivalent check: **passed**" in text and "+65 ••••4567" in text
    assert "81234567" not in text  # the phone number only masked
    assert leaks(f.secrets, [report]) == []
    # A secret that somehow reached the record would still be scrubbed from the report.
    assert f.api_secret not in scrub(f"leak {f.api_secret} here", [f.api_secret])
    lines = handoff_summary(f.rb.settings.env_file, f.rb.settings.state_dir)
    assert any(str(report) in line for line in lines)
    assert any(f"••••{f.api_secret[-4:]}" in line for line in lines)
    assert leaks(f.secrets, [], ["\n".join(lines), build_report(f.rb)]) == []


def test_without_test_phone_nothing_is_sent_but_card_and_report_are_made(flow):
    f = flow()
    result = hand_off(f.rb, "", wait_seconds=10)
    assert result.postman_check == "not run" and "was not run" in result.reason
    assert snapshot(f.url, f.account_sid)["messages"] == []
    (check,) = _step_requests(f, "GET")[:1]
    assert check["auth_kind"] == "api_key" and check["path"] == f"/v1/Services/{f.service_sid}"
    record = f.rb.progress.read(STEP)
    assert record.status == "skipped" and record.postman_check == "not run"
    assert result.report_path.exists()
    assert "check was not run" in str(handoff_panel(result))
    assert handoff_summary(f.rb.settings.env_file, f.rb.settings.state_dir)


def test_wrong_secret_fails_like_postman_would_and_still_writes_the_report(flow):
    f = flow()
    f.rb.store.save({API_KEY_SECRET: "x" * 32})
    with pytest.raises(TwilioActionError) as caught:
        hand_off(f.rb, SG_MOBILE, wait_seconds=1)
    err = caught.value
    assert err.code == 20003 and "Authenticate" in err.message
    assert "02_api_key" in err.advice and "run report" in err.advice
    record = f.rb.progress.read(STEP)
    assert record.status == "failed" and record.postman_check == "failed"
    assert os.path.exists(record.report_path)
    assert snapshot(f.url, f.account_sid)["messages"] == []


def test_delivery_failure_after_postman_would_accept_is_explained(flow):
    f = flow()
    set_account(f.url, f.account_sid, filtered_sender_ids=["GOVTECH"])
    with pytest.raises(TwilioActionError) as caught:
        hand_off(f.rb, SG_MOBILE, wait_seconds=10)
    err = caught.value
    assert err.code == 30007 and "Postman would accept" in err.message
    assert "SGNIC" in err.advice and "another agency" in err.advice
    record = f.rb.progress.read(STEP)  # Twilio took the message: Postman would have saved
    assert record.postman_check == "failed" and record.error_code == 30007
    assert record.postman_message_sid.startswith("SM")


def test_trial_account_is_refused_with_postmans_view(flow):
    f = flow(account_type="Trial")
    with pytest.raises(TwilioActionError) as caught:
        hand_off(f.rb, SG_MOBILE, wait_seconds=1)
    err = caught.value
    assert err.code == 21608 and err.field == "Account SID" and err.message.startswith("Postman")
    assert "Upgrade billing" in err.advice


def test_a_us_number_without_a_registered_sender_is_refused_before_sending(flow):
    f = flow()
    with pytest.raises(InputError) as caught:
        hand_off(f.rb, "+1 415 555 0123", wait_seconds=1)
    assert "A2P 10DLC" in str(caught.value) and "toll-free" in str(caught.value)
    assert snapshot(f.url, f.account_sid)["messages"] == []
    assert f.rb.progress.read(STEP) == HandoffRecord()


def test_a_foreign_number_where_the_sender_id_goes_passes_without_a_bought_number(flow):
    f = flow()
    result = hand_off(f.rb, "+60 12 345 6789", wait_seconds=10)
    assert result.postman_check == "passed" and result.delivery == "delivered"
    summary = sender_for("MY", True, [], sender_id="GOVTECH").summary  # the country table's
    assert f"Malaysia: {summary}" in result.notes
    assert {r["auth_kind"] for r in _step_requests(f)} == {"api_key"}


def test_missing_values_block_naming_the_steps(flow):
    f = flow()
    f.rb.store.remove(API_KEY_SID, API_KEY_SECRET)
    with pytest.raises(StepBlocked) as caught:
        hand_off(f.rb, SG_MOBILE)
    err = caught.value
    assert "API Key SID" in err.message and "API Secret" in err.message  # Postman's labels
    assert "Account SID" not in err.message and "Messaging Service ID" not in err.message
    assert "02_api_key" in err.advice


@pytest.mark.parametrize(
    ("names", "label"),
    [
        (("Postman SMS",), "postman-sms"),
        (("", "Ministry of Testing"), "ministry-of-testing"),
        (("  MOH -- Alerts!! ",), "moh-alerts"),
        (("Café Agency",), "cafe-agency"),
        (("!!!",), "twilio-sms"),
        ((None, None), "twilio-sms"),
        (("x" * 49 + " y",), "x" * 49),
    ],
)
def test_suggested_label_meets_postmans_rule(names, label):
    suggested = suggest_label(*names)
    assert suggested == label
    assert LABEL_RULE.match(suggested) and 1 <= len(suggested) <= 50


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Postman SMS", "' '"),
        ("moh_sms", "'_'"),
        ("a" * 51, "51 characters"),
        ("", "is empty"),
        (5, "expected text"),
    ],
)
def test_bad_labels_are_refused_with_a_suggestion(value, fragment):
    with pytest.raises(InputError) as caught:
        validate_label(value)
    assert caught.value.field == "credential_label" and fragment in str(caught.value)
    assert validate_label("moh-sms-2") == "moh-sms-2"


def test_given_label_is_used_and_bad_one_refused_before_sending(flow):
    f = flow()
    with pytest.raises(InputError):
        hand_off(f.rb, SG_MOBILE, "Bad Label")
    assert snapshot(f.url, f.account_sid)["messages"] == []
    assert hand_off(f.rb, "", "moh-sms").card.label == "moh-sms"


def test_form_reveal_shows_the_secret_briefly_then_clears_it(flow):
    f = flow()
    check = form(f.rb, wait_seconds=10, reveal_seconds=0.2)
    phone, label, button, output = check.phone, check.credential_label, check.button, check.output
    reveal, view = check.reveal, check.secret_view
    token_button, token_output = check.remove_token, check.token_output
    assert check.children == (
        check.notice,
        phone,
        label,
        check.us_registered,
        button,
        output,
        reveal,
        view,
        token_button,
        token_output,
    )
    assert label.value == "postman-sms" and view.value == ""
    phone.value = SG_MOBILE
    button.click()
    shown = [o["data"]["text/plain"] for o in output.outputs]
    assert shown[-1].startswith("[✔]") and f.rb.progress.read(STEP).postman_check == "passed"
    assert leaks(f.secrets, [], shown) == []

    reveal.click()
    assert f.api_secret in view.value and reveal.description == "Hide API Secret"
    deadline = time.monotonic() + 5
    while view.value and time.monotonic() < deadline:
        time.sleep(0.05)
    assert view.value == "" and reveal.description.startswith("Show API Secret")
    reveal.click()
    reveal.click()  # a second click hides at once
    assert view.value == ""
    # The secret never went into the Output widget or the progress record.
    assert leaks(f.secrets, [f.rb.settings.state_dir], [str(output.outputs)]) == []


# ---------------------------------------------------------------- which Postman: legacy or v2


def _use_postman(f, postman: str) -> None:
    """What step 00 records when the officer chooses a Postman."""
    f.rb.progress.save(START, StartRecord(status="done", mode="sandbox", postman=postman))


def test_the_legacy_card_keeps_a_unique_label_and_the_number_without_spaces(flow):
    f = flow()
    result = hand_off(f.rb, "+65 8123 4567", wait_seconds=10)
    rows = dict(result.card.rows())
    assert result.postman == "legacy" and rows["Credential label"] == "postman-sms"
    assert rows["Your mobile (as Postman takes it)"] == "+6581234567"
    checklist = "\n".join(result.card.checklist())
    # Postman's own refusal, quoted so the officer knows it; the number as Postman's field takes it.
    assert "'Label already exists'" in checklist and "+6581234567" in checklist
    assert "Expected Sender Name" not in str(handoff_panel(result))
    assert f.rb.progress.read(STEP).postman == "legacy"


def test_the_v2_card_shows_internal_staff_and_the_expected_sender_name_and_no_label(flow):
    f = flow()
    _use_postman(f, "v2")
    result = hand_off(f.rb, SG_MOBILE, "ignored-label", wait_seconds=10)
    assert result.postman == "v2" and result.postman_check == "passed"
    rows = result.card.rows()
    assert [label for label, _ in rows] == [
        "Channel type",
        "Account SID",
        "API Key SID",
        "API Secret",
        "Messaging Service ID",
        "Expected Sender Name",
        "Your mobile (as Postman takes it)",
    ]
    assert dict(rows)["Channel type"] == "Internal Staff"
    assert dict(rows)["Expected Sender Name"] == "GOVTECH" and result.card.label == ""
    assert any("credential_label" in n for n in result.notes)  # the label given was not used
    shown = handoff_panel(result)
    text = str(shown)
    assert "Internal Staff" in shown.panels[0].title and "Credential label" not in text
    assert "postman.gov.sg" in text and "Settings > Credentials" not in text
    record = f.rb.progress.read(STEP)
    assert record.postman == "v2" and record.expected_sender_name == "GOVTECH"
    assert record.credential_label == ""

    report = result.report_path.read_text()
    assert "| Channel type | `Internal Staff` |" in report
    assert "| Expected Sender Name | `GOVTECH` |" in report and "Credential label" not in report
    lines = "\n".join(handoff_summary(f.rb.settings.env_file, f.rb.settings.state_dir))
    assert "Postman v2" in lines and "Internal Staff" in lines and "GOVTECH" in lines
    assert "Credential label" not in lines
    assert leaks(f.secrets, [f.rb.settings.state_dir], [text, report, lines]) == []


def test_the_v2_card_without_a_phone_still_names_the_sender(flow):
    f = flow()
    _use_postman(f, "v2")
    result = hand_off(f.rb, "", wait_seconds=10)
    assert dict(result.card.rows())["Expected Sender Name"] == "GOVTECH"
    assert f.rb.progress.read(STEP).expected_sender_name == "GOVTECH"


def test_the_v2_form_has_no_label_field(flow):
    f = flow()
    _use_postman(f, "v2")
    check = form(f.rb, wait_seconds=10)
    assert check.credential_label is None
    check.phone.value = SG_MOBILE
    check.button.click()
    shown = [o["data"]["text/plain"] for o in check.output.outputs]
    assert "Expected Sender Name" in shown[-1] and "Credential label" not in shown[-1]


# ---------------------------------------------------------------- sent, not confirmed


class _FakeTime:
    """A clock that moves by what the step asks to sleep (each sleep also lets 20 ms pass, so
    the sandbox's message moves on)."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        time.sleep(0.02)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_after_05_ended_sent_the_check_follows_briefly_and_says_sent_not_confirmed(flow):
    f = flow()
    stuck = "+6581239999"  # the sandbox's carrier never confirms delivery to this number
    assert send_test_message(f.rb, stuck, wait_seconds=0.5).outcome == "sent-not-confirmed"
    fake = _FakeTime()
    result = hand_off(f.rb, stuck, wait_seconds=60, sleep=fake.sleep, clock=fake.clock)
    assert result.postman_check == "passed" and result.delivery == "sent-not-confirmed"
    assert fake.now == pytest.approx(BRIEF_FOLLOW_SECONDS)  # not the whole 60 s again
    (warning,) = result.warnings
    assert warning.startswith("Sent, carrier did not confirm.") and "ended sent" in warning
    assert f"{BRIEF_FOLLOW_SECONDS:g} s" in warning and "60 s" in warning
    assert "Postman counts 'sent'" in warning  # why it still passes
    card = handoff_panel(result).panels[0]
    assert card.kind == "warn" and "carrier did not confirm" in str(card)
    assert "delivery: sent, carrier did not confirm" in result.report_path.read_text()


def test_without_05_the_check_waits_the_whole_window(flow):
    f = flow()
    fake = _FakeTime()
    result = hand_off(f.rb, "+6581239999", wait_seconds=30, sleep=fake.sleep, clock=fake.clock)
    assert result.delivery == "sent-not-confirmed" and fake.now == pytest.approx(30)
    assert result.warnings[0].startswith("Sent, carrier did not confirm within 30 s")


# ---------------------------------------------------------------- the Auth Token put away


def test_forget_auth_token_removes_it_on_purpose_and_the_key_checks_still_work(flow):
    f = flow()
    backups = set(f.rb.store.backups())
    result = hand_off(f.rb, SG_MOBILE, wait_seconds=10, forget_auth_token=True)
    assert result.token_removal is not None and result.token_removal.removed
    env = f.rb.store.path
    assert AUTH_TOKEN not in env.read_text() and stat.S_IMODE(os.stat(env).st_mode) == 0o600
    assert set(f.rb.store.backups()) == backups  # a deliberate act: no copy kept
    values = f.rb.store.values()
    assert values[API_KEY_SID] == f.api_key_sid and values[API_KEY_SECRET] == f.api_secret
    (event,) = f.rb.progress.events(AuthTokenRemoved)
    assert event.account_sid == f.account_sid and event.env_file == str(env)
    removal = handoff_panel(result).panels[-1]
    text = str(handoff_panel(result))
    assert removal.kind == "ok" and dict(removal.rows)[AUTH_TOKEN] == "removed"
    assert result.token_removal.from_copies == () == result.token_removal.deleted_copies
    assert "holds no Auth Token" in result.report_path.read_text()

    again = hand_off(f.rb, SG_MOBILE, wait_seconds=10)  # 06 needs only the key
    assert again.postman_check == "passed"
    key_only = hand_off(f.rb, "", wait_seconds=10)
    assert key_only.postman_check == "not run" and f.rb.store.get(AUTH_TOKEN) is None
    twice = hand_off(f.rb, "", wait_seconds=10, forget_auth_token=True)
    assert twice.token_removal is not None and not twice.token_removal.removed
    assert leaks([f.auth_token], [f.rb.settings.state_dir], [text]) == []


def test_forget_auth_token_must_be_true_or_false_and_a_failed_check_keeps_the_token(flow):
    f = flow()
    with pytest.raises(InputError, match="forget_auth_token"):
        hand_off(f.rb, "", forget_auth_token="True")
    set_account(f.url, f.account_sid, filtered_sender_ids=["GOVTECH"])
    with pytest.raises(TwilioActionError):
        hand_off(f.rb, SG_MOBILE, wait_seconds=10, forget_auth_token=True)
    assert f.rb.store.get(AUTH_TOKEN) == f.auth_token  # the check failed: nothing put away


def test_the_card_recommends_putting_the_token_away_and_the_form_button_does_it(flow):
    f = flow()
    result = hand_off(f.rb, "", wait_seconds=10)
    check = form(f.rb, wait_seconds=10)
    note = keep_or_remove_note(f.rb)
    assert note in result.notes and AUTH_TOKEN in note
    # The note names the form's button and the headless parameter, as they are.
    assert f"'{check.remove_token.description}'" in note and "-p forget_auth_token True" in note
    live = Runbook(replace(f.rb.settings, mode="live", env_file=f.rb.settings.env_file))
    assert keep_or_remove_note(live) == f"Recommended: {note}"
    check.remove_token.click()
    shown = [o["data"]["text/plain"] for o in check.token_output.outputs]
    assert shown[-1].startswith("[✔]") and f.rb.store.get(AUTH_TOKEN) is None
    check.remove_token.click()
    shown = [o["data"]["text/plain"] for o in check.token_output.outputs]
    assert "nothing to remove" in shown[-1]
    assert leaks([f.auth_token], [f.rb.settings.state_dir], shown) == []
