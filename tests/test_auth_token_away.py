"""The Auth Token put away after the hand-off: every action that needs it stops, naming
``TWILIO_AUTH_TOKEN`` and changing nothing; key-only checks go on; a token typed in a form serves
one action and is never kept (env file, progress record, journal, widget state, output).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import AuthTokenRemoved
from onboarding_helpers.runbook import Runbook
from onboarding_helpers.sandbox import SandboxServer, request_log, snapshot
from onboarding_helpers.steps.registry import ACCOUNT, HANDOFF, MESSAGING_SERVICE

from .fixtures_flow import Flow, prepare_flow
from .presses import press
from .secret_audit import leaks

OTHER_SG_MOBILE = "+6591234567"


def _step(package: str, name: str) -> Callable[..., Any]:
    return getattr(importlib.import_module(f"onboarding_helpers.steps.{package}"), name)


def put_away(rb: Runbook) -> None:
    """Step 06's 'Remove the Auth Token': the value out of the env file, journalled."""
    assert _step("handoff", "remove_auth_token")(rb).removed
    assert rb.store.get(AUTH_TOKEN) is None
    assert [type(e) for e in rb.progress.events(AuthTokenRemoved)] == [AuthTokenRemoved]


@pytest.fixture
def flow(sandbox, tmp_path: Path) -> Flow:
    return prepare_flow(sandbox.url, tmp_path / "creds" / ".env", tmp_path / "state")


@pytest.fixture
def away(flow: Flow) -> Flow:
    put_away(flow.rb)
    return flow


