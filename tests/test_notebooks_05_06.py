"""Notebooks 05 and 06 run headless through the real runner and papermill, against the sandbox.

Steps 01-04 are prepared directly on the sandbox database the runner will use (see
``fixtures_flow``), so these tests do not depend on the notebooks of other steps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.sandbox import SandboxServer, request_log, set_account, snapshot
from onboarding_helpers.steps.registry import HANDOFF, TEST_MESSAGE

from .conftest import ROOT
from .fixtures_flow import Flow, prepare_flow
from .secret_audit import leaks

pytestmark = pytest.mark.notebook


def _prepare(workspace, **options) -> Flow:
    db = workspace.sandbox_dir / "sandbox.sqlite3"
    with SandboxServer(db) as server:
        return prepare_flow(server.url, workspace.env_file, workspace.state_dir, **options)


def _sandbox(workspace):
    return SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3")


def _audit(flow: Flow, workspace, done, *extra: Path) -> None:
    roots = [workspace.out_dir, workspace.state_dir, *extra]
    assert leaks(flow.secrets, roots, texts=[done.stdout, done.stderr]) == []


def test_05_and_06_send_check_like_postman_and_write_the_report(workspace):
    flow = _prepare(workspace)
    # -p turns +6581234567 into an int, as `make demo` users may type it: both must work.
    done = workspace.cli(
        "--only", "05", "--only", "06", "-p", "test_phone", "+6581234567",
        "-p", "wait_seconds", "10",
    )  # fmt: skip
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
    _audit(flow, workspace, done, report)


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
    _audit(flow, workspace, done)


def test_filtered_sender_id_stops_05_with_the_guide_advice(workspace):
    flow = _prepare(workspace)
    with _sandbox(workspace) as server:
        set_account(server.url, flow.account_sid, filtered_sender_ids=["GOVTECH"])
    done = workspace.cli("--only", "05", "--only", "06", "-r", "test_phone", "+6581234567")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Stopped at step 05_send_test_message" in done.stderr
    assert "30007" in done.stderr and "SGNIC" in done.stderr and "another agency" in done.stderr
    assert not (workspace.out_dir / "06_postman_handoff.ipynb").exists()
    _audit(flow, workspace, done)


@pytest.mark.parametrize("notebook", ["05_send_test_message", "06_postman_handoff"])
def test_form_path_builds_under_plain_papermill(workspace, sandbox, notebook):
    """headless=False: the form cell runs in a real kernel, sends nothing, and shows no secret."""
    flow = prepare_flow(sandbox.url, workspace.env_file, workspace.state_dir)
    out = workspace.root / f"{notebook}.ipynb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env["ONBOARDING_TWILIO_BASE_URL"] = sandbox.url
    done = subprocess.run(
        [
            sys.executable, "-m", "papermill", f"notebooks/{notebook}.ipynb", str(out),
            "-p", "env_file", str(workspace.env_file), "-p", "state_dir", str(workspace.state_dir),
            "-p", "mode", "sandbox",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "application/vnd.jupyter.widget-view+json" in out.read_text()
    assert snapshot(sandbox.url, flow.account_sid)["messages"] == []
    assert leaks(flow.secrets, [out, workspace.state_dir], [done.stdout, done.stderr]) == []
