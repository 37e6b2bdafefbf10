"""Step 04 against the sandbox: create, reuse, refusals explained, nothing duplicated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN, MESSAGING_SERVICE_SID
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import AccountRecord, AlphaSenderAdded, ServiceCreated
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import provision_account, request_log, set_account, snapshot
from onboarding_helpers.steps.messaging_service import (
    panel,
    sender_id_panel,
    set_up_messaging_service,
)
from onboarding_helpers.steps.registry import ACCOUNT, TEST_MESSAGE
from onboarding_helpers.steps.registry import MESSAGING_SERVICE as STEP
from onboarding_helpers.validation import validate_messaging_service_sid

from .presses import press
from .secret_audit import leaks


def make_runbook(root: Path, url: str, account_type: str = "Full") -> Runbook:
    """A runbook on fresh folders whose env file names a new sandbox account."""
    rb = Runbook(Settings("sandbox", root / "creds" / ".env", root / "state", root / "sb", url))
    account = provision_account(url, type=account_type)
    rb.store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})
    return rb


def account_of(rb: Runbook) -> str:
    return rb.saved_account()[0]


def state(rb: Runbook) -> dict[str, Any]:
    return snapshot(rb.base_url, account_of(rb))


def requests(rb: Runbook, method: str | None = None) -> list[dict[str, Any]]:
    rows = request_log(rb.base_url, account_of(rb))
    return [r for r in rows if method is None or r["method"] == method]


@pytest.fixture
def rb(tmp_path: Path, sandbox) -> Runbook:
    return make_runbook(tmp_path, sandbox.url)


def test_first_run_creates_service_and_sender_and_saves_the_sid(rb):
    result = set_up_messaging_service(rb, "GOVTECH", "Postman SMS – GovTech")

    assert validate_messaging_service_sid(result.service_sid) == result.service_sid
    assert rb.store.get(MESSAGING_SERVICE_SID) == result.service_sid
    assert result.created_service and result.created_alpha_sender
    [service] = state(rb)["services"]
    assert service["sid"] == result.service_sid
    assert service["friendly_name"] == "Postman SMS – GovTech"
    assert service["usecase"] == "notifications"
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]
    # list services, create the service, add the alpha sender: no more
    assert [(r["method"], r["path"].split("/")[-1]) for r in requests(rb)] == [
        ("GET", "Services"),
        ("POST", "Services"),
        ("POST", "AlphaSenders"),
    ]
    assert all(f"step/{STEP.id}" in r["user_agent"] for r in requests(rb))
    record = rb.progress.read(STEP)
    assert record.status == "done" and record.service_sid == result.service_sid
    kinds = [type(e) for e in rb.progress.events(step=STEP)]
    assert kinds == [ServiceCreated, AlphaSenderAdded]

    shown = str(panel(result))
    assert "Messaging Service SID" in shown and result.service_sid in shown
    assert "Alpha Sender  GOVTECH" in shown and "character for character" in shown
    assert leaks(rb.store.secrets(), [rb.settings.state_dir], [shown]) == []


def test_second_run_creates_nothing_and_costs_three_requests(rb):
    first = set_up_messaging_service(rb, "GOVTECH")
    before, posts = state(rb), len(requests(rb, "POST"))
    count = len(requests(rb))

    again = set_up_messaging_service(rb)  # empty inputs: the Sender ID and name used before

    assert again.service_sid == first.service_sid and again.sender_id == "GOVTECH"
    assert not again.created_service and not again.created_alpha_sender
    assert state(rb) == before
    assert len(requests(rb, "POST")) == posts
    assert len(requests(rb)) - count == 3  # fetch service, list numbers, list alpha senders
    assert "nothing was created" in str(panel(again))


def test_service_made_in_the_console_is_found_by_name(rb):
    client = rb.auth_token_client("test")
    console = client.messaging.v1.services.create(friendly_name="Postman SMS", usecase="marketing")

    result = set_up_messaging_service(rb, "GOVTECH", "Postman SMS")

    assert result.service_sid == console.sid and not result.created_service
    assert result.usecase == "marketing"
    assert any("use case is 'marketing'" in n for n in result.notes)
    assert len(state(rb)["services"]) == 1


def test_service_deleted_since_the_last_run_is_said_and_replaced(rb):
    first = set_up_messaging_service(rb, "GOVTECH")
    rb.auth_token_client("test").messaging.v1.services(first.service_sid).delete()

    again = set_up_messaging_service(rb, "GOVTECH")

    assert again.service_sid != first.service_sid and again.created_service
    assert any("no longer in the account" in n for n in again.notes)
    assert any(first.service_sid in n for n in again.notes)  # the env file held the old SID
    assert rb.store.get(MESSAGING_SERVICE_SID) == again.service_sid


def test_deleted_service_is_said_once_and_a_namesake_reused(rb):
    first = set_up_messaging_service(rb, "GOVTECH")
    client = rb.auth_token_client("test")
    client.messaging.v1.services(first.service_sid).delete()
    console = client.messaging.v1.services.create(
        friendly_name="Postman SMS", usecase="notifications"
    )

    again = set_up_messaging_service(rb, "GOVTECH")
    third = set_up_messaging_service(rb, "GOVTECH")

    assert again.service_sid == third.service_sid == console.sid
    assert any("no longer in the account" in n for n in again.notes)
    assert third.notes == ()
    assert len(state(rb)["services"]) == 1


def test_two_services_with_the_same_name_block_without_change(rb):
    client = rb.auth_token_client("test")
    made = [client.messaging.v1.services.create(friendly_name="Postman SMS") for _ in range(2)]
    before = state(rb)

    with pytest.raises(StepBlocked) as caught:
        set_up_messaging_service(rb, "GOVTECH", "Postman SMS")

    err = caught.value
    assert err.field == "messaging_service_name" and all(s.sid in err.message for s in made)
    assert state(rb) == before
    assert rb.store.get(MESSAGING_SERVICE_SID) is None


@pytest.mark.parametrize(
    ("there", "how"), [("MOH", "differs"), ("govtech", "differs only in letter case")]
)
def test_different_alpha_sender_in_the_service_is_explained_not_replaced(rb, there, how):
    client = rb.auth_token_client("test")
    svc = client.messaging.v1.services.create(friendly_name="Postman SMS")
    client.messaging.v1.services(svc.sid).alpha_senders.create(alpha_sender=there)
    before = state(rb)

    with pytest.raises(StepBlocked) as caught:
        set_up_messaging_service(rb, "GOVTECH")

    err = caught.value
    assert f"'{there}', which {how} from 'GOVTECH'" in err.message
    assert "one alpha sender" in err.message and "Sender Pool" in err.advice
    assert err.field == "sender_id"
    assert state(rb) == before
    assert rb.store.get(MESSAGING_SERVICE_SID) is None
    assert rb.progress.read(STEP).status == "failed"


def test_an_id_another_organisation_registered_is_added_and_shows_only_at_05(rb):
    # Twilio cannot see SGNIC's registry: adding GOVSG (protected in the sandbox) succeeds.
    result = set_up_messaging_service(rb, "GOVSG")

    assert result.created_alpha_sender
    # The panel names where such an ID shows: the Sender Pool page, or step 05's test SMS.
    assert any("Sender Pool" in n and TEST_MESSAGE.id in n for n in panel(result).notes)
    client = rb.auth_token_client("test")
    set_account(rb.base_url, account_of(rb), message_step_seconds=0)
    sent = client.messages.create(
        to="+6581234567", messaging_service_sid=result.service_sid, body="x"
    )
    assert client.messages(sent.sid).fetch().error_code == 30007  # blocked in Singapore


def test_alpha_senders_switched_off_names_the_setting_and_the_kept_service_is_reused(rb):
    set_account(rb.base_url, account_of(rb), alpha_sender_enabled=False)

    with pytest.raises(TwilioActionError) as caught:
        set_up_messaging_service(rb, "GOVTECH")

    err = caught.value
    assert err.code == 21709 and err.field == "Sender ID"
    assert "Twilio gives two causes" in err.message and "format" in err.message
    assert "registered to another organisation" not in err.message  # not a cause of 21709
    assert "Messaging > Settings > General > Alphanumeric Sender ID" in err.advice  # console
    [kept] = state(rb)["services"]
    assert kept["alpha_senders"] == []
    assert rb.store.get(MESSAGING_SERVICE_SID) is None
    assert rb.progress.read(STEP).service_sid == kept["sid"]

    set_account(rb.base_url, account_of(rb), alpha_sender_enabled=True)
    fixed = set_up_messaging_service(rb, "GOVTECH")

    assert fixed.service_sid == kept["sid"] and not fixed.created_service
    [service] = state(rb)["services"]
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]


def test_21709_for_an_id_with_symbols_points_at_the_format_too(rb):
    set_account(rb.base_url, account_of(rb), alpha_sender_enabled=False)
    with pytest.raises(TwilioActionError) as caught:
        set_up_messaging_service(rb, "GOV-TECH")
    assert "contains '-'" in caught.value.advice and "format" in caught.value.advice


@pytest.mark.parametrize("sender_id", ["GOV-TECH", "A&B CO", "MY_AGENCY", "SG+", "NOTICE"])
def test_ids_twilio_takes_are_added_with_the_warnings_shown(rb, sender_id):
    result = set_up_messaging_service(rb, sender_id)

    assert result.sender_id == sender_id and result.warnings
    [service] = state(rb)["services"]
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == [sender_id]
    shown = panel(result)
    assert shown.kind == "warn" and f"Warning: {result.warnings[0]}" in shown.notes
    assert "character for character" in str(shown)


def test_trial_account_refusal_says_upgrade(tmp_path, sandbox):
    rb = make_runbook(tmp_path, sandbox.url, account_type="Trial")  # step 01 was skipped

    with pytest.raises(TwilioActionError) as caught:
        set_up_messaging_service(rb, "GOVTECH")

    err = caught.value
    assert err.code == 21709 and "Trial account" in err.message
    assert "Upgrade billing" in err.advice and err.field == "Account SID"
    assert rb.store.get(MESSAGING_SERVICE_SID) is None


def test_trial_seen_by_step_01_stops_before_any_request(rb):
    set_account(rb.base_url, account_of(rb), type="Trial")
    rb.progress.save(ACCOUNT, AccountRecord(status="blocked", type="Trial"))

    with pytest.raises(StepBlocked) as caught:
        set_up_messaging_service(rb, "GOVTECH")

    assert "Trial" in caught.value.message and "Nothing was created" in caught.value.advice
    assert requests(rb) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sender_id": "GOV.SG"}, "Sender ID"),
        ({"sender_id": "OTP"}, "Sender ID"),
        ({"sender_id": "AB"}, "Sender ID"),
        ({"sender_id": "GOVTECH", "messaging_service_name": "x" * 65}, "messaging_service_name"),
        ({"sender_id": "GOVTECH", "usecase": "spam"}, "use case"),
    ],
)
def test_bad_input_sends_nothing_and_writes_nothing(rb, kwargs, field):
    env_before = rb.store.path.read_bytes()

    with pytest.raises(InputError) as caught:
        set_up_messaging_service(rb, **kwargs)

    assert caught.value.field == field
    assert requests(rb) == []
    assert rb.store.path.read_bytes() == env_before
    assert rb.progress.read(STEP) == STEP.record()  # never recorded


def test_empty_sender_id_is_refused_live_and_practised_in_the_sandbox(rb):
    from dataclasses import replace

    live = Runbook(replace(rb.settings, mode="live"))  # same files, still the sandbox's URL
    with pytest.raises(InputError) as caught:
        set_up_messaging_service(live, "")
    assert caught.value.field == "Sender ID" and "is empty" in str(caught.value)
    assert requests(rb) == []

    result = set_up_messaging_service(rb, "")
    assert result.sender_id == "GOVTECH"


def test_number_bought_earlier_goes_in_before_the_alpha_sender(rb):
    from onboarding_helpers.steps.phone_number import buy_phone_number

    bought = buy_phone_number(rb, buy=True, confirm=True)
    client = rb.auth_token_client("test")
    # Someone took it out of the pool in the console since.
    client.messaging.v1.services(bought.service_sid).phone_numbers(bought.phone_number_sid).delete()
    start = len(requests(rb))

    result = set_up_messaging_service(rb, "GOVTECH")

    assert result.attached_number == bought.phone_number
    assert result.phone_numbers == (bought.phone_number,)
    posts = [r["path"].split("/")[-1] for r in requests(rb, "POST")[-2:]]
    assert posts == ["PhoneNumbers", "AlphaSenders"]  # the guide's order
    assert len(requests(rb)) - start == 5  # fetch, list numbers, attach, list alphas, add alpha


def test_released_number_is_noted_and_the_sender_id_still_added(rb):
    from onboarding_helpers.steps.phone_number import buy_phone_number

    bought = buy_phone_number(rb, buy=True, confirm=True)
    rb.auth_token_client("test").incoming_phone_numbers(bought.phone_number_sid).delete()

    result = set_up_messaging_service(rb, "GOVTECH")

    assert result.phone_numbers == () and result.attached_number is None
    assert any(bought.phone_number in n for n in result.notes)  # the released number, named
    again = set_up_messaging_service(rb)
    assert again.notes == ()  # the gone number is not tried again


def test_sender_id_panel_lists_each_broken_rule():
    bad = sender_id_panel(" 1#")
    assert bad.kind == "error" and "3 rule(s)" in bad.title
    assert str(bad).count("\n    ✖ ") == 3 and "character for character" in str(bad)
    good = sender_id_panel("GOVTECH")
    assert good.kind == "ok" and not any(n.startswith(("✖", "!")) for n in good.notes)
    warned = sender_id_panel("NOTICE")
    assert warned.kind == "warn" and "sounds generic" in str(warned)


def test_form_button_runs_the_step(rb):
    from onboarding_helpers.steps.messaging_service import form

    shown = form(rb, "GOV-TECH")
    assert "'-'" in str(shown.sender_check.outputs)  # checked as the officer types: a warning
    shown.sender_id.value = "GOV.SG"
    assert "breaks 1 rule" in str(shown.sender_check.outputs)
    shown.sender_id.value = "GOVTECH"
    assert "follows" in str(shown.sender_check.outputs)
    press(shown.action, "set_up")
    assert "Messaging Service ready" in str(shown.output.outputs)
    assert rb.store.get(MESSAGING_SERVICE_SID)
