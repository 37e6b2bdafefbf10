"""Steps 02 and 03 against the sandbox: the key is created once, its secret is never lost or
leaked, re-runs reuse it, orphans are reported, and the sandbox's injected faults work."""

from __future__ import annotations

import errno
import importlib
import importlib.util
import os
import stat
import sys
import time
import types
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import (
    AccountRecord,
    ConsoleKeyRecorded,
    Event,
    KeyCreated,
    KeyCreating,
    KeyGone,
    KeyReused,
    KeyRevoked,
    SecretCopiedToKeyring,
    SecretRestored,
)
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import (
    SandboxError,
    clear_faults,
    list_faults,
    provision_account,
    request_log,
    set_faults,
    snapshot,
)
from onboarding_helpers.steps.api_key import (
    POSTMAN_PERMISSIONS,
    SecretNotSaved,
    default_key_name,
    keys_panel,
    postman_policy,
    rescue,
    revoke_orphans,
    revoked_panel,
    set_up_api_key,
)
from onboarding_helpers.steps.api_key import form as api_key_form
from onboarding_helpers.steps.api_key import panel as api_key_panel
from onboarding_helpers.steps.registry import ACCOUNT
from onboarding_helpers.steps.registry import API_KEY as STEP
from onboarding_helpers.steps.registry import SECRET_KEY as SECRET_STEP
from onboarding_helpers.steps.secret_key import check_secret, keyring_status
from onboarding_helpers.steps.secret_key import form as secret_form
from onboarding_helpers.steps.secret_key import panel as secret_panel
from onboarding_helpers.twilio_gateway import make_client

from .presses import press
from .secret_audit import leaks, run_leaks

KEYS_PATH = r"POST /Keys\.json$"


def make_runbook(root: Path, url: str) -> Runbook:
    rb = Runbook(Settings("sandbox", root / "creds" / ".env", root / "state", root / "sb", url))
    account = provision_account(url, friendly_name="Ministry of Examples")
    rb.store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})
    rb.progress.save(ACCOUNT, AccountRecord(status="done", friendly_name="Ministry of Examples"))
    return rb


@pytest.fixture
def rb(tmp_path: Path, sandbox) -> Runbook:
    return make_runbook(tmp_path, sandbox.url)


def account(rb: Runbook) -> str:
    return rb.store.values()[ACCOUNT_SID]


def keys(rb: Runbook) -> list[str]:
    return [k["sid"] for k in snapshot(rb.base_url, account(rb))["keys"]]


def log_mark(rb: Runbook) -> int:
    return len(request_log(rb.base_url))


def requests_since(rb: Runbook, mark: int) -> list[dict[str, Any]]:
    return request_log(rb.base_url)[mark:]


def actions(rb: Runbook, step=STEP) -> list[type[Event]]:
    """The kinds of the step's journal events, oldest first."""
    return [type(e) for e in rb.progress.events(step=step)]


def pair(rb: Runbook) -> tuple[str | None, str | None]:
    values = rb.store.values()
    return values.get(API_KEY_SID), values.get(API_KEY_SECRET)


def authenticates(rb: Runbook, key_sid: str, secret: str) -> bool:
    client = make_client(account(rb), api_key_sid=key_sid, api_secret=secret, base_url=rb.base_url)
    try:
        client.messaging.v1.services.list(limit=1)
    except Exception:
        return False
    return True


# ---------------------------------------------------------------- create, reuse, check


