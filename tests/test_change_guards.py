"""The guards behind change plans, in one process against a sandbox: a plan's client sends GET
only; an applied plan's clients send its changes, once each, and nothing else; a plan that the
account outgrew says what changed; and the step previews decide as the steps do."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import time
from pathlib import Path

import pytest

from onboarding_helpers.change_plan.apply import PlanGuard, load_plan, stale_reasons
from onboarding_helpers.change_plan.document import write_plan
from onboarding_helpers.change_plan.make import make_plan
from onboarding_helpers.change_plan.model import Action
from onboarding_helpers.change_plan.panel import form_preview, plan_panel
from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN
from onboarding_helpers.errors import InputError
from onboarding_helpers.journal import AccountRecord, ServiceReused
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import provision_account, request_log, set_account
from onboarding_helpers.steps import registry
from onboarding_helpers.steps.messaging_service import set_up_messaging_service
from onboarding_helpers.twilio_gateway import READ_ONLY, ChangeRefused, change_of, make_client

from .conftest import ROOT
from .fixtures_flow import flow_fixture  # noqa: F401
from .presses import press

NOTEBOOKS = ROOT / "notebooks"
FULL_RUN = [s for s in registry.STEPS if not s.optional]


def fresh_runbook(root: Path, url: str, mode: str = "sandbox") -> Runbook:
    """An account with nothing set up, its SID and Auth Token in the env file."""
    rb = Runbook(Settings(mode, root / "creds" / ".env", root / "state", root / "sb", url))
    account = provision_account(url, friendly_name="Ministry of Examples")
    rb.store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})
    return rb


def methods_since(rb: Runbook, mark: int) -> set[str]:
    return {r["method"] for r in request_log(rb.base_url)[mark:]}


# ---------------------------------------------------------------- the gateway's guards


def test_a_read_only_client_refuses_a_change_before_it_is_sent(tmp_path, sandbox):
    rb = fresh_runbook(tmp_path, sandbox.url)
    account_sid, token = rb.saved_account()
    client = make_client(account_sid, auth_token=token, base_url=sandbox.url, guard=READ_ONLY)
    mark = len(request_log(sandbox.url))
    assert client.messaging.v1.services.list() == []  # a GET goes out
    with pytest.raises(ChangeRefused) as caught:
        client.messaging.v1.services.create(friendly_name="Postman SMS")
    assert "POST /v1/Services" in str(caught.value) and "messaging_service" in str(caught.value)
    assert [r["method"] for r in request_log(sandbox.url)[mark:]] == ["GET"]


def test_every_change_a_step_makes_has_a_name():
    base = "https://api.twilio.com/2010-04-01/Accounts/AC" + "1" * 32
    service = "https://messaging.twilio.com/v1/Services/MG" + "3" * 32
    named = {
        ("POST", f"{base}/Keys.json"): ("create", "api_key"),
        ("POST", "https://iam.twilio.com/v1/Keys"): ("create", "api_key"),
        ("DELETE", "https://iam.twilio.com/v1/Keys/SK" + "2" * 32): ("revoke", "api_key"),
        ("POST", "https://messaging.twilio.com/v1/Services"): ("create", "messaging_service"),
        ("POST", f"{service}/AlphaSenders"): ("add", "alpha_sender"),
        ("POST", f"{service}/PhoneNumbers"): ("add", "service_number"),
        ("POST", f"{base}/IncomingPhoneNumbers.json"): ("buy", "phone_number"),
        ("POST", f"{base}/Messages.json"): ("send", "message"),
        ("POST", "https://messaging.twilio.com/v1/Services/MG1/Friendly"): ("other", ""),
    }
    for (method, url), expected in named.items():
        change = change_of(method, url)
        assert change is not None and (change.action, change.kind) == expected, url
    assert change_of("GET", f"{base}/Keys.json") is None


def _approved(tmp_path: Path, actions: list[Action]):
    plan = make_stub_plan(actions)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.to_json()), encoding="utf-8")
    return load_plan(str(path))


def make_stub_plan(actions: list[Action]):
    from onboarding_helpers.change_plan.model import ChangePlan

    return ChangePlan(
        "20240101T000000Z", "sandbox", "", "AC", "", "", "", (), {}, tuple(actions), {}
    )


def test_an_applied_plan_lets_each_approved_change_through_once(tmp_path):
    step = registry.MESSAGING_SERVICE.id
    approved = _approved(tmp_path, [Action(step, "create", "messaging_service", "Postman SMS")])
    guard = PlanGuard(approved, ProgressRecord(tmp_path / "state"))
    url = "https://messaging.twilio.com/v1/Services"
    assert guard.admit(step, "GET", url) is None
    with pytest.raises(ChangeRefused, match="holds no such change"):
        guard.admit(registry.API_KEY.id, "POST", url)  # another step's change: not approved
    ticket = guard.admit(step, "POST", url)
    guard.settle(ticket, 400)  # Twilio refused it: it did not act, so it may be tried again
    ticket = guard.admit(step, "POST", url)
    guard.settle(ticket, None)  # the answer was lost: one more try, after the step looked
    ticket = guard.admit(step, "POST", url)
    guard.settle(ticket, 201)
    with pytest.raises(ChangeRefused):
        guard.admit(step, "POST", url)  # made: a second one is not in the plan
    with pytest.raises(ChangeRefused):
        guard.admit(step, "POST", url + "/MG" + "1" * 32 + "/AlphaSenders")


def test_a_step_applying_a_plan_cannot_make_what_the_plan_did_not_approve(tmp_path, sandbox):
    rb = fresh_runbook(tmp_path, sandbox.url)
    approved = _approved(tmp_path, [])  # a plan of no change
    settings = dataclasses.replace(
        rb.settings, plan=str(approved.path), plan_sha256=approved.sha256
    )
    applying = Runbook(settings)
    mark = len(request_log(sandbox.url))
    with pytest.raises(ChangeRefused) as refused:
        set_up_messaging_service(applying, "GOVTECH")
    assert "POST /v1/Services" in refused.value.message  # the request, and the plan it is not in
    assert str(approved.path) in refused.value.message
    assert methods_since(rb, mark) == {"GET"}
    tampered = dataclasses.replace(settings, plan_sha256="0" * 64)
    with pytest.raises(InputError) as changed:
        Runbook(tampered)
    assert changed.value.field == "--apply" and str(approved.path) in changed.value.problem


# ---------------------------------------------------------------- plans, previews, staleness


def test_a_plan_reads_only_and_the_run_then_decides_the_same(tmp_path, sandbox):
    rb = fresh_runbook(tmp_path, sandbox.url)
    rb.progress.save(registry.ACCOUNT, AccountRecord(status="done", friendly_name="Ministry"))
    before = (rb.store.path.read_bytes(), rb.progress.progress_path.read_bytes())
    mark = len(request_log(sandbox.url))
    plan = make_plan(rb.settings, [registry.MESSAGING_SERVICE], {"sender_id": "GOVTECH"}, NOTEBOOKS)
    assert methods_since(rb, mark) == {"GET"}
    assert (rb.store.path.read_bytes(), rb.progress.progress_path.read_bytes()) == before
    assert not rb.progress.journal_path.exists()
    made = [(a.action, a.kind, a.name) for a in plan.changing()]
    assert made == [
        ("create", "messaging_service", "Postman SMS"),
        ("add", "alpha_sender", "GOVTECH"),
    ]
    result = set_up_messaging_service(rb, "GOVTECH")  # the run: what the plan said
    assert result.created_service and result.created_alpha_sender
    again = make_plan(
        rb.settings, [registry.MESSAGING_SERVICE], {"sender_id": "GOVTECH"}, NOTEBOOKS
    )
    assert [(a.action, a.kind) for a in again.actions] == [
        ("reuse", "messaging_service"),
        ("reuse", "alpha_sender"),
    ]
    assert stale_reasons(again, again) == []
    assert "Messaging Services: removed" in " ".join(stale_reasons(again, plan))


def test_a_plan_stops_where_the_run_would_and_cannot_be_applied(tmp_path, sandbox):
    rb = fresh_runbook(tmp_path, sandbox.url)
    set_account(sandbox.url, rb.store.get(ACCOUNT_SID), type="Trial")
    plan = make_plan(rb.settings, FULL_RUN, {}, NOTEBOOKS)
    assert plan.stop.startswith(registry.ACCOUNT.id) and "Trial account" in plan.stop
    assert [a.step for a in plan.actions][-1] == registry.ACCOUNT.id  # nothing planned after
    json_path, md_path, _ = write_plan(plan, rb.settings.state_dir, rb.store.secrets())
    assert plan.stop in md_path.read_text(encoding="utf-8")
    approved = load_plan(str(json_path))
    with pytest.raises(InputError) as refused:
        approved.begin(rb.settings, NOTEBOOKS, print)
    assert refused.value.field == "--apply" and registry.ACCOUNT.id in refused.value.problem


def test_a_balance_too_low_for_the_billed_sends_refuses_the_plan(tmp_path, sandbox):
    rb = fresh_runbook(tmp_path, sandbox.url)
    given = {"test_phone": "+6581234567"}
    plan = make_plan(rb.settings, FULL_RUN, given, NOTEBOOKS)
    assert str(plan.billed_total()) == "0.0830"
    set_account(sandbox.url, rb.store.get(ACCOUNT_SID), balance="0.05")
    now = make_plan(rb.settings, FULL_RUN, given, NOTEBOOKS)
    (reason,) = stale_reasons(plan, now)
    assert "USD 0.05" in reason and "USD 0.0830" in reason  # the balance, and what the plan costs


def test_buying_a_number_is_planned_only_once_confirmed(tmp_path, sandbox):
    rb = fresh_runbook(tmp_path, sandbox.url)
    steps = [registry.PHONE_NUMBER, registry.MESSAGING_SERVICE]
    asked = {"buy_phone_number": True, "sender_id": "GOVTECH"}
    unconfirmed = make_plan(rb.settings, steps, asked, NOTEBOOKS)
    assert "confirm_purchase" in unconfirmed.stop and not unconfirmed.changing()
    plan = make_plan(rb.settings, steps, {**asked, "confirm_purchase": True}, NOTEBOOKS)
    made = [(a.step[:3], a.action, a.kind, a.billed) for a in plan.changing()]
    assert made == [
        ("04a", "buy", "phone_number", "1.15"),
        ("04a", "create", "messaging_service", ""),
        ("04a", "add", "service_number", ""),
        ("04_", "add", "alpha_sender", ""),  # 04 reuses 04a's service and its pool
    ]


def test_step_00_shows_the_plan_of_a_live_account_reading_only(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("ONBOARDING_ALLOW_INSECURE_BASE_URL", "1")
    rb = fresh_runbook(tmp_path, sandbox.url, mode="live")
    mark = len(request_log(sandbox.url))
    shown = plan_panel(rb)
    assert methods_since(rb, mark) == {"GET"}
    rows = [(row[0], row[1]) for row in shown.rows]
    assert (registry.API_KEY.number, "create api_key") in rows
    assert not any(action == "create messaging_service" for _, action in rows)
    # Live: no Sender ID given yet, so the plan stops at step 04 and says so first.
    assert shown.kind == "warn" and registry.MESSAGING_SERVICE.id in shown.notes[0]
    line = form_preview(rb, registry.API_KEY, {"api_key_name": "Postman key"})
    assert line == "Pressing it would: create api key 'Postman key'"


def test_a_set_up_account_previews_reuse_beside_each_button(flow):
    ready = flow()
    for step in (registry.API_KEY, registry.MESSAGING_SERVICE):
        line = form_preview(ready.rb, step, {})
        assert line.startswith("Pressing it would: reuse") and "create" not in line, line


def test_a_sandbox_plan_makes_the_same_requests_as_a_live_one(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("ONBOARDING_ALLOW_INSECURE_BASE_URL", "1")
    given = {"sender_id": "GOVTECH", "test_phone": "+6581234567"}
    seen = []
    for mode in ("sandbox", "live"):
        rb = fresh_runbook(tmp_path / mode, sandbox.url, mode=mode)
        mark = len(request_log(sandbox.url))
        plan = make_plan(rb.settings, FULL_RUN, given, NOTEBOOKS)
        rows = request_log(sandbox.url)[mark:]
        shape = [(r["method"], re.sub(r"(AC|MG|SK)\w{32}", r"\1…", r["path"])) for r in rows]
        seen.append((shape, [(a.step, a.action, a.kind) for a in plan.actions]))
    assert seen[0][0] and seen[0][0] == seen[1][0]
    assert seen[0][1][1:] == seen[1][1][1:]  # step 00 differs only in what it says


# ---------------------------------------------------------------- beside each form's button


def _settled(preview, changed_from: str, seconds: float = 10.0) -> str:
    """The preview's text once its pause after a change has passed and it asked again."""
    deadline = time.monotonic() + seconds
    while preview.value == changed_from and time.monotonic() < deadline:
        time.sleep(0.05)
    return preview.value


