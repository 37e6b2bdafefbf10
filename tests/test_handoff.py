"""Step 06 against the sandbox: Postman's own call, the card, the run report, the secret reveal."""

from __future__ import annotations

import os
import stat
import time

import pytest

from onboarding_helpers.credentials import API_KEY_SECRET, API_KEY_SID
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import HandoffRecord
from onboarding_helpers.report import build_report, handoff_summary, scrub
from onboarding_helpers.sandbox import request_log, set_account, snapshot
from onboarding_helpers.steps.handoff import (
    LABEL_RULE,
    STEP,
    form,
    hand_off,
    suggest_label,
    validate_label,
)
from onboarding_helpers.steps.handoff import panel as handoff_panel

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
        "Credential label", "Account SID", "API Key SID", "API Secret", "Messaging Service ID",
    ]  # fmt: skip
    assert card.api_secret_masked == "••••" + f.api_secret[-4:]
    assert card.label == "postman-sms" and LABEL_RULE.match(card.label)
    text = str(handoff_panel(result))
    html = handoff_panel(result)._repr_html_()
    assert "Postman-equivalent check passed" in text and str(result.report_path) in text
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
    assert err.code == 30007 and "Postman would accept and save these values" in err.message
    assert "SGNIC" in err.advice and "another agency" in err.advice


def test_trial_account_is_refused_with_postmans_view(flow):
    f = flow(account_type="Trial")
    with pytest.raises(TwilioActionError) as caught:
        hand_off(f.rb, SG_MOBILE, wait_seconds=1)
    assert caught.value.code == 21608 and "Postman's own check would fail" in caught.value.message
    assert "Upgrade billing" in caught.value.advice


def test_foreign_number_without_branch_refused_before_sending(flow):
    f = flow()
    with pytest.raises(InputError, match="21612"):
        hand_off(f.rb, "+447911123456", wait_seconds=1)
    assert snapshot(f.url, f.account_sid)["messages"] == []
    assert f.rb.progress.read(STEP) == HandoffRecord()


def test_missing_values_block_naming_the_steps(flow):
    f = flow()
    f.rb.store.remove(API_KEY_SID, API_KEY_SECRET)
    with pytest.raises(StepBlocked) as caught:
        hand_off(f.rb, SG_MOBILE)
    assert "API Key SID, API Secret missing" in caught.value.message
    assert "02_api_key" in caught.value.advice


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
    assert check.children == (check.notice, phone, label, button, output, reveal, view)
    assert label.value == "postman-sms" and view.value == ""
    phone.value = SG_MOBILE
    button.click()
    shown = [o["data"]["text/plain"] for o in output.outputs]
    assert "Postman-equivalent check passed" in shown[-1]
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