def test_fresh_run_lists_then_creates_one_key_and_saves_the_secret(rb):
    mark = log_mark(rb)
    result = set_up_api_key(rb)

    sent = requests_since(rb, mark)
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in sent] == [
        ("GET", "Keys"),  # Key resource v1: both types, the account named in AccountSid
        ("POST", "Keys.json"),
    ]
    assert sent[0]["path"] == "/v1/Keys" and f"AccountSid={account(rb)}" in sent[0]["query"]
    assert all(r["auth_kind"] == "auth_token" for r in sent)
    assert "step/02_api_key" in sent[0]["user_agent"]
    sid, secret = pair(rb)
    assert result.key_sid == sid and keys(rb) == [sid]
    assert result.how == "created" and result.verified is False and result.secret_saved
    assert result.keys_listed and result.existing_keys == ()
    assert result.friendly_name == f"Postman SMS - Ministry of Examples - {date.today()}"
    assert stat.S_IMODE(os.stat(rb.store.path).st_mode) == 0o600
    assert authenticates(rb, sid, secret)
    assert actions(rb) == [KeyCreating, KeyCreated]  # the intent first, then the fact
    assert rb.progress.read(STEP).status == "done"
    panel = str(api_key_panel(result))
    assert sid in panel and "step 03 checks" in panel and secret not in panel
    assert run_leaks(rb.store.path, [rb.settings.state_dir], [panel, repr(result)]) == []


def test_second_run_reuses_the_pair_with_one_request_and_creates_nothing(rb):
    first = set_up_api_key(rb)
    mark = log_mark(rb)

    again = set_up_api_key(rb)

    sent = requests_since(rb, mark)
    assert len(sent) == 1
    assert sent[0]["auth_kind"] == "api_key" and "/Keys" not in sent[0]["path"]
    assert again.how == "reused" and again.key_sid == first.key_sid and again.verified
    assert again.friendly_name == first.friendly_name
    assert keys(rb) == [first.key_sid]
    assert actions(rb) == [KeyCreating, KeyCreated, KeyReused]


def test_existing_keys_are_listed_before_creating(rb):
    other = rb.auth_token_client(STEP.id).new_keys.create(friendly_name="Someone else's key")

    result = set_up_api_key(rb, api_key_name="Postman key")

    assert [k.sid for k in result.existing_keys] == [other.sid]
    assert other.sid in str(api_key_panel(result))
    assert "Someone else's key" in str(keys_panel(result.existing_keys))
    assert sorted(keys(rb)) == sorted([other.sid, result.key_sid])


def test_step_03_verifies_with_a_call_a_standard_key_may_make(rb):
    set_up_api_key(rb)
    sid, secret = pair(rb)
    mark = log_mark(rb)

    result = check_secret(rb)

    (sent,) = requests_since(rb, mark)
    assert sent["auth_kind"] == "api_key" and sent["auth_username"] == sid
    assert "/Accounts/" in sent["path"] and sent["path"].endswith("/IncomingPhoneNumbers.json")
    assert sent["status"] == 200
    assert result.verified and result.masked_secret == "••••" + secret[-4:]
    assert result.mode == "0o600"
    panel = str(secret_panel(result))
    assert str(rb.store.path) in panel and secret not in panel
    assert rb.progress.read(SECRET_STEP).verified is True
    assert run_leaks(rb.store.path, [rb.settings.state_dir], [panel, repr(result)]) == []


def test_step_03_restores_0600_if_the_env_file_was_loosened(rb):
    set_up_api_key(rb)
    os.chmod(rb.store.path, 0o644)

    result = check_secret(rb)

    assert stat.S_IMODE(os.stat(rb.store.path).st_mode) == 0o600
    assert any("0o644" in n for n in result.notes)


def test_step_03_never_reports_a_pair_that_fails_as_good(rb):
    set_up_api_key(rb)
    sid, _ = pair(rb)
    wrong = "Z" * 32
    rb.store.save({API_KEY_SECRET: wrong})

    with pytest.raises(TwilioActionError) as caught:
        check_secret(rb)

    err = caught.value
    assert err.code == 20003 and "NOT accepted" in err.message and "07_rotate_key" in err.advice
    assert wrong not in str(err)
    step = rb.progress.read(SECRET_STEP)
    assert step.status == "failed" and step.verified is False
    assert pair(rb) == (sid, wrong)  # a created key's secret is never deleted by the runbook


def test_step_03_without_a_saved_secret_says_to_run_02(rb):
    with pytest.raises(StepBlocked, match="Run 02_api_key first"):
        check_secret(rb)


# ---------------------------------------------------------------- console path


def _console_key(rb: Runbook) -> tuple[str, str]:
    key = rb.auth_token_client(STEP.id).new_keys.create(friendly_name="made in the console")
    return key.sid, key.secret