def test_the_api_key_form_says_what_its_button_would_do(tmp_path, sandbox, monkeypatch):
    from onboarding_helpers.steps.api_key import form

    rb = fresh_runbook(tmp_path, sandbox.url)
    # A folder of notebook copies, as Voila and the class hub serve: the form needs none.
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    mark = len(request_log(sandbox.url))
    shown = form(rb, "Postman key")
    assert methods_since(rb, mark) <= {"GET"}  # drawing the form changes nothing
    values = {"api_key_name": "Postman key"}
    before = form_preview(rb, registry.API_KEY, values)  # the line step 00 and the plan share
    assert before.startswith("Pressing it would: create")
    assert html.escape(before) in shown.preview.value
    press(shown.action, "go")
    after = form_preview(rb, registry.API_KEY, values)
    assert after.startswith("Pressing it would: reuse")
    assert html.escape(after) in shown.preview.value
    shown.source.value = "console"  # the console way checks the key typed: nothing to foresee
    assert shown.preview.layout.display == "none"


def test_the_service_form_follows_what_the_officer_types(tmp_path, sandbox, monkeypatch):
    from onboarding_helpers.change_plan import widget
    from onboarding_helpers.steps.messaging_service import form

    monkeypatch.setattr(widget, "PAUSE", 0.05)
    rb = fresh_runbook(tmp_path, sandbox.url)
    shown = form(rb, "GOVTECH")
    before = shown.preview.value
    assert "create messaging service &#x27;Postman SMS&#x27;" in before
    assert "add alpha sender &#x27;GOVTECH&#x27;" in before and "role='status'" in before
    shown.sender_id.value = "MYAGENCY"
    assert "add alpha sender &#x27;MYAGENCY&#x27;" in _settled(shown.preview, before)


