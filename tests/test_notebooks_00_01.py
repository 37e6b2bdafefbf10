"""Notebooks 00 and 01 run headless through the real runner and papermill, against the sandbox."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN, CredentialStore
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.sandbox import SandboxServer, set_account
from onboarding_helpers.steps.registry import ACCOUNT, START

from .conftest import ROOT
from .presses import press
from .secret_audit import leaks

pytestmark = pytest.mark.notebook


def test_run_00_01_saves_the_account_and_leaks_no_token(workspace):
    done = workspace.cli("--only", "00", "--only", "01")
    assert done.returncode == 0, done.stderr
    assert "00_start_here" in done.stdout and "01_account_sid" in done.stdout

    store = CredentialStore(workspace.env_file)
    values = store.values()
    assert values[ACCOUNT_SID].startswith("AC")
    assert stat.S_IMODE(os.stat(workspace.env_file).st_mode) == 0o600
    assert sorted(p.name for p in workspace.out_dir.iterdir()) == [
        "00_start_here.ipynb",
        "01_account_sid.ipynb",
    ]
    record = ProgressRecord(workspace.state_dir).read(ACCOUNT)
    assert record.status == "done" and record.type == "Full"
    assert (record.balance, record.currency) == ("50.00", "USD")  # a new practice account's

    found = leaks(
        store.secrets(),
        [workspace.out_dir, workspace.state_dir],
        texts=[done.stdout, done.stderr],
    )
    assert found == []


def _sandbox_account(workspace):
    """The account the first run provisioned, through a second server on the same database."""
    return CredentialStore(workspace.env_file).values()[ACCOUNT_SID]


def _expect_step_01_stops(workspace, *args, fragments):
    before = workspace.env_file.read_bytes()
    done = workspace.cli("--only", "01", *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Stopped at step 01_account_sid" in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr
    assert workspace.env_file.read_bytes() == before  # nothing written
    return done


def test_malformed_account_sid_stops_01_naming_field_and_fix(workspace):
    workspace.prepare("00")
    fragments = ["Account SID", "has 5 characters", "nothing was cut off"]
    _expect_step_01_stops(workspace, "-p", "account_sid", "AC123", fragments=fragments)


def test_wrong_auth_token_stops_01(workspace):
    workspace.prepare("00")
    store = CredentialStore(workspace.env_file, mode="sandbox")
    store.save({AUTH_TOKEN: "0" * 32})  # the officer pasted a wrong token
    _expect_step_01_stops(
        workspace, fragments=["Account SID / Auth Token", "20003", "click 'Show'"]
    )


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"type": "Trial"}, ["Trial account", "Upgrade billing"]),
        ({"status": "suspended"}, ["is suspended", "reactivate"]),
    ],
)
def test_unusable_account_stops_01_with_the_guide_advice(workspace, change, fragments):
    workspace.prepare("00")
    with SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3") as server:
        set_account(server.url, _sandbox_account(workspace), **change)
    _expect_step_01_stops(workspace, fragments=fragments)
    assert ProgressRecord(workspace.state_dir).read(ACCOUNT).status == "blocked"


def test_secret_looking_parameter_is_refused(workspace):
    done = workspace.cli("--only", "01", "-p", "auth_token", "x")
    assert done.returncode == 2
    assert "looks like a secret" in done.stderr
    done = workspace.cli("--only", "01", "-p", "account_sid", "a" * 32)
    assert done.returncode == 2 and "shaped like a Twilio secret" in done.stderr
    assert not workspace.out_dir.exists()


def test_notebook_01_runs_under_plain_papermill(workspace, sandbox):
    from onboarding_helpers.sandbox import provision_account

    account = provision_account(sandbox.url)
    CredentialStore(workspace.env_file, mode="sandbox").save(
        {ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]}
    )
    out = workspace.root / "plain.ipynb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env["ONBOARDING_TWILIO_BASE_URL"] = sandbox.url
    parameters = {
        "headless": "True",
        "env_file": str(workspace.env_file),
        "state_dir": str(workspace.state_dir),
        "mode": "sandbox",
    }
    papermill = [sys.executable, "-m", "papermill", "notebooks/01_account_sid.ipynb", str(out)]
    papermill += [arg for name, value in parameters.items() for arg in ("-p", name, value)]
    done = subprocess.run(papermill, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Account checked" in out.read_text()
    texts = [done.stdout, done.stderr]
    assert leaks([account["auth_token"]], [out, workspace.state_dir], texts) == []


def _shown(output) -> str:
    return "".join(str(o.get("data", {}).get("text/plain", "")) for o in output.outputs)


def test_the_account_form_checks_the_account_and_never_keeps_the_token(
    tmp_path, sandbox, monkeypatch
):
    from onboarding_helpers.runbook import open_runbook
    from onboarding_helpers.sandbox import provision_account
    from onboarding_helpers.steps.account import form

    account = provision_account(sandbox.url)
    monkeypatch.setenv("ONBOARDING_TWILIO_BASE_URL", sandbox.url)
    rb = open_runbook("sandbox", str(tmp_path / ".env"), str(tmp_path / "state"))
    done = []
    shown_form = form(rb, on_done=done.append)

    shown_form.account_sid.value = account["account_sid"]
    press(shown_form.action, "check", auth_token="0" * 32)  # not this account's token
    assert "Account SID / Auth Token" in _shown(shown_form.output) and not done

    press(shown_form.action, "check", auth_token=account["auth_token"])
    assert "Account checked" in _shown(shown_form.output)
    assert account["auth_token"] not in str(shown_form.action.get_state())  # in no trait
    assert [r.account_sid for r in done] == [account["account_sid"]]
    assert rb.store.get(AUTH_TOKEN) == account["auth_token"]
    assert leaks([account["auth_token"]], [tmp_path / "state"], [_shown(shown_form.output)]) == []


# ---------------------------------------------------------------- step 00: which Postman


def _notebook_text(workspace, name: str) -> str:
    return (workspace.out_dir / f"{name}.ipynb").read_text()


def test_00_records_the_postman_chosen_and_shows_its_onboarding_checklist(workspace):
    done = workspace.cli("--only", "00", "-r", "postman", "v2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ProgressRecord(workspace.state_dir).read(START).postman == "v2"
    shown = _notebook_text(workspace, "00_start_here")
    assert "Postman in use: Postman v2 (Internal SMS), at postman.gov.sg" in shown
    for fragment in ("ACRA BizFile", "Letter of Authorisation", "SSIR approval screenshot"):
        assert fragment in shown
    assert "onboarding form (name, email" not in shown  # legacy's checklist is not shown

    again = workspace.cli("--only", "00")  # no postman given: the earlier choice stands
    assert again.returncode == 0, again.stderr
    assert ProgressRecord(workspace.state_dir).read(START).postman == "v2"
    back = workspace.cli("--only", "00", "-r", "postman", "legacy")
    assert back.returncode == 0, back.stderr
    assert ProgressRecord(workspace.state_dir).read(START).postman == "legacy"
    assert "You sent Postman's onboarding form" in _notebook_text(workspace, "00_start_here")
    texts = [done.stdout, done.stderr, again.stdout, back.stdout]
    assert leaks(CredentialStore(workspace.env_file).secrets(), [workspace.state_dir], texts) == []


def test_00_refuses_an_unknown_postman_naming_the_field_and_both_choices(workspace):
    done = workspace.cli("--only", "00", "-r", "postman", "v3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Stopped at step 00_start_here" in done.stderr
    assert "postman: 'v3' is not a Postman the runbook knows" in done.stderr
    assert "'legacy'" in done.stderr and "'v2'" in done.stderr
    assert ProgressRecord(workspace.state_dir).read(START).postman == ""  # nothing recorded


def test_00_keeps_the_practice_account_when_the_auth_token_was_put_away(workspace):
    workspace.prepare("00")
    store = CredentialStore(workspace.env_file, mode="sandbox")
    account = store.values()[ACCOUNT_SID]
    store.remove(AUTH_TOKEN)  # what step 06's forget_auth_token does
    done = workspace.cli("--only", "00")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(new)" not in done.stdout and account in done.stdout
    assert "holds no Auth Token (TWILIO_AUTH_TOKEN)" in done.stdout
    values = CredentialStore(workspace.env_file).values()
    assert values[ACCOUNT_SID] == account and AUTH_TOKEN not in values
    assert "The account is kept" in _notebook_text(workspace, "00_start_here")