def test_console_pair_is_checked_then_saved(rb):
    sid, secret = _console_key(rb)
    mark = log_mark(rb)

    result = set_up_api_key(rb, "console", key_sid=sid, secret=secret)

    assert len(requests_since(rb, mark)) == 1
    assert result.how == "console" and result.verified and pair(rb) == (sid, secret)
    assert actions(rb) == [ConsoleKeyRecorded]
    assert keys(rb) == [sid]
    # Headless: the pair is read from the env file, never from a parameter.
    assert set_up_api_key(rb, "console").how == "reused"


def test_console_pair_that_fails_is_not_saved(rb):
    sid, _ = _console_key(rb)
    before = rb.store.path.read_bytes()
    wrong = "Q" * 32

    with pytest.raises(TwilioActionError) as caught:
        set_up_api_key(rb, "console", key_sid=sid, secret=wrong)

    err = caught.value
    assert err.code == 20003 and "Nothing was saved" in err.advice
    assert "secret may be wrong" in err.advice and wrong not in str(err)
    assert rb.store.path.read_bytes() == before
    assert rb.progress.read(STEP).status == "failed"


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"key_sid": "SK123", "secret": "a" * 32}, "API key SID", "has 5 characters"),
        ({"key_sid": "AC" + "0" * 32, "secret": "a" * 32}, "API key SID", "Account SID"),
        ({"key_sid": "SK" + "0" * 32, "secret": "short"}, "API secret", "has 5 characters"),
        ({}, "API key SID", "never on the command line"),  # the fix: secrets in the env file
    ],
)
def test_console_inputs_are_validated_before_any_request(rb, kwargs, field, fragment):
    mark = log_mark(rb)
    with pytest.raises(InputError) as caught:
        set_up_api_key(rb, "console", **kwargs)
    assert caught.value.field == field and fragment in str(caught.value)
    assert requests_since(rb, mark) == []


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"revoke_orphan_keys": "True"}, "revoke_orphan_keys", "-p revoke_orphan_keys True"),
        ({"revoke_orphan_keys": 1}, "revoke_orphan_keys", "True or False"),
        ({"api_key_type": "main"}, "api_key_type", "Use 'standard'"),
        ({"api_key_type": 3}, "api_key_type", "'restricted'"),
        ({"api_key_source": "dashboard"}, "api_key_source", "Use 'create' or 'console'"),
        ({"api_key_name": "x" * 65}, "api_key_name", "Twilio allows 64"),
        ({"api_key_name": "a1" * 16}, "api_key_name", "Twilio secret"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_created(rb, kwargs, field, fragment):
    mark = log_mark(rb)
    with pytest.raises(InputError) as caught:
        set_up_api_key(rb, **kwargs)
    assert caught.value.field == field and fragment in str(caught.value)
    assert requests_since(rb, mark) == [] and keys(rb) == []


def test_step_02_without_step_01_is_blocked(tmp_path, sandbox):
    rb = Runbook(
        Settings("sandbox", tmp_path / ".env", tmp_path / "st", tmp_path / "sb", sandbox.url)
    )
    with pytest.raises(StepBlocked, match="Run 01_account_sid first"):
        set_up_api_key(rb)


def test_default_name_fits_twilio_limit(rb):
    rb.progress.save(ACCOUNT, AccountRecord(status="done", friendly_name="A" * 80))
    name = default_key_name(rb, date(2026, 1, 2))
    assert len(name) <= 64 and name.endswith(" - 2026-01-02")


# ---------------------------------------------------------------- the secret cannot be lost


def _fail_saves(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    attempts: list[dict[str, str]] = []

    def refuse(self: CredentialStore, values: dict[str, str]) -> None:
        attempts.append(values)
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(CredentialStore, "save", refuse)
    return attempts


def test_write_failure_keeps_the_secret_in_a_rescue_file_and_says_so_loudly(rb, monkeypatch):
    attempts = _fail_saves(monkeypatch)

    with pytest.raises(SecretNotSaved) as caught:
        set_up_api_key(rb)

    err = caught.value
    secret = attempts[0][API_KEY_SECRET]
    assert "THE API SECRET WAS NOT SAVED" in err.message and "No space left" in err.message
    assert err.rescue_file is not None and err.rescue_file.parent == rb.store.path.parent
    assert str(err.rescue_file) in err.advice and "By hand" in err.advice
    assert stat.S_IMODE(os.stat(err.rescue_file).st_mode) == 0o600
    assert f"{API_KEY_SECRET}={secret}" in err.rescue_file.read_text()
    assert keys(rb) == [err.key_sid] and not err.revoked
    step = rb.progress.read(STEP)
    assert step.status == "failed" and step.secret_saved is False
    assert step.key_sid == err.key_sid
    created = rb.progress.events(step=STEP)[1]
    assert isinstance(created, KeyCreated) and created.secret_saved is False
    # The secret is nowhere but the rescue file: not in the error, its repr or the state folder.
    texts = [str(err), repr(err), err.advice, str(err.args)]
    assert leaks([secret], [rb.settings.state_dir], texts) == []

    # Once the env file can be written, a re-run moves the secret into place and creates nothing.
    monkeypatch.undo()
    mark = log_mark(rb)
    again = set_up_api_key(rb)
    assert pair(rb) == (err.key_sid, secret) and not err.rescue_file.exists()
    assert again.how == "reused" and keys(rb) == [err.key_sid]
    assert len(requests_since(rb, mark)) == 1
    assert actions(rb)[-2:] == [SecretRestored, KeyReused]
    assert again.orphans == ()


def test_write_failure_with_nowhere_to_keep_the_secret_revokes_the_key(rb, monkeypatch, tmp_path):
    _fail_saves(monkeypatch)
    nowhere = tmp_path / "not-a-dir"
    nowhere.write_text("a file, so nothing can be created under it")
    monkeypatch.setattr(rescue, "rescue_locations", lambda rb, sid: [nowhere / "x"])

    with pytest.raises(SecretNotSaved) as caught:
        set_up_api_key(rb)

    err = caught.value
    assert err.revoked and err.rescue_file is None and "revoked the key" in err.advice
    assert keys(rb) == []
    assert actions(rb) == [KeyCreating, KeyCreated, KeyRevoked]
    assert rb.progress.read(STEP).key_revoked is True


def test_write_failure_in_a_form_shows_the_secret_once_through_the_callback(rb, monkeypatch):
    attempts = _fail_saves(monkeypatch)
    monkeypatch.setattr(rescue, "rescue_locations", lambda rb, sid: [])
    shown: list[tuple[str, str]] = []

    with pytest.raises(SecretNotSaved) as caught:
        set_up_api_key(rb, on_unsaved_secret=lambda sid, s: shown.append((sid, s)) or True)

    err = caught.value
    assert shown == [(err.key_sid, attempts[0][API_KEY_SECRET])]
    assert err.shown and not err.revoked and "shown ONCE" in err.advice
    assert keys(rb) == [err.key_sid]  # someone holds the secret: the key is kept
    assert leaks([shown[0][1]], [rb.settings.state_dir], [str(err)]) == []


# ---------------------------------------------------------------- orphans, replacement


def test_orphan_is_reported_then_revoked_on_request(rb):
    first = set_up_api_key(rb)
    rb.store.remove(API_KEY_SECRET)  # the secret was lost from the env file

    second = set_up_api_key(rb)

    assert second.how == "created" and second.key_sid != first.key_sid
    assert [k.sid for k in second.orphans] == [first.key_sid]
    assert any("Orphan keys" in n for n in second.notes)
    assert "orphan key" in str(api_key_panel(second))
    assert sorted(keys(rb)) == sorted([first.key_sid, second.key_sid])

    mark = log_mark(rb)
    third = revoke_orphans(rb)

    assert third.revoked == (first.key_sid,) and third.orphans == ()
    assert [r["method"] for r in requests_since(rb, mark)] == ["GET", "DELETE"]
    assert "Revoked 1 orphan key" in str(revoked_panel(third))
    assert keys(rb) == [second.key_sid]
    assert KeyRevoked in actions(rb)
    # Once revoked, a re-run has nothing to look for: one request again.
    mark = log_mark(rb)
    assert set_up_api_key(rb).orphans == ()
    assert len(requests_since(rb, mark)) == 1


def test_saved_secret_that_does_not_match_an_existing_key_blocks_without_creating(rb):
    first = set_up_api_key(rb)
    rb.store.save({API_KEY_SECRET: "W" * 32})

    with pytest.raises(StepBlocked) as caught:
        set_up_api_key(rb)

    assert "07_rotate_key" in caught.value.advice and "W" * 32 not in str(caught.value)
    assert keys(rb) == [first.key_sid]


def test_saved_key_deleted_in_the_console_is_replaced_by_a_new_one(rb):
    first = set_up_api_key(rb)
    rb.auth_token_client(STEP.id).keys(first.key_sid).delete()

    second = set_up_api_key(rb)

    assert second.how == "created" and keys(rb) == [second.key_sid]
    assert any("no longer in the account" in n for n in second.notes)
    assert KeyGone in actions(rb) and second.orphans == ()


def test_create_whose_answer_was_lost_is_found_and_offered_for_revoking(rb):
    # Twilio makes the key, but the answer (and its secret) is lost; the listing that follows
    # finds the key, reports it as an orphan, and a new key is made in the same run.
    set_faults(rb.base_url, KEYS_PATH, status=500, phase="after")

    result = set_up_api_key(rb, api_key_name="Postman key")

    (lost,) = [sid for sid in keys(rb) if sid != result.key_sid]
    assert pair(rb)[0] == result.key_sid and authenticates(rb, *pair(rb))
    assert [k.sid for k in result.orphans] == [lost]
    assert any("answer was lost" in n for n in result.notes)
    assert revoke_orphans(rb).revoked == (lost,)
    assert keys(rb) == [result.key_sid]
    mark = log_mark(rb)
    set_up_api_key(rb)
    assert len(requests_since(rb, mark)) == 1  # nothing left to look for


# ---------------------------------------------------------------- OS keyring


class _MemoryKeyring:
    priority = 5

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}


def _fake_keyring(monkeypatch: pytest.MonkeyPatch, priority: float) -> _MemoryKeyring:
    backend = _MemoryKeyring()
    backend.priority = priority
    module = types.ModuleType("keyring")
    module.__spec__ = types.SimpleNamespace(name="keyring")  # type: ignore[assignment]
    module.get_keyring = lambda: backend  # type: ignore[attr-defined]
    module.set_password = lambda s, u, p: backend.data.__setitem__((s, u), p)  # type: ignore[attr-defined]
    module.get_password = lambda s, u: backend.data.get((s, u))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    return backend


def test_keyring_is_offered_only_where_usable(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert not keyring_status().available
    assert "not installed" in keyring_status().reason
    _fake_keyring(monkeypatch, priority=0)  # keyring's fail backend on a headless machine
    status = keyring_status()
    assert not status.available and "no OS keyring" in status.reason
    _fake_keyring(monkeypatch, priority=5)
    assert keyring_status().available


def test_copy_to_an_unusable_keyring_is_refused(rb, monkeypatch):
    set_up_api_key(rb)
    _fake_keyring(monkeypatch, priority=0)
    with pytest.raises(InputError, match="copy_to_keyring"):
        check_secret(rb, copy_to_keyring=True)
    with pytest.raises(InputError, match="must be True or False"):
        check_secret(rb, copy_to_keyring="True")


def test_keyring_copy_restores_a_secret_the_env_file_lost(rb, monkeypatch):
    backend = _fake_keyring(monkeypatch, priority=5)
    first = set_up_api_key(rb)
    sid, secret = pair(rb)

    result = check_secret(rb, copy_to_keyring=True)

    assert result.copied_to_keyring and list(backend.data.values()) == [secret]
    assert SecretCopiedToKeyring in actions(rb, SECRET_STEP)
    rb.store.remove(API_KEY_SECRET)
    again = set_up_api_key(rb)
    assert again.how == "reused" and pair(rb) == (sid, secret) and keys(rb) == [first.key_sid]
    assert SecretRestored in actions(rb)


# ---------------------------------------------------------------- sandbox faults


def test_sandbox_faults_refuse_arm_and_clear(sandbox):
    url = sandbox.url
    acct = provision_account(url)
    client = make_client(acct["account_sid"], auth_token=acct["auth_token"], base_url=url)
    with pytest.raises(SandboxError, match="400"):
        set_faults(url, "GET [", status=500)
    with pytest.raises(SandboxError, match="400"):
        set_faults(url, "GET .", phase="sometimes")

    fault = set_faults(url, r"GET /Keys\.json", status=403, code=20005, times=2)
    assert fault["armed"] and fault["times"] == 2
    for _ in range(2):
        with pytest.raises(Exception, match="Unable to fetch page"):
            client.keys.list()
    assert client.keys.list() == [] and list_faults(url) == []

    set_faults(url, "* .", status=401, code=20003, after=KEYS_PATH)
    assert list_faults(url)[0]["armed"] is False
    client.keys.list()  # does not arm it: only a successful create does
    key = client.new_keys.create(friendly_name="k")
    assert key.secret
    with pytest.raises(Exception, match="Unable to fetch page"):
        client.keys.list()
    assert [k.sid for k in client.keys.list()] == [key.sid]
    log = request_log(url, acct["account_sid"])
    assert [r["status"] for r in log] == [403, 403, 200, 200, 201, 401, 200]
    assert log[5]["error_code"] == 20003

    set_faults(url, "GET .")
    assert clear_faults(url) == 1 and list_faults(url) == []


# ---------------------------------------------------------------- forms


def _text(output: Any) -> str:
    return "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in output.outputs)


def test_form_lists_keys_then_creates_and_reuses(rb):
    f = api_key_form(rb)
    assert f.console_box.layout.display == "none"
    assert not f.action.field("api_secret")["shown"] and f.action.button("list")["shown"]
    press(f.action, "list")
    assert "no API keys yet" in _text(f.output)

    press(f.action, "go")

    sid, secret = pair(rb)
    assert sid in _text(f.output) and "API key created" in _text(f.output)
    press(f.action, "go", api_secret="typed in a field the page hides")  # not sent: ignored
    assert "reused, nothing created" in _text(f.output) and keys(rb) == [sid]
    assert secret not in _text(f.output)


def test_form_console_path_takes_the_secret_from_the_press_only(rb):
    sid, secret = _console_key(rb)
    f = api_key_form(rb)
    f.source.value = "console"
    assert f.console_box.layout.display is None and f.create_box.layout.display == "none"
    assert f.action.field("api_secret")["shown"] and not f.action.button("list")["shown"]
    f.key_sid.value = sid

    press(f.action, "go", api_secret=secret)

    assert pair(rb) == (sid, secret) and rb.progress.read(STEP).how == "console"
    assert _text(f.output).startswith("[✔]")  # the step's panel, as passed
    assert leaks([secret], [], [str(f.action.get_state()), _text(f.output)]) == []


def test_form_shows_an_unsaved_secret_once_and_clears_it(rb, monkeypatch):
    attempts = _fail_saves(monkeypatch)
    monkeypatch.setattr(rescue, "rescue_locations", lambda rb, sid: [])
    f = api_key_form(rb)
    assert f.saved_it.layout.display == "none"

    press(f.action, "go")

    secret = attempts[0][API_KEY_SECRET]
    assert "NOT SAVED" in _text(f.output) and secret not in _text(f.output)
    assert secret in _text(f.secret_out) and f.saved_it.layout.display is None
    f.saved_it.click()
    assert f.secret_out.outputs == () and f.saved_it.layout.display == "none"
    assert len(keys(rb)) == 1  # an officer saw the secret: the key is kept


def test_form_revoke_orphans_button(rb):
    first = set_up_api_key(rb)
    rb.store.remove(API_KEY_SECRET)
    set_up_api_key(rb)
    f = api_key_form(rb)

    press(f.action, "revoke_orphans")

    assert first.key_sid in _text(f.output) and first.key_sid not in keys(rb)


def test_secret_form_checks_and_reveals_briefly(rb, monkeypatch):
    # The module itself: the package's name ``form`` is the function that builds the form.
    form_module = importlib.import_module("onboarding_helpers.steps.secret_key.form")
    set_up_api_key(rb)
    secret = pair(rb)[1]
    f = secret_form(rb)
    check, keyring_button, reveal = f.check, f.keyring_button, f.reveal
    output, reveal_out = f.output, f.reveal_out
    assert keyring_button.disabled  # no usable keyring on this machine
    check.click()
    assert _text(output).startswith("[✔]") and rb.progress.read(SECRET_STEP).verified
    assert secret not in _text(output)

    reveal.value = True
    assert secret in _text(reveal_out)
    reveal.value = False
    assert reveal_out.outputs == ()

    monkeypatch.setattr(form_module, "REVEAL_SECONDS", 0.05)
    reveal.value = True
    deadline = time.monotonic() + 5
    while reveal_out.outputs and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reveal_out.outputs == () and reveal.value is False


def test_revoke_orphans_with_nothing_to_revoke_creates_nothing(rb):
    mark = log_mark(rb)
    result = revoke_orphans(rb)
    assert result.revoked == () and "no orphan keys" in result.notes[0]
    assert requests_since(rb, mark) == [] and keys(rb) == []


# ---------------------------------------------------------------- Restricted keys (api_key_type)


def _restricted_service(rb: Runbook) -> str:
    """A Messaging Service with a Sender ID, made with the Auth Token (step 04's work)."""
    services = rb.auth_token_client(STEP.id).messaging.v1.services
    service = services.create(friendly_name="Postman SMS", usecase="notifications")
    services(service.sid).alpha_senders.create(alpha_sender="GOVTECH")
    return service.sid


def _outcome(fn: Any) -> int | None:
    """The Twilio error code of one SDK call, or None when it succeeds."""
    from onboarding_helpers.twilio_gateway import call

    try:
        call("a call the test makes", fn)
    except TwilioActionError as err:
        return err.code
    return None


def test_restricted_key_is_made_through_iam_with_only_what_postman_needs(rb):
    mark = log_mark(rb)

    result = set_up_api_key(rb, api_key_type="restricted")

    sent = requests_since(rb, mark)
    assert [(r["method"], r["path"]) for r in sent] == [
        ("GET", "/v1/Keys"),
        ("POST", "/v1/Keys"),
    ]
    assert sent[1]["form"]["KeyType"] == "restricted"
    assert sent[1]["form"]["AccountSid"] == account(rb)
    sid, secret = pair(rb)
    assert result.key_sid == sid and result.key_type == "restricted" and result.how == "created"
    [key] = snapshot(rb.base_url, account(rb))["keys"]
    assert key["sid"] == sid and key["key_type"] == "restricted"
    fetched = rb.auth_token_client(STEP.id).iam.v1.api_key(sid).fetch()
    assert fetched.policy == postman_policy() == {"allow": list(POSTMAN_PERMISSIONS)}
    assert "/twilio/messaging/messages/create" in POSTMAN_PERMISSIONS
    assert not any(p.endswith("/list") and "/messages/" in p for p in POSTMAN_PERMISSIONS)
    assert rb.progress.read(STEP).key_type == "restricted"
    created = rb.progress.events(KeyCreated, step=STEP)[-1]
    assert created.key_type == "restricted" and created.key_sid == sid
    assert "Restricted" in str(api_key_panel(result))
    assert run_leaks(rb.store.path, [rb.settings.state_dir], [str(api_key_panel(result))]) == []


def test_restricted_key_sends_like_postman_and_is_refused_everything_else(rb):
    set_up_api_key(rb, api_key_type="restricted")
    sid, secret = pair(rb)
    service_sid = _restricted_service(rb)
    keyed = make_client(account(rb), api_key_sid=sid, api_secret=secret, base_url=rb.base_url)

    sent = keyed.messages.create(to="+6581234567", from_=service_sid, body="Postman's send")
    assert _outcome(keyed.messages(sent.sid).fetch) is None  # following its status
    assert _outcome(keyed.messaging.v1.services(service_sid).fetch) is None
    assert _outcome(keyed.messaging.v1.services(service_sid).alpha_senders.list) is None
    # Outside the policy: Twilio's 70051, "Authorization Failed".
    assert _outcome(keyed.messages.list) == 70051  # the message log
    assert _outcome(keyed.incoming_phone_numbers.list) == 70051
    assert _outcome(keyed.messaging.v1.services.list) == 70051
    offers = keyed.available_phone_numbers("US").local
    assert _outcome(lambda: offers.list(limit=1)) == 70051  # buying numbers starts here
    assert _outcome(keyed.keys.list) == 20003  # no API key may manage keys
    refused = [r for r in request_log(rb.base_url) if r["error_code"] == 70051]
    assert refused and all(r["status"] == 403 for r in refused)


def test_step_03_checks_a_restricted_key_with_a_call_its_policy_allows(rb):
    set_up_api_key(rb, api_key_type="restricted")
    sid, secret = pair(rb)
    mark = log_mark(rb)

    result = check_secret(rb)

    (sent,) = requests_since(rb, mark)
    assert sent["auth_kind"] == "api_key" and sent["auth_username"] == sid
    assert sent["path"].endswith("/Messages/SM" + "0" * 32 + ".json") and sent["status"] == 404
    assert result.verified and result.key_type == "restricted"
    assert "Restricted" in str(secret_panel(result)) and secret not in str(secret_panel(result))
    # A wrong secret is still told apart from a policy refusal.
    rb.store.save({API_KEY_SECRET: "V" * 32})
    with pytest.raises(TwilioActionError) as caught:
        check_secret(rb)
    assert caught.value.code == 20003 and "NOT accepted" in caught.value.message


def test_rerun_reuses_a_restricted_pair_with_one_request(rb):
    first = set_up_api_key(rb, api_key_type="restricted")
    mark = log_mark(rb)

    again = set_up_api_key(rb, api_key_type="restricted")

    (sent,) = requests_since(rb, mark)
    assert sent["status"] == 404 and "/Messages/" in sent["path"]
    assert again.how == "reused" and again.key_sid == first.key_sid
    assert again.key_type == "restricted" and keys(rb) == [first.key_sid]


def test_asking_for_restricted_keeps_a_working_standard_key_and_says_so(rb):
    first = set_up_api_key(rb)

    again = set_up_api_key(rb, api_key_type="restricted")

    assert again.how == "reused" and again.key_sid == first.key_sid
    assert again.key_type == "standard" and keys(rb) == [first.key_sid]
    assert any(n.startswith("api_key_type restricted") for n in again.notes)  # not applied


def test_a_restricted_console_key_is_checked_within_its_policy(rb):
    made = rb.auth_token_client(STEP.id).iam.v1.new_api_key.create(
        account_sid=account(rb),
        friendly_name="made in the console",
        key_type="restricted",
        policy=postman_policy(),
    )
    before = rb.store.path.read_bytes()

    # Told it is Standard, the runbook's Standard check is outside the key's policy: refused,
    # said as a policy refusal, nothing saved.
    with pytest.raises(TwilioActionError) as caught:
        set_up_api_key(rb, "console", key_sid=made.sid, secret=made.secret)
    assert caught.value.code == 70051 and "policy" in caught.value.message
    assert made.secret not in str(caught.value)
    assert rb.store.path.read_bytes() == before

    result = set_up_api_key(
        rb, "console", key_sid=made.sid, secret=made.secret, api_key_type="restricted"
    )
    assert result.how == "console" and result.key_type == "restricted"
    assert pair(rb) == (made.sid, made.secret)


def test_form_makes_a_restricted_key_when_chosen(rb):
    f = api_key_form(rb, api_key_type="restricted")
    assert f.key_type.value == "restricted"

    press(f.action, "go")

    assert "Restricted" in _text(f.output)
    assert snapshot(rb.base_url, account(rb))["keys"][0]["key_type"] == "restricted"
    f.key_type.value = "standard"
    press(f.action, "go")  # the saved key works: reused, and the note says why nothing changed
    assert "api_key_type standard" in _text(f.output) and len(keys(rb)) == 1
