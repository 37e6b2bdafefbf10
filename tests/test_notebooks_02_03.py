"""Notebooks 02 and 03: their wiring run headless through the real runner and papermill, against
the sandbox; a failure right after the key was made, and its re-run, in-process.

What headless runs here once proved is in-process elsewhere: a re-run reusing the pair and a
yes/no given as text refused (tests/test_api_key.py, ``test_second_run_reuses_the_pair_...`` and
``test_bad_parameters_are_refused_...``); a restricted key made, checked by 03 within its policy
and refused everything else (``test_restricted_key_...``, ``test_step_03_checks_a_restricted_...``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    CredentialStore,
)
from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.journal import Event, KeyCreated, KeyCreating, KeyReused
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runbook import Runbook
from onboarding_helpers.sandbox import SandboxServer, set_faults, snapshot
from onboarding_helpers.steps.api_key import set_up_api_key
from onboarding_helpers.steps.registry import API_KEY, SECRET_KEY
from onboarding_helpers.steps.secret_key import check_secret
from onboarding_helpers.twilio_gateway import make_client

from .secret_audit import run_leaks
from .test_api_key import actions, authenticates, keys, make_runbook


@pytest.fixture
def rb(tmp_path: Path, sandbox) -> Runbook:
    """Step 01 done on a new sandbox account, in-process."""
    return make_runbook(tmp_path, sandbox.url)


def _sandbox(workspace) -> SandboxServer:
    """A second server on the database the runner's server used (it stops with each run)."""
    return SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3")


def _keys(workspace) -> list[str]:
    account = CredentialStore(workspace.env_file).values()[ACCOUNT_SID]
    with _sandbox(workspace) as server:
        return [k["sid"] for k in snapshot(server.url, account)["keys"]]


def _pair_authenticates(workspace) -> bool:
    values = CredentialStore(workspace.env_file).values()
    with _sandbox(workspace) as server:
        client = make_client(
            values[ACCOUNT_SID],
            api_key_sid=values[API_KEY_SID],
            api_secret=values[API_KEY_SECRET],
            base_url=server.url,
        )
        client.messaging.v1.services.list(limit=1)  # raises if the pair is refused
    return True


def _audit(workspace, *texts: str) -> list[str]:
    assert len(CredentialStore(workspace.env_file).secrets()) == 2  # Auth Token, API secret
    return workspace.leaks(*texts)


def _journal(workspace, step=API_KEY) -> list[type[Event]]:
    """The kinds of the step's journal events, oldest first."""
    return [type(e) for e in ProgressRecord(workspace.state_dir).events(step=step)]


@pytest.mark.notebook
def test_headless_02_03_saves_a_working_pair(workspace):
    workspace.prepare("00", "01")
    done = workspace.cli("--only", "02", "--only", "03")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "02_api_key" in done.stdout and "03_secret_key" in done.stdout

    values = CredentialStore(workspace.env_file).values()
    assert values[API_KEY_SID].startswith("SK") and len(values[API_KEY_SECRET]) == 32
    assert stat.S_IMODE(os.stat(workspace.env_file).st_mode) == 0o600
    assert _pair_authenticates(workspace)
    progress = ProgressRecord(workspace.state_dir)
    assert progress.read(API_KEY).how == "created"
    assert progress.read(SECRET_KEY).verified is True
    assert _journal(workspace) == [KeyCreating, KeyCreated]
    executed = (workspace.out_dir / "03_secret_key.ipynb").read_text()
    assert "stored safely" in executed and "••••" + values[API_KEY_SECRET][-4:] in executed
    assert _keys(workspace) == [values[API_KEY_SID]]

    # The retired replacement flags are no parameters any more: one rotation path, step 07.
    retired = workspace.cli("--only", "02", "-p", "replace_key", "True")
    assert retired.returncode == 2 and "replace_key" in retired.stderr
    assert _keys(workspace) == [values[API_KEY_SID]]
    assert _audit(workspace, done.stdout, done.stderr, retired.stdout, retired.stderr) == []


def test_failure_right_after_key_creation_loses_nothing_and_duplicates_nothing(rb):
    # The first request after the key is created (step 03's check) is refused.
    set_faults(rb.base_url, "* .", status=401, code=20003, after=r"POST /Keys\.json$")
    made = set_up_api_key(rb)

    with pytest.raises(TwilioActionError) as caught:
        check_secret(rb)

    assert caught.value.code == 20003 and "NOT accepted" in caught.value.message
    saved = rb.store.values()
    assert saved[API_KEY_SID] == made.key_sid and saved[API_KEY_SECRET]  # saved before it
    assert keys(rb) == [made.key_sid]
    assert rb.progress.read(SECRET_KEY).verified is False

    again = set_up_api_key(rb)
    checked = check_secret(rb)

    assert again.how == "reused" and checked.verified
    assert rb.store.values() == saved and keys(rb) == [made.key_sid]
    assert actions(rb) == [KeyCreating, KeyCreated, KeyReused]
    assert rb.progress.read(API_KEY).orphans == []
    assert authenticates(rb, saved[API_KEY_SID], saved[API_KEY_SECRET])
    assert run_leaks(rb.store.path, [rb.settings.state_dir], [str(caught.value)]) == []
