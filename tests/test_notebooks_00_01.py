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

from .conftest import ROOT
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
    step = ProgressRecord(workspace.state_dir).step("01_account_sid")
    assert step["status"] == "done" and step["type"] == "Full"

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
    assert workspace.cli("--only", "00").returncode == 0
    _expect_step_01_stops(
        workspace,
        "-p", "account_sid", "AC123",
        fragments=["Account SID", "has 5 characters", "nothing was cut off"],
    )  # fmt: skip


def test_wrong_auth_token_stops_01(workspace):
    assert workspace.cli("--only", "00").returncode == 0
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
    assert workspace.cli("--only", "00").returncode == 0
    with SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3") as server:
        set_account(server.url, _sandbox_account(workspace), **change)
    _expect_step_01_stops(workspace, fragments=fragments)
    assert ProgressRecord(workspace.state_dir).step("01_account_sid")["status"] == "blocked"


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
    done = subprocess.run(
        [
            sys.executable, "-m", "papermill", "notebooks/01_account_sid.ipynb", str(out),
            "-p", "headless", "True", "-p", "env_file", str(workspace.env_file),
            "-p", "state_dir", str(workspace.state_dir), "-p", "mode", "sandbox",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Account checked" in out.read_text()
    texts = [done.stdout, done.stderr]
    assert leaks([account["auth_token"]], [out, workspace.state_dir], texts) == []
