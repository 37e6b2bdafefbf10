"""Step 08, the health check of a set-up in use, against the sandbox: read-only (GET requests
only, no Auth Token), counts equal to Twilio's own Messages list, a Restricted key's missing
permissions named, each error code explained, bad values named, nothing secret and no full phone
number in what it writes."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from onboarding_helpers.credentials import (
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
)
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import HandoffRecord, HealthRecord
from onboarding_helpers.report import build_report
from onboarding_helpers.sandbox import request_log, set_account
from onboarding_helpers.steps.api_key import set_up_api_key
from onboarding_helpers.steps.health_check import (
    STEP,
    check_days,
    form,
    health_check,
    panel,
)
from onboarding_helpers.steps.registry import HANDOFF, MESSAGING_SERVICE
from onboarding_helpers.twilio_errors import CAMPAIGN_ADVICE
from onboarding_helpers.twilio_gateway import make_client

from .fixtures_flow import Flow, flow_fixture, prepare_flow  # noqa: F401
from .presses import press
from .secret_audit import files_under, leaks

MIX = {"delivered": 2400, "sent": 30, "30003": 120, "30005": 60, "30007": 90, "30008": 40}
FULL_NUMBER = re.compile(r"\+\d{8,15}")


def _history(flow: Flow, mix: dict[str, int], **spec) -> None:
    spec = {"service_sid": flow.service_sid, "days": 6, "seed": 11, "mix": mix, **spec}
    set_account(flow.url, flow.account_sid, message_history=json.dumps(spec))


def _requests(flow: Flow) -> list[dict]:
    """The requests step 08 made (its user agent names it)."""
    log = request_log(flow.url, flow.account_sid)
    return [r for r in log if f"step/{STEP.id}" in (r["user_agent"] or "")]


def _by_name(result) -> dict:
    return {c.name: c for c in result.checks}


def _widget_states(widget) -> str:
    """Every synced trait of a widget and of the widgets inside it, as text."""
    children = getattr(widget, "children", ())
    return json.dumps(widget.get_state(), default=str) + "".join(map(_widget_states, children))


def _away(flow: Flow) -> None:
    flow.rb.store.remove(AUTH_TOKEN)
    assert AUTH_TOKEN not in flow.rb.store.values()


def test_a_healthy_account_passes_without_the_auth_token_with_get_requests_only(flow):
    f = flow()
    _away(f)
    _history(f, {"delivered": 40})
    result = health_check(f.rb)
    assert result.worst == "ok", [c for c in result.checks if not c.ok]
    assert {c.name for c in result.checks} >= {"API key", "Sender ID", "Balance", "Messages"}
    sent = _requests(f)
    assert sent and {r["method"] for r in sent} == {"GET"}
    assert {r["auth_kind"] for r in sent} == {"api_key"}
    data = json.loads(Path(result.health_file).read_text(encoding="utf-8"))
    assert data["window_days"] == 7 and data["messages"]["total"] == 40
    assert data["messages"]["by_status"] == {"delivered": 40} and data["messages"]["by_error"] == {}
    assert all({"name", "ok", "advice"} <= set(c) for c in data["checks"])
    record: HealthRecord = f.rb.progress.read(STEP)
    assert (record.status, record.worst, record.messages) == ("done", "ok", 40)
    report = build_report(f.rb)
    assert "## Health check" in report and "health-" in report


def test_the_counts_equal_twilios_own_list_for_the_same_window(flow):
    f = flow(step_seconds=0)
    _history(f, {**MIX, "21610": 50}, countries={"SG": 90, "MY": 6, "GB": 4})
    _history(f, {"delivered": 300, "30003": 20}, days=20, seed=12)  # partly before the window
    client = f.client()
    other = client.messaging.v1.services.create(friendly_name="Another team")
    client.messaging.v1.services(other.sid).alpha_senders.create(alpha_sender="OTHERID")
    set_account(
        f.url,
        f.account_sid,
        message_history=json.dumps({"service_sid": other.sid, "mix": {"delivered": 70}}),
    )
    for to in ("+6591230003", "+6591234567"):  # today's, through the service
        client.messages.create(to=to, messaging_service_sid=f.service_sid, body="today")
    pages = []
    result = health_check(f.rb, days=7, on_page=pages.append)

    listed = [
        m
        for m in client.messages.stream(
            date_sent_after=result.since, date_sent_before=result.until, page_size=1000
        )
        if m.messaging_service_sid == f.service_sid
    ]
    data = json.loads(Path(result.health_file).read_text(encoding="utf-8"))["messages"]
    assert data["total"] == len(listed) > 2500
    assert data["by_status"] == dict(Counter(m.status for m in listed))
    assert data["by_error"] == dict(Counter(str(m.error_code) for m in listed if m.error_code))
    assert data["other_services"] == 70
    # Read page by page (1000 a page), a progress line each, following Twilio's next page.
    lists = [r for r in _requests(f) if r["path"].endswith("/Messages.json")]
    read = data["total"] + data["other_services"]
    assert len(lists) == len(pages) == data["list_pages"] == -(-read // 1000) >= 3
    assert all("PageSize=1000" in r["query"] for r in lists)
    assert all("PageToken=" in r["query"] for r in lists[1:])
    assert pages[-1].read == read


def test_each_error_code_is_explained_in_postmans_terms(flow):
    f = flow()
    _history(f, {**MIX, "21610": 25}, senders={"30007": "GOVSG"})
    checks = _by_name(health_check(f.rb))
    for code, count in ((21610, 25), (30003, 120), (30005, 60)):
        severity, cause, advice = CAMPAIGN_ADVICE[code]  # Twilio's cause, the fix in Postman
        line = checks[f"Error {code}"]
        assert line.status == severity and line.summary.startswith(f"{count} messages")
        assert cause in line.summary and line.advice.startswith(advice)
        assert line.advice.endswith(f"/errors/{code})")  # Twilio's page for the code
    # The words are the feature here: the documented cause, and what to do about it.
    assert "replied STOP" in checks["Error 21610"].summary
    assert "Postman" in checks["Error 21610"].advice
    assert "switched off" in checks["Error 30003"].summary
    assert "Remove or correct" in checks["Error 30005"].advice
    blocked = checks["Error 30007"]
    assert blocked.status == "fail" and "went out as 'GOVSG'" in blocked.summary
    assert f"'{f.sender_id}'" in blocked.advice and "'GOVSG'" in blocked.advice  # now vs then
    assert "registered with SGNIC" in blocked.advice
    assert checks["Error 30008"].status == "warn"
    assert checks["Delivery rate"].status in ("warn", "fail")
    names = [c.name for c in health_check(f.rb).checks if c.name.startswith("Error")]
    assert names[0] == "Error 30007"  # what stops every message comes first


def test_a_restricted_key_missing_a_permission_is_named(flow):
    f = flow()
    _away(f)
    client = f.client()
    narrow = {
        "allow": [
            "/twilio/messaging/messages/create",
            "/twilio/messaging/services/read",
            "/twilio/messaging/services.phonenumbers/list",
            "/twilio/messaging/messages/list",
        ]
    }
    key = client.iam.v1.new_api_key.create(
        account_sid=f.account_sid, friendly_name="console", key_type="restricted", policy=narrow
    )
    _history(f, {"delivered": 10})
    result = health_check(f.rb, api_key_sid=key.sid, api_secret=key.secret)
    checks = _by_name(result)
    assert result.key_type == "restricted"
    permissions = checks["Key permissions"]
    assert permissions.status == "warn"
    assert "/twilio/messaging/services.alphasenders/list" in permissions.summary
    assert "/twilio/messaging/messages/list" not in permissions.summary
    assert checks["Sender ID"].status == "warn"  # not readable, so not judged
    assert checks["Postman's send"].status == "warn"  # cannot be tried read-only
    assert checks["Messages"].summary.startswith("10 messages")
    assert result.typed == ("API key SID", "API secret")
    assert f.rb.store.values()["TWILIO_API_KEY_SID"] == f.api_key_sid  # nothing saved


def test_the_runbooks_own_restricted_key_cannot_read_the_log_and_says_why(flow):
    f = flow()
    f.rb.store.remove(API_KEY_SID, API_KEY_SECRET)  # step 02 makes a Restricted one instead
    made = set_up_api_key(f.rb, api_key_type="restricted")
    assert made.key_type == "restricted" and made.key_sid != f.api_key_sid
    _away(f)
    result = health_check(f.rb)
    checks = _by_name(result)
    assert result.counts is None and "Message log" in checks
    assert "/twilio/messaging/messages/list" in checks["Key permissions"].summary
    assert "on purpose" in checks["Key permissions"].summary
    assert "journal" in checks["API key"].summary
    assert checks["Postman's send"].status == "warn"  # a read-only check cannot send
    data = json.loads(Path(result.health_file).read_text(encoding="utf-8"))
    assert data["messages"] == {"read": False, "total": None, "by_status": {}, "by_error": {}}
    # Once step 06's Postman-equivalent send passed with this very key, that is the proof.
    passed = HandoffRecord(status="done", api_key_sid=made.key_sid, postman_check="passed")
    f.rb.progress.save(HANDOFF, passed)
    proven = _by_name(health_check(f.rb))["Postman's send"]
    assert proven.status == "ok" and "step 06" in proven.summary


@pytest.mark.parametrize(
    "change, field",
    [
        ({"api_secret": "x" * 32}, "Account SID / API key SID / API secret"),
        ({"messaging_service_sid": "MG" + "0" * 32}, "Messaging Service SID"),
    ],
)
def test_values_twilio_does_not_accept_fail_the_step_naming_the_value(flow, change, field):
    f = flow()
    with pytest.raises(TwilioActionError) as failed:
        health_check(f.rb, **change)
    assert failed.value.field == field
    assert f.rb.progress.read(STEP).status == "failed"
    assert {r["method"] for r in _requests(f)} == {"GET"}


def test_a_suspended_account_stops_the_check_with_the_balance_advice(flow):
    f = flow()
    set_account(f.url, f.account_sid, status="suspended")
    with pytest.raises(StepBlocked, match="not active") as blocked:
        health_check(f.rb)
    assert blocked.value.field == "Account SID" and "add funds" in blocked.value.advice


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"account_sid": "AC123"}, "Account SID"),
        ({"api_secret": "short"}, "API secret"),
        ({"days": 0}, "days"),
        ({"days": "a week"}, "days"),
        ({"low_balance": -1}, "low_balance"),
    ],
)
def test_bad_input_is_named_and_nothing_is_sent(flow, kwargs, field):
    f = flow()
    with pytest.raises(InputError) as bad:
        health_check(f.rb, **kwargs)
    assert bad.value.field == field
    assert _requests(f) == [] and not f.rb.progress.read(STEP).status


def test_a_missing_value_names_the_field_and_where_it_comes_from(flow):
    f = flow()
    f.rb.store.remove(MESSAGING_SERVICE_SID)
    with pytest.raises(InputError) as missing:
        health_check(f.rb)
    err = missing.value
    assert err.field == "Messaging Service SID" and str(f.rb.store.path) in err.problem
    assert err.field in err.fix and MESSAGING_SERVICE.id in err.fix  # the form's field, or step 04


def test_days_take_numbers_up_to_400():
    assert check_days(7) == 7 and check_days("14") == 14 and check_days(0.5) == 0.5
    assert check_days("") == 7
    for bad in (401, -1, float("nan"), True, None):
        with pytest.raises(InputError):
            check_days(bad)


def test_nothing_it_writes_holds_a_secret_or_a_full_phone_number(flow):
    f = flow()
    _history(f, {**MIX, "21610": 20}, countries={"SG": 8, "MY": 1, "US": 1})
    f.client().messages.create(to="+6598765432", messaging_service_sid=f.service_sid, body="x")
    result = health_check(f.rb, api_secret=f.api_secret)
    written = files_under(f.rb.settings.state_dir)
    assert Path(result.health_file) in written and Path(result.report_path) in written
    assert leaks(f.secrets, [f.rb.settings.state_dir], [str(panel(result))]) == []
    for path in written:
        found = FULL_NUMBER.findall(path.read_text(encoding="utf-8"))
        assert found == [], (path, found[:3])
    assert FULL_NUMBER.findall(str(panel(result))) == []


def test_the_form_takes_typed_values_for_one_check_and_keeps_the_secret_out_of_widgets(flow):
    f = flow()
    _away(f)
    _history(f, {"delivered": 5}, days=2)
    shown = form(f.rb, days=3)
    assert shown.api_key_sid.value == f.api_key_sid  # the env file's, to check or overwrite
    press(shown.action, "check", api_secret=f.api_secret)
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for o in shown.output.outputs)
    record = f.rb.progress.read(STEP)
    assert (record.messages, record.window_days) == (5, 3)
    assert "Health check" in text and "5 messages" in text
    assert "page 1 read" in shown.progress.value
    assert f.api_secret not in _widget_states(shown)
    assert f.rb.progress.read(STEP).done


@pytest.mark.notebook
def test_notebook_08_runs_headless_after_forget_auth_token(workspace):
    """``run --only 08`` on a set-up whose env file holds no Auth Token: the notebook reads the
    log a page at a time and passes; its output and files hold no secret."""
    from onboarding_helpers.sandbox import SandboxServer

    workspace.sandbox_dir.mkdir()
    with SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3") as server:
        f = prepare_flow(server.url, workspace.env_file, workspace.state_dir)
        _away(f)
        _history(f, {"delivered": 1200, "30003": 12}, days=2)
    done = workspace.cli("--only", "08", "-p", "days", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Message log: page 2 read" in done.stdout
    assert "Health check of" in done.stdout and "Findings:" in done.stdout
    record: HealthRecord = f.rb.progress.read(STEP)
    assert record.done and record.window_days == 3 and record.messages == 1212
    notebook = (workspace.out_dir / f"{STEP.id}.ipynb").read_text(encoding="utf-8")
    assert "Health check:" in notebook and "Error 30003" in notebook
    assert leaks(f.secrets, [workspace.out_dir, workspace.state_dir], [done.stdout]) == []


def _board(sandbox) -> dict:
    """Each practice account's last health check, as the trainer's board reads it."""
    from onboarding_helpers.sandbox.board import cohort_progress

    from .test_board import sandbox_file

    with sandbox_file(sandbox.db_path) as conn:
        return {p.account_sid: p.health for p in cohort_progress(conn)}


def test_the_trainers_board_shows_each_trainees_last_health_check(flow, sandbox):
    f = flow()
    assert _board(sandbox)[f.account_sid] is None  # no check yet
    _history(f, {"delivered": 90, "30007": 7, "21610": 3})
    other = f.client().messaging.v1.services.create(friendly_name="Another team")
    spec = {"service_sid": other.sid, "days": 2, "mix": {"delivered": 50}}
    set_account(f.url, f.account_sid, message_history=json.dumps(spec))
    f.client().messages.list(limit=5)  # the Auth Token reading the log is not a health check
    keyed = make_client(
        f.account_sid, api_key_sid=f.api_key_sid, api_secret=f.api_secret, base_url=f.url
    )
    keyed.messages.list(to="+6581234567", limit=1)  # nor a key looking one message up
    assert _board(sandbox)[f.account_sid] is None
    result = health_check(f.rb)
    seen = _board(sandbox)[f.account_sid]
    assert (seen.service_sid, seen.messages, seen.delivered) == (f.service_sid, 100, 90)
    assert seen.by_error == ((30007, 7), (21610, 3)) and not seen.refused
    assert seen.messages == result.counts.total

    f.rb.store.remove(API_KEY_SID, API_KEY_SECRET)
    set_up_api_key(f.rb, api_key_type="restricted")
    health_check(f.rb)  # the runbook's Restricted key may not read the log
    refused = _board(sandbox)[f.account_sid]
    assert refused.refused and refused.messages == 0 and refused.service_sid == f.service_sid


def test_the_boards_page_shows_the_health_check_column(flow, sandbox):
    from onboarding_helpers.sandbox.board import board_section, cohort_progress

    from .test_board import sandbox_file

    f = flow()
    _history(f, {"delivered": 1900, "30007": 70, "21610": 30})
    health_check(f.rb)
    with sandbox_file(sandbox.db_path) as conn:
        page = board_section(cohort_progress(conn))
    assert "<th>Health check" in page  # the column
    assert "2,000 messages, 95% delivered" in page
    assert "30007</a> × 70" in page and "21610</a> × 30" in page
    assert FULL_NUMBER.findall(page) == []
