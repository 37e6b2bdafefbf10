"""Notebooks 05 and 06 run headless through the real runner and papermill, against the sandbox.

Steps 01-04 are prepared directly on the sandbox database the runner will use (see
``fixtures_flow``), so these tests do not depend on the notebooks of other steps.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    CredentialStore,
    mask,
)
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.sandbox import SandboxServer, request_log, set_account, snapshot
from onboarding_helpers.steps.registry import HANDOFF, TEST_MESSAGE

from .conftest import ROOT
from .fixtures_flow import Flow, prepare_flow
from .secret_audit import leaks, run_leaks

pytestmark = pytest.mark.notebook


def _prepare(workspace, **options) -> Flow:
    db = workspace.sandbox_dir / "sandbox.sqlite3"
    with SandboxServer(db) as server:
        return prepare_flow(server.url, workspace.env_file, workspace.state_dir, **options)


def _sandbox(workspace):
    return SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3")


def test_05_and_06_send_check_like_postman_and_write_the_report(workspace):
    flow = _prepare(workspace)
    # -p turns +6581234567 into an int, as `make demo` users may type it: both must work.
    phone = ("-p", "test_phone", "+6581234567")
    done = workspace.cli("--only", "05", "--only", "06", *phone, "-p", "wait_seconds", "10")
    assert done.returncode == 0, done.stdout + done.stderr

    progress = ProgressRecord(workspace.state_dir)
    assert progress.read(TEST_MESSAGE).outcome == "delivered"
    handoff = progress.read(HANDOFF)
    assert handoff.status == "done" and handoff.postman_check == "passed"
    report = Path(handoff.report_path)
    assert report.exists() and flow.service_sid in report.read_text()

    with _sandbox(workspace) as server:
        rows = request_log(server.url, flow.account_sid)
    posts = [r for r in rows if r["method"] == "POST" and r["path"].endswith("/Messages.json")]
    by_step = {r["user_agent"].split("step/")[-1]: r for r in posts}
    postman = by_step["06_postman_handoff"]
    assert postman["auth_kind"] == "api_key" and postman["auth_username"] == flow.api_key_sid
    assert postman["form"]["From"] == flow.service_sid and postman["form"]["From"].startswith("MG")
    assert by_step["05_send_test_message"]["auth_kind"] == "auth_token"

    nb05 = (workspace.out_dir / "05_send_test_message.ipynb").read_text()
    nb06 = (workspace.out_dir / "06_postman_handoff.ipynb").read_text()
    assert "Message status: accepted" in nb05 and "Test message delivered" in nb05
    assert "Postman-equivalent check passed" in nb06 and f"Run report: {report}" in nb06
    assert "••••" + flow.api_secret[-4:] in nb06  # the card shows the secret masked only
    assert (
        run_leaks(
            flow.rb.store.path,
            [workspace.out_dir, workspace.state_dir, report],
            [done.stdout, done.stderr],
            also=flow.secrets,
        )
        == []
    )


def test_headless_without_test_phone_sends_nothing_but_hands_off(workspace):
    flow = _prepare(workspace)
    done = workspace.cli("--only", "05", "--only", "06")
    assert done.returncode == 0, done.stdout + done.stderr
    progress = ProgressRecord(workspace.state_dir)
    assert progress.read(TEST_MESSAGE).status == "skipped"
    assert progress.read(HANDOFF).postman_check == "not run"
    with _sandbox(workspace) as server:
        assert snapshot(server.url, flow.account_sid)["messages"] == []
    nb06 = (workspace.out_dir / "06_postman_handoff.ipynb").read_text()
    assert "nothing will be sent" in nb06 and "check was not run" in nb06
    assert "Run report: " in nb06
    assert workspace.leaks(done.stdout, done.stderr, also=flow.secrets) == []


def test_filtered_sender_id_stops_05_with_the_guide_advice(workspace):
    flow = _prepare(workspace)
    with _sandbox(workspace) as server:
        set_account(server.url, flow.account_sid, filtered_sender_ids=["GOVTECH"])
    done = workspace.cli("--only", "05", "--only", "06", "-r", "test_phone", "+6581234567")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Stopped at step 05_send_test_message" in done.stderr
    assert "30007" in done.stderr and "SGNIC" in done.stderr and "another agency" in done.stderr
    assert not (workspace.out_dir / "06_postman_handoff.ipynb").exists()
    assert workspace.leaks(done.stdout, done.stderr, also=flow.secrets) == []


@pytest.mark.parametrize("notebook", ["05_send_test_message", "06_postman_handoff"])
def test_form_path_builds_under_plain_papermill(workspace, sandbox, notebook):
    """headless=False: the form cell runs in a real kernel, sends nothing, and shows no secret."""
    flow = prepare_flow(sandbox.url, workspace.env_file, workspace.state_dir)
    out = workspace.root / f"{notebook}.ipynb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env["ONBOARDING_TWILIO_BASE_URL"] = sandbox.url
    parameters = {
        "env_file": str(workspace.env_file),
        "state_dir": str(workspace.state_dir),
        "mode": "sandbox",
    }
    command = [sys.executable, "-m", "papermill", f"notebooks/{notebook}.ipynb", str(out)]
    command += [arg for name, value in parameters.items() for arg in ("-p", name, value)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "application/vnd.jupyter.widget-view+json" in out.read_text()
    assert snapshot(sandbox.url, flow.account_sid)["messages"] == []
    assert leaks(flow.secrets, [out, workspace.state_dir], [done.stdout, done.stderr]) == []


# ---------------------------------------------------------------- the whole run, per Postman


def _card(done) -> str:
    """The hand-off card the runner printed at the end of the run."""
    return done.stdout[done.stdout.index("Hand-off card") :]


def test_a_full_v2_run_hands_off_to_internal_staff_with_the_expected_sender_name(workspace):
    done = workspace.cli(
        "-p", "sender_id", "GOVTECH", "-r", "test_phone", "+6581234567", "-r", "postman", "v2"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    store = CredentialStore(workspace.env_file)
    values = store.values()
    card = _card(done)
    assert "Postman v2" in card and "Internal Staff" in card
    assert "Expected Sender Name  GOVTECH" in card and "Credential label" not in card
    for name in (ACCOUNT_SID, API_KEY_SID, MESSAGING_SERVICE_SID):
        assert values[name] in card
    assert mask(values[API_KEY_SECRET]) in card

    handoff = ProgressRecord(workspace.state_dir).read(HANDOFF)
    assert handoff.postman == "v2" and handoff.postman_check == "passed"
    report = Path(handoff.report_path).read_text()
    assert "| Channel type | `Internal Staff` |" in report
    assert "| Expected Sender Name | `GOVTECH` |" in report and "Credential label" not in report
    nb06 = (workspace.out_dir / "06_postman_handoff.ipynb").read_text()
    assert "Expected Sender Name" in nb06 and "Credential label" not in nb06
    assert leaks(store.secrets(), [workspace.out_dir, workspace.state_dir], [done.stdout]) == []


def test_a_full_run_without_postman_keeps_the_legacy_card_with_a_label(workspace):
    done = workspace.cli("-p", "sender_id", "GOVTECH", "-r", "test_phone", "+65 9900 1234")
    assert done.returncode == 0, done.stdout + done.stderr
    card = _card(done)
    assert "Settings > Credentials" in card and "Credential label (suggested)  postman-sms" in card
    assert "Expected Sender Name" not in card and "Internal Staff" not in card
    # +65 9900 1234: a number Postman takes that python-phonenumbers calls unallocated.
    nb05 = (workspace.out_dir / "05_send_test_message.ipynb").read_text()
    assert "does not list as given out yet" in nb05 and "Test message delivered" in nb05
    store = CredentialStore(workspace.env_file)
    assert leaks(store.secrets(), [workspace.out_dir, workspace.state_dir], [done.stdout]) == []


def test_forget_auth_token_leaves_a_0600_env_file_without_it_and_06_still_passes(workspace):
    flow = _prepare(workspace)
    phone = ("-r", "test_phone", "+6581234567")
    done = workspace.cli("--only", "05", "--only", "06", *phone, "-p", "forget_auth_token", "True")
    assert done.returncode == 0, done.stdout + done.stderr
    env = workspace.env_file
    assert "TWILIO_AUTH_TOKEN" not in env.read_text()
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    assert AUTH_TOKEN not in CredentialStore(env).values()
    assert f"{AUTH_TOKEN} is not in the env file." in done.stdout
    nb06 = (workspace.out_dir / "06_postman_handoff.ipynb").read_text()
    assert "The Auth Token was removed from the env file (no copy kept)" in nb06

    again = workspace.cli("--only", "06", "-r", "test_phone", "+6581234567")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Postman-equivalent check: passed" in again.stdout
    rerun_05 = workspace.cli("--only", "05", "-r", "test_phone", "+6581234567")
    assert rerun_05.returncode == 0, rerun_05.stderr  # reuses the delivered message
    new_phone = workspace.cli("--only", "05", "-r", "test_phone", "+6598765432")
    assert new_phone.returncode == 1 and AUTH_TOKEN in new_phone.stderr  # a new send needs it
    texts = [r.stdout + r.stderr for r in (done, again, rerun_05, new_phone)]
    assert leaks(flow.secrets, [workspace.out_dir, workspace.state_dir], texts) == []