class Unchanged:
    """Everything a refused action must leave as it was: env file bytes, progress record and
    journal bytes, and the sandbox account (its resources, and no request sent at all)."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.before = self._now()

    def _now(self) -> tuple[Any, ...]:
        rb, url = self.flow.rb, self.flow.url
        files = [rb.settings.env_file, rb.progress.progress_path, rb.progress.journal_path]
        return (
            [p.read_bytes() if p.exists() else None for p in files],
            snapshot(url, self.flow.account_sid),
            len(request_log(url, self.flow.account_sid)),
        )

    def check(self) -> None:
        assert self._now() == self.before


TOKEN_ACTIONS: list[tuple[str, Callable[[Runbook], Any]]] = [
    ("01 check the account", lambda rb: _step("account", "check_account")(rb)),
    ("02 set up the key", lambda rb: _step("api_key", "set_up_api_key")(rb)),
    ("02 revoke orphan keys", lambda rb: _step("api_key", "revoke_orphans")(rb)),
    ("02 list the keys (form)", lambda rb: _step("api_key", "list_account_keys")(rb)),
    (
        "04a buy a number",
        lambda rb: _step("phone_number", "buy_phone_number")(rb, buy=True, confirm=True),
    ),
    (
        "04 messaging service",
        lambda rb: _step("messaging_service", "set_up_messaging_service")(rb, "GOVTECH"),
    ),
    (
        "05 send the test message",
        lambda rb: _step("test_message", "send_test_message")(rb, OTHER_SG_MOBILE),
    ),
    ("an Auth Token client", lambda rb: rb.auth_token_client("test")),
]


@pytest.mark.parametrize("action", [a for _, a in TOKEN_ACTIONS], ids=[n for n, _ in TOKEN_ACTIONS])
def test_every_action_that_needs_the_token_stops_naming_it_and_changes_nothing(away, action):
    unchanged = Unchanged(away)
    with pytest.raises(StepBlocked) as refused:
        action(away.rb)
    err = refused.value
    assert err.field == AUTH_TOKEN
    assert AUTH_TOKEN in err.message and "put away on purpose" in err.message
    assert f"step {HANDOFF.number}" in err.message and "Nothing was changed" in err.message
    assert f"{AUTH_TOKEN}=" in err.advice and "forget_auth_token" in err.advice
    assert "password field" in err.advice and "not saved" in err.advice
    unchanged.check()
    assert leaks(away.secrets, [], [str(err)]) == []


def test_a_token_that_was_never_saved_is_called_missing(flow):
    flow.rb.store.remove(AUTH_TOKEN)  # not through step 06: no journal entry
    with pytest.raises(StepBlocked) as refused:
        flow.rb.saved_account()
    assert "it is missing" in refused.value.message and "put away" not in refused.value.message
    assert f"step {ACCOUNT.number}'s form saves it" in refused.value.advice


def test_a_removal_journalled_for_another_env_file_does_not_count(flow, tmp_path):
    flow.rb.store.remove(AUTH_TOKEN)
    flow.rb.progress.log(HANDOFF, AuthTokenRemoved(env_file=str(tmp_path / "elsewhere" / ".env")))
    assert flow.rb.auth_token_put_away() is None
    with pytest.raises(StepBlocked, match="it is missing"):
        flow.rb.auth_token()


def test_key_only_checks_still_work_after_the_token_is_put_away(away):
    rb = away.rb
    secret = _step("secret_key", "check_secret")(rb)
    assert secret.verified
    # The Postman way (API key, scoped to the account) still reaches the service.
    client = rb.api_key_client("test")
    assert client.messaging.v1.services(away.service_sid).fetch().sid == away.service_sid
    _step("handoff", "hand_off")(rb)  # no test phone: the key-only check
    assert rb.progress.read(HANDOFF).key_check == "passed"
    assert rb.store.get(AUTH_TOKEN) is None


# ---------------------------------------------------------------- a token typed for one action


def _all_written(flow: Flow) -> list[Path]:
    return [flow.rb.settings.env_file.parent, flow.rb.settings.state_dir]


def test_a_typed_token_serves_the_action_and_is_never_kept(away):
    rb = away.rb
    with rb.with_typed_token(away.auth_token):
        result = _step("messaging_service", "set_up_messaging_service")(rb, "GOVTECH")
    assert result.service_sid == away.service_sid
    assert rb.progress.read(MESSAGING_SERVICE).status == "done"
    assert rb.store.get(AUTH_TOKEN) is None and rb.needs_typed_token()
    with pytest.raises(StepBlocked):  # forgotten when the block ended
        rb.auth_token()
    assert leaks([away.auth_token], _all_written(away)) == []


def test_a_typed_token_is_forgotten_when_the_action_fails(away):
    rb = away.rb
    with pytest.raises(InputError), rb.with_typed_token(away.auth_token):
        _step("messaging_service", "set_up_messaging_service")(rb, "!!")
    with pytest.raises(StepBlocked):
        rb.auth_token()


def test_auth_token_client_takes_a_typed_token_for_one_client(away):
    rb = away.rb
    client = rb.auth_token_client("test", typed_token=away.auth_token)
    assert client.api.v2010.accounts(away.account_sid).fetch().status == "active"
    with pytest.raises(StepBlocked):
        rb.auth_token_client("test")
    assert rb.store.get(AUTH_TOKEN) is None


def test_a_malformed_typed_token_is_refused_without_showing_it(away):
    unchanged = Unchanged(away)
    typed = away.auth_token[:-1] + "!"
    with pytest.raises(InputError) as refused:
        with away.rb.with_typed_token(typed):
            pass  # pragma: no cover - refused before the block
    assert refused.value.field == "Auth Token" and typed not in str(refused.value)
    unchanged.check()


def test_a_wrong_typed_token_is_refused_by_twilio_and_nothing_is_saved(away):
    with pytest.raises(TwilioActionError) as refused:
        _step("account", "check_account")(away.rb, "", "f" * 32)
    assert refused.value.code == 20003
    assert away.rb.store.get(AUTH_TOKEN) is None


def test_names_holding_the_typed_token_are_refused(away):
    rb = away.rb
    with rb.with_typed_token(away.auth_token), pytest.raises(InputError) as refused:
        _step("messaging_service", "set_up_messaging_service")(
            rb, "GOVTECH", f"svc {away.auth_token}"
        )
    assert refused.value.field == "messaging_service_name"
    assert leaks([away.auth_token], _all_written(away), [str(refused.value)]) == []


# ---------------------------------------------------------------- 01 after a removal


def test_01_checks_with_a_typed_token_and_does_not_save_it_back(away):
    check_account = _step("account", "check_account")
    result = check_account(away.rb, "", away.auth_token)
    assert result.status == "active" and not result.token_saved
    assert any("used for this check only" in n for n in result.notes)
    assert away.rb.store.get(AUTH_TOKEN) is None
    assert away.rb.store.get(ACCOUNT_SID) == away.account_sid
    assert away.rb.auth_token_put_away() is not None  # still away, on purpose
    assert leaks([away.auth_token], _all_written(away)) == []


def test_01_saves_it_again_only_when_the_officer_asks(away):
    result = _step("account", "check_account")(away.rb, "", away.auth_token, keep_auth_token=True)
    assert result.token_saved and away.rb.store.get(AUTH_TOKEN) == away.auth_token
    assert away.rb.auth_token_put_away() is None


def test_01_keep_auth_token_must_be_a_flag(away):
    with pytest.raises(InputError) as refused:
        _step("account", "check_account")(away.rb, "", away.auth_token, keep_auth_token="yes")
    assert refused.value.field == "keep_auth_token"
    assert away.rb.store.get(AUTH_TOKEN) is None


def test_01_never_saves_a_token_typed_for_one_action(away):
    with away.rb.with_typed_token(away.auth_token):
        result = _step("account", "check_account")(away.rb)
    assert not result.token_saved and away.rb.store.get(AUTH_TOKEN) is None


def test_01_still_saves_a_first_token_as_it_always_did(flow):
    flow.rb.store.remove(AUTH_TOKEN)  # never saved: nothing was put away
    result = _step("account", "check_account")(flow.rb, "", flow.auth_token)
    assert result.token_saved and flow.rb.store.get(AUTH_TOKEN) == flow.auth_token


def test_01_recommends_putting_it_away_in_live_mode_only(flow):
    from dataclasses import replace

    from onboarding_helpers.steps.account import PUT_AWAY_ADVICE, panel

    result = _step("account", "check_account")(flow.rb)
    assert PUT_AWAY_ADVICE not in panel(result).notes
    assert PUT_AWAY_ADVICE in panel(replace(result, live=True)).notes
    assert "forget_auth_token" in PUT_AWAY_ADVICE and "never needs" in PUT_AWAY_ADVICE


def _shown(output) -> str:
    return "".join(str(o.get("data", {}).get("text/plain", "")) for o in output.outputs)


def _widget_state() -> str:
    import ipywidgets as widgets

    return json.dumps(widgets.Widget.get_manager_state(drop_defaults=False))


def test_the_01_form_after_a_removal_checks_without_keeping_the_token(away):
    from onboarding_helpers.steps.account import form

    shown = form(away.rb)
    assert shown.keep_token.layout.display == ""  # offered only when the token was put away
    assert "put away on purpose" in shown.action.field("auth_token")["placeholder"]
    press(shown.action, "check", auth_token=away.auth_token)
    text = _shown(shown.output)
    assert "Account checked" in text and "used for this check only" in text
    assert away.rb.store.get(AUTH_TOKEN) is None
    assert leaks([away.auth_token], _all_written(away), [text, _widget_state()]) == []

    shown.keep_token.value = True
    press(shown.action, "check", auth_token=away.auth_token)
    assert "Account SID and Auth Token are saved" in _shown(shown.output)
    assert away.rb.store.get(AUTH_TOKEN) == away.auth_token
    assert leaks([away.auth_token], [away.rb.settings.state_dir], [_widget_state()]) == []


def test_the_01_form_without_a_removal_hides_the_keep_box(flow):
    from onboarding_helpers.steps.account import form

    shown = form(flow.rb)
    assert shown.keep_token.layout.display == "none"
    press(shown.action, "check")  # the saved token
    assert "Account checked" in _shown(shown.output)


# ---------------------------------------------------------------- headless, through the runner


def _sandbox_state(workspace, account_sid: str) -> dict[str, Any]:
    with SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3") as server:
        return snapshot(server.url, account_sid)


@pytest.mark.notebook
def test_headless_06_puts_the_token_away_then_04_stops_changing_nothing(workspace):
    """The wiring: ``-p forget_auth_token True`` through notebook 06, then a run of notebook 04
    stopped by the runner with the step's message, every file and the account as they were.
    That key-only steps still pass is proven in-process above."""
    workspace.prepare("00", "01", "02", "03", "04")
    store = CredentialStore(workspace.env_file)
    token, secret = store.get(AUTH_TOKEN), store.get(API_KEY_SECRET)
    account_sid = store.get(ACCOUNT_SID)
    away = workspace.cli("--only", "06", "-p", "forget_auth_token", "True")
    assert away.returncode == 0, away.stdout + away.stderr
    assert CredentialStore(workspace.env_file).get(AUTH_TOKEN) is None
    assert f"{AUTH_TOKEN} is not in the env file." in away.stdout

    files = [workspace.env_file, workspace.state_dir / "progress.json"]
    files.append(workspace.state_dir / "journal.jsonl")
    before = [p.read_bytes() for p in files]
    twilio_before = _sandbox_state(workspace, account_sid)
    done = workspace.cli("--only", "04", "-p", "sender_id", "GOVTECH")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Stopped at step 04_messaging_service" in done.stderr
    assert AUTH_TOKEN in done.stderr and "put away on purpose" in done.stderr
    # The same account and key, nothing recorded: the runner re-provisioned nothing either.
    assert [p.read_bytes() for p in files] == before
    assert _sandbox_state(workspace, account_sid) == twilio_before
    texts = [away.stdout, away.stderr, done.stdout, done.stderr]
    assert leaks([token, secret], [workspace.out_dir, workspace.state_dir], texts) == []


def test_the_04_form_asks_for_the_token_for_one_press_and_never_keeps_it(away):
    from onboarding_helpers.steps.messaging_service import form

    shown = form(away.rb, sender_id="GOVTECH")
    assert shown.action.field("auth_token")["shown"]  # the env file has no token
    press(shown.action, "set_up", auth_token="")  # nothing typed: refused, naming the variable
    assert "TWILIO_AUTH_TOKEN" in _shown(shown.output)
    press(shown.action, "set_up", auth_token=away.auth_token)
    assert "Messaging Service" in _shown(shown.output)
    assert away.rb.store.get(AUTH_TOKEN) is None
    assert (
        leaks([away.auth_token], _all_written(away), [_shown(shown.output), _widget_state()]) == []
    )


@pytest.mark.parametrize("package", ["api_key", "phone_number", "messaging_service"])
def test_the_token_field_shows_only_while_the_env_file_has_no_token(flow, package):
    form = importlib.import_module(f"onboarding_helpers.steps.{package}").form
    assert not form(flow.rb).action.field("auth_token")["shown"]
    flow.rb.store.remove(AUTH_TOKEN)
    assert form(flow.rb).action.field("auth_token")["shown"]
