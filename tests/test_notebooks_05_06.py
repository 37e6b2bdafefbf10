"""Notebooks 05 and 06: their wiring run headless through the real runner and papermill (and
their form path under plain papermill), against the sandbox; the paths through the steps (no
phone, a filtered Sender ID, each Postman's card, the Auth Token put away) in-process.

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
    mask,
)
from onboarding_helpers.errors import StepBlocked, TwilioActionError
from onboarding_helpers.messages import before_send_panel
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.report import handoff_summary
from onboarding_helpers.sandbox import SandboxServer, request_log, set_account, snapshot
from onboarding_helpers.steps.handoff import hand_off
from onboarding_helpers.steps.handoff import panel as handoff_panel
from onboarding_helpers.steps.registry import HANDOFF, TEST_MESSAGE
from onboarding_helpers.steps.start import start
from onboarding_helpers.steps.test_message import panel as message_panel
from onboarding_helpers.steps.test_message import send_test_message

from .conftest import ROOT
from .fixtures_flow import SG_MOBILE, Flow, flow_fixture, prepare_flow  # noqa: F401
from .secret_audit import leaks, run_leaks


def _prepare(workspace, **options) -> Flow:
    db = workspace.sandbox_dir / "sandbox.sqlite3"
    with SandboxServer(db) as server:
        return prepare_flow(server.url, workspace.env_file, workspace.state_dir, **options)


def _sandbox(workspace):
    return SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3")


FOLLOW = {"wait_seconds": 10}  # the flow fixture makes the first look at a message quick


@pytest.mark.notebook
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
    # After the run, the runner prints the card for the Postman in use (legacy: none chosen).
    card = _card(done)
    assert "Settings > Credentials" in card and "Credential label (suggested)  postman-sms" in card
    assert flow.service_sid in card and mask(flow.api_secret) in card
    assert (
        run_leaks(
            flow.rb.store.path,
            [workspace.out_dir, workspace.state_dir, report],
            [done.stdout, done.stderr],
            also=flow.secrets,
        )
        == []
    )


def test_without_a_test_phone_05_sends_nothing_and_06_hands_off(flow):
    f = flow()
    assert "nothing will be sent" in str(before_send_panel(f.rb, ""))
    assert send_test_message(f.rb, "").outcome == "skipped"
    result = hand_off(f.rb, "")
    assert f.rb.progress.read(TEST_MESSAGE).status == "skipped"
    assert f.rb.progress.read(HANDOFF).postman_check == "not run"
    assert snapshot(f.url, f.account_sid)["messages"] == []
    shown = str(handoff_panel(result))
    assert "check was not run" in shown and str(result.report_path) in shown
    assert result.report_path.exists()
    assert leaks(f.secrets, [f.rb.settings.state_dir], [shown]) == []


def test_filtered_sender_id_stops_05_with_the_guide_advice(flow):
    f = flow()
    set_account(f.url, f.account_sid, filtered_sender_ids=["GOVTECH"])
    with pytest.raises(TwilioActionError) as caught:
        send_test_message(f.rb, SG_MOBILE, **FOLLOW)
    err = caught.value
    assert err.code == 30007 and err.field == "Sender ID"
    assert "SGNIC" in err.advice and "another agency" in err.advice
    assert f.rb.progress.read(TEST_MESSAGE).status == "failed"
    assert leaks(f.secrets, [f.rb.settings.state_dir], [str(err)]) == []


@pytest.mark.notebook
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


# ---------------------------------------------------------------- each Postman's card, in-process


def _card(done) -> str:
    """The hand-off card the runner printed at the end of the run."""
    return done.stdout[done.stdout.index("Hand-off card") :]


def _summary(f: Flow) -> str:
    """What the runner prints after step 06 (its ``after_run``): the card, as in ``_card``."""
    return "\n".join(handoff_summary(f.rb.settings.env_file, f.rb.settings.state_dir))


def test_v2_chosen_at_step_00_hands_off_to_internal_staff_with_the_expected_sender_name(flow):
    f = flow()
    start(f.rb, postman="v2")  # step 00's choice, as -r postman v2 makes it
    send_test_message(f.rb, SG_MOBILE, **FOLLOW)
    result = hand_off(f.rb, SG_MOBILE, **FOLLOW)

    values = f.rb.store.values()
    card = _summary(f)
    assert "Postman v2" in card and "Internal Staff" in card
    assert "Expected Sender Name  GOVTECH" in card and "Credential label" not in card
    for name in (ACCOUNT_SID, API_KEY_SID, MESSAGING_SERVICE_SID):
        assert values[name] in card
    assert mask(values[API_KEY_SECRET]) in card
    handoff = f.rb.progress.read(HANDOFF)
    assert handoff.postman == "v2" and handoff.postman_check == "passed"
    report = result.report_path.read_text()
    assert "| Channel type | `Internal Staff` |" in report
    assert "| Expected Sender Name | `GOVTECH` |" in report and "Credential label" not in report
    shown = str(handoff_panel(result))
    assert "Expected Sender Name" in shown and "Credential label" not in shown
    assert leaks(f.secrets, [f.rb.settings.state_dir], [card, shown]) == []


def test_without_a_postman_chosen_the_legacy_card_has_a_label(flow):
    f = flow()
    start(f.rb)  # no postman given: legacy
    # +65 9900 1234: a number Postman takes that python-phonenumbers calls unallocated.
    sent = send_test_message(f.rb, "+65 9900 1234", **FOLLOW)
    assert sent.outcome == "delivered"
    assert "does not list as given out yet" in str(message_panel(sent))
    hand_off(f.rb, "+65 9900 1234", **FOLLOW)
    card = _summary(f)
    assert "Settings > Credentials" in card and "Credential label (suggested)  postman-sms" in card
    assert "Expected Sender Name" not in card and "Internal Staff" not in card
    assert leaks(f.secrets, [f.rb.settings.state_dir], [card]) == []


def test_forget_auth_token_leaves_a_0600_env_file_without_it_and_06_still_passes(flow):
    f = flow()
    send_test_message(f.rb, SG_MOBILE, **FOLLOW)
    result = hand_off(f.rb, SG_MOBILE, forget_auth_token=True, **FOLLOW)
    env = f.rb.settings.env_file
    assert "TWILIO_AUTH_TOKEN" not in env.read_text()
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    assert AUTH_TOKEN not in f.rb.store.values()
    assert f"{AUTH_TOKEN} is not in the env file." in _summary(f)
    removed = "The Auth Token was removed from the env file (no copy kept)"
    assert removed in str(handoff_panel(result))

    assert hand_off(f.rb, SG_MOBILE, **FOLLOW).postman_check == "passed"
    again = send_test_message(f.rb, SG_MOBILE, **FOLLOW)  # reuses the delivered message
    assert again.outcome == "delivered" and len(snapshot(f.url, f.account_sid)["messages"]) == 2
    with pytest.raises(StepBlocked) as caught:
        send_test_message(f.rb, "+6598765432", **FOLLOW)  # a new send needs it
    assert caught.value.field == AUTH_TOKEN
    texts = [_summary(f), str(handoff_panel(result)), str(caught.value)]
    assert leaks(f.secrets, [f.rb.settings.state_dir], texts) == []
