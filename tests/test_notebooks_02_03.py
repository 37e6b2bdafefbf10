"""Notebooks 02 and 03 run headless through the real runner and papermill, against the sandbox."""

from __future__ import annotations

import os
import stat

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
from onboarding_helpers.sandbox import SandboxServer, set_faults, snapshot
from onboarding_helpers.steps.registry import API_KEY, SECRET_KEY
from onboarding_helpers.twilio_gateway import call, make_client

pytestmark = pytest.mark.notebook

STEPS_00_03 = ("--only", "00", "--only", "01", "--only", "02", "--only", "03")


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


def test_headless_00_03_saves_a_working_pair_and_a_rerun_reuses_it(workspace):
    done = workspace.cli(*STEPS_00_03)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "02_api_key" in done.stdout and "03_secret_key" in done.stdout

    values = CredentialStore(workspace.env_file).values()
    assert values[API_KEY_SID].startswith("SK") and len(values[API_KEY_SECRET]) == 32
    assert stat.S_IMODE(os.stat(workspace.env_file).st_mode) == 0o600
    assert _pair_authenticates(workspace)
    progress = ProgressRecord(workspace.state_dir)
    assert progress.read(API_KEY).how == "created"
    assert progress.read(SECRET_KEY).verified is True
    executed = (workspace.out_dir / "03_secret_key.ipynb").read_text()
    assert "stored safely" in executed and "••••" + values[API_KEY_SECRET][-4:] in executed
    assert _keys(workspace) == [values[API_KEY_SID]]

    again = workspace.cli("--only", "02")
    assert again.returncode == 0, again.stderr
    assert _keys(workspace) == [values[API_KEY_SID]]
    assert _journal(workspace) == [KeyCreating, KeyCreated, KeyReused]
    assert CredentialStore(workspace.env_file).values() == values

    # A yes/no parameter passed as text is refused, not read as True.
    refused = workspace.cli("--only", "02", "-r", "revoke_orphan_keys", "False")
    assert refused.returncode == 1
    assert "revoke_orphan_keys: must be True or False" in refused.stderr
    assert _keys(workspace) == [values[API_KEY_SID]]
    # The retired replacement flags are no parameters any more: one rotation path, step 07.
    retired = workspace.cli("--only", "02", "-p", "replace_key", "True")
    assert retired.returncode == 2 and "replace_key" in retired.stderr
    assert _keys(workspace) == [values[API_KEY_SID]]

    texts = [done.stdout, done.stderr, again.stdout, again.stderr, refused.stderr, retired.stderr]
    assert _audit(workspace, *texts) == []


def test_failure_right_after_key_creation_loses_nothing_and_duplicates_nothing(workspace):
    workspace.prepare("00")
    with _sandbox(workspace) as server:
        # The first request after the key is created (step 03's check) is refused.
        set_faults(server.url, "* .", status=401, code=20003, after=r"POST /Keys\.json$")

    failed = workspace.cli(*STEPS_00_03)

    assert failed.returncode == 1
    assert "Stopped at step 03_secret_key" in failed.stderr and "NOT accepted" in failed.stderr
    saved = CredentialStore(workspace.env_file).values()
    assert saved[API_KEY_SID] and saved[API_KEY_SECRET]  # saved before the failure
    assert _keys(workspace) == [saved[API_KEY_SID]]
    assert ProgressRecord(workspace.state_dir).read(SECRET_KEY).verified is False

    rerun = workspace.cli(*STEPS_00_03)

    assert rerun.returncode == 0, rerun.stderr
    assert CredentialStore(workspace.env_file).values() == saved
    assert _keys(workspace) == [saved[API_KEY_SID]]
    assert _journal(workspace) == [KeyCreating, KeyCreated, KeyReused]
    assert ProgressRecord(workspace.state_dir).read(API_KEY).orphans == []
    assert _pair_authenticates(workspace)
    assert _audit(workspace, failed.stdout, failed.stderr, rerun.stdout, rerun.stderr) == []


def test_headless_restricted_key_is_checked_within_its_policy(workspace):
    bad = workspace.cli(*STEPS_00_03, "-r", "api_key_type", "main")
    assert bad.returncode == 1 and "api_key_type" in bad.stderr and "Use 'standard'" in bad.stderr
    assert CredentialStore(workspace.env_file).get(API_KEY_SID) is None  # nothing was made

    done = workspace.cli(*STEPS_00_03, "-r", "api_key_type", "restricted")

    assert done.returncode == 0, done.stdout + done.stderr
    values = CredentialStore(workspace.env_file).values()
    with _sandbox(workspace) as server:
        [key] = snapshot(server.url, values[ACCOUNT_SID])["keys"]
        client = make_client(
            values[ACCOUNT_SID],
            api_key_sid=values[API_KEY_SID],
            api_secret=values[API_KEY_SECRET],
            base_url=server.url,
        )
        with pytest.raises(TwilioActionError) as outside:
            call("list numbers", client.incoming_phone_numbers.list, limit=1)  # not in its policy
    assert key["sid"] == values[API_KEY_SID] and key["key_type"] == "restricted"
    assert outside.value.code == 70051
    progress = ProgressRecord(workspace.state_dir)
    assert progress.read(API_KEY).key_type == "restricted"
    assert progress.read(SECRET_KEY).verified is True
    executed = (workspace.out_dir / "03_secret_key.ipynb").read_text()
    assert "Restricted" in executed and "stored safely" in executed
    assert _audit(workspace, done.stdout, done.stderr, bad.stderr) == []