def test_a_press_asks_twilio_once_not_again_after_the_pause(tmp_path, sandbox, monkeypatch):
    """A field changed just before a press: the press's own reading replaces the one waiting
    for its pause, so no reading reaches Twilio later, after the form has moved on."""
    from onboarding_helpers.change_plan import widget
    from onboarding_helpers.steps.messaging_service import form

    monkeypatch.setattr(widget, "PAUSE", 0.2)
    rb = fresh_runbook(tmp_path, sandbox.url)
    shown = form(rb, "GOVTECH")
    shown.sender_id.value = "MYAGENCY"
    shown.preview.refresh()  # what each form's press does once it has acted
    mark = len(request_log(sandbox.url))
    time.sleep(0.6)
    assert request_log(sandbox.url)[mark:] == []
    assert "add alpha sender &#x27;MYAGENCY&#x27;" in shown.preview.value


def test_the_number_form_says_nothing_is_bought_until_the_tick(tmp_path, sandbox, monkeypatch):
    from onboarding_helpers.change_plan import widget
    from onboarding_helpers.steps.phone_number import form

    monkeypatch.setattr(widget, "PAUSE", 0.05)
    rb = fresh_runbook(tmp_path, sandbox.url)
    shown = form(rb)
    before = shown.preview.value
    assert "would stop" in before and "Nothing was bought" in before
    shown.confirm_purchase.value = True
    after = _settled(shown.preview, before)
    assert "buy phone number" in after and "(billed USD 1.15)" in after
    assert "create messaging service" in after and "add service number" in after


def test_the_rotation_form_says_which_phase_its_button_takes(flow, monkeypatch):
    from onboarding_helpers.change_plan import widget
    from onboarding_helpers.steps.rotate_key import form

    monkeypatch.setattr(widget, "PAUSE", 0.05)
    ready = flow()
    shown = form(ready.rb)
    before = shown.preview.value
    assert "create api key" in before and "(rotated)" in before
    shown.postman_updated.value = True
    assert "postman_updated" in _settled(shown.preview, before)  # no rotation waiting: refused


def test_a_plan_that_tries_to_write_fails_instead_of_showing_a_stop(tmp_path, sandbox, monkeypatch):
    from onboarding_helpers.change_plan.survey import WriteRefused
    from onboarding_helpers.steps.messaging_service import preview as service_preview

    rb = fresh_runbook(tmp_path, sandbox.url)

    def journals(survey, values):  # a preview that would journal, as a step does
        survey.rb.progress.log(registry.MESSAGING_SERVICE, ServiceReused(service_sid="MG1"))

    monkeypatch.setattr(service_preview, "preview", journals)
    with pytest.raises(WriteRefused, match="journal"):
        make_plan(rb.settings, [registry.MESSAGING_SERVICE], {}, NOTEBOOKS)
    assert not rb.progress.journal_path.exists()


def test_a_message_abroad_is_billed_at_a_price_the_plan_says_it_does_not_know(flow):
    ready = flow()
    plan = make_plan(
        ready.rb.settings, [registry.TEST_MESSAGE], {"test_phone": "+60123456789"}, NOTEBOOKS
    )
    (send,) = plan.changing()
    assert (send.action, send.kind, send.billed) == ("send", "message", "unknown")
    assert plan.unknown_prices() and str(plan.billed_total()) == "0"
    assert any("Malaysia" in line for line in plan.unchecked)


def test_step_00_says_the_plan_needs_the_account_until_step_01_saved_it(
    tmp_path, sandbox, monkeypatch
):
    monkeypatch.setenv("ONBOARDING_ALLOW_INSECURE_BASE_URL", "1")
    empty = Runbook(
        Settings("live", tmp_path / ".env", tmp_path / "state", tmp_path / "sb", sandbox.url)
    )
    shown = str(plan_panel(empty))
    assert "needs the account first" in shown and "step 01" in shown
    assert "TWILIO_ACCOUNT_SID" in shown and request_log(sandbox.url) == []
