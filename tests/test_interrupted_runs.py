"""Interrupted runs: the runner killed (SIGKILL to its process group) mid-step at three points,
then run again until done: nothing duplicated, no secret lost or leaked, no kernel left behind.
And two runs at once on one state folder: the second is refused, the first completes intact.

One workspace goes through every point in turn, so the test costs four runs, not six, and the
runs in between take only the steps up to their kill point (``--only``):

1. the whole flow, killed once the journal holds ``KeyCreated`` (step 02, the secret just saved);
2. steps 03-04, killed once it holds ``ServiceCreated`` (before the alpha sender);
3. steps 04-05, killed once 05 journalled ``MessageSent`` (while it follows the SMS);
4. the whole flow to the end, while a second runner on the same state folder is refused.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.journal import (
    Event,
    KeyCreated,
    MessageSent,
    MessageStatus,
    ServiceCreated,
)
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.sandbox import SandboxServer, provision_account, set_account, snapshot
from onboarding_helpers.steps.registry import (
    ACCOUNT,
    API_KEY,
    HANDOFF,
    MESSAGING_SERVICE,
    TEST_MESSAGE,
    Step,
)
from onboarding_helpers.twilio_gateway import make_client

from .conftest import ROOT, Workspace
from .secret_audit import leaks

pytestmark = pytest.mark.notebook

SENDER = ("-p", "sender_id", "GOVTECH")
PHONE = ("-r", "test_phone", "+6581234567", "-p", "wait_seconds", "20")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}


def start_run(ws: Workspace, *args: str, out: Path | None = None) -> subprocess.Popen[str]:
    where = {
        "--out": out or ws.out_dir,
        "--env-file": ws.env_file,
        "--state-dir": ws.state_dir,
        "--sandbox-dir": ws.sandbox_dir,
    }
    cmd = [sys.executable, "-m", "onboarding_helpers", "run", "--sandbox"]
    cmd += [part for option, path in where.items() for part in (option, str(path))]
    cmd += args or (*SENDER, *PHONE)
    # A session of its own: os.killpg reaches the runner and everything in its group.
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _journal(ws: Workspace) -> list[Event]:
    return ProgressRecord(ws.state_dir).events()


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def kill_when(
    proc: subprocess.Popen[str], ws: Workspace, seen: Callable[[list[Event]], bool]
) -> tuple[str, str, list[int]]:
    """SIGKILL the runner's process group as soon as the journal shows ``seen``.

    Returns its output and the kernels that outlived it by 5 s (should be none: each kernel
    watches its parent and exits within about a second of losing it).
    """
    deadline = time.monotonic() + 120
    while not seen(_journal(ws)):
        assert proc.poll() is None, "the run ended before the kill point: " + proc.stderr.read()
        assert time.monotonic() < deadline, "the kill point never came"
        time.sleep(0.02)
    kernels = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    os.killpg(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert kernels, "no kernel was running at the kill point"
    gone_by = time.monotonic() + 5
    while _alive(kernels) and time.monotonic() < gone_by:
        time.sleep(0.1)
    return out, err, _alive(kernels)


def journalled(kind: type[Event], step: Step) -> Callable[[list[Event]], bool]:
    """Whether the journal holds an event of this kind written by this step."""
    return lambda events: any(isinstance(e, kind) and e.step == step.id for e in events)


def _prepare(ws: Workspace) -> str:
    """A sandbox account whose SMS take ~3 s to be delivered, so step 05 can be caught while
    it follows one, and its kernel (which outlives the runner by up to a second) cannot see
    the delivery before it dies."""
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        account = provision_account(server.url)
        set_account(server.url, account["account_sid"], message_step_seconds=0.75)
    CredentialStore(ws.env_file, mode="sandbox").save(
        {ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]}
    )
    return account["account_sid"]


def test_killed_at_three_points_then_rerun_finishes_with_nothing_lost_duplicated_or_leaked(
    workspace,
):
    ws = workspace
    account_sid = _prepare(ws)
    texts: list[str] = []
    leftover: list[int] = []
    for args, point in (
        ((*SENDER, *PHONE), journalled(KeyCreated, API_KEY)),
        (("--only", "03", "--only", "04", *SENDER), journalled(ServiceCreated, MESSAGING_SERVICE)),
        (("--only", "04", "--only", "05", *SENDER, *PHONE), journalled(MessageSent, TEST_MESSAGE)),
    ):
        out, err, alive = kill_when(start_run(ws, *args), ws, point)
        texts += [out, err]
        leftover += alive
    # The stopped 05 never learnt the outcome: the next run must follow, not send again.
    assert not journalled(MessageStatus, TEST_MESSAGE)(_journal(ws))
    assert leftover == [], f"kernels outlived the killed runner: {leftover}"
    env = CredentialStore(ws.env_file).values()
    assert env.get(API_KEY_SID) and env.get(API_KEY_SECRET)  # saved before the first kill
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:  # 06's SMS: no waiting
        set_account(server.url, account_sid, message_step_seconds=0.05)

    # The last run, and a second runner on the same state folder at the same time.
    last = start_run(ws)
    deadline = time.monotonic() + 60
    lock = ws.state_dir / "run.lock"
    while not (lock.exists() and lock.read_text().startswith(f"pid {last.pid}, headless run")):
        assert last.poll() is None and time.monotonic() < deadline, last.stderr.read()
        time.sleep(0.02)
    other_out = ws.root / "other-out"
    second = start_run(ws, *SENDER, *PHONE, out=other_out)
    s_out, s_err = second.communicate(timeout=60)
    assert second.returncode == 2, s_out + s_err
    assert "Another runbook run or notebook is using the" in s_err and str(last.pid) in s_err
    assert not other_out.exists()  # refused before writing anything
    out, err = last.communicate(timeout=240)
    texts += [out, err, s_out, s_err]
    assert last.returncode == 0, out + err

    # Uncorrupted: the record parses (read() refuses a damaged one) and every step is done; the
    # journal has no torn lines.
    progress = ProgressRecord(ws.state_dir)
    assert all(progress.read(step).done for step in (ACCOUNT, API_KEY))
    assert progress.read(HANDOFF).postman_check == "passed"
    lines = progress.journal_path.read_text().splitlines()
    assert all(json.loads(line) for line in lines)
    journal = progress.events()

    values = CredentialStore(ws.env_file).values()
    assert stat.S_IMODE(os.stat(ws.env_file).st_mode) == 0o600
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        snap = snapshot(server.url, values[ACCOUNT_SID])
        client = make_client(
            values[ACCOUNT_SID],
            api_key_sid=values[API_KEY_SID],
            api_secret=values[API_KEY_SECRET],
            base_url=server.url,
        )
        client.incoming_phone_numbers.list(limit=1)  # the saved pair works (raises if not)

    # Nothing duplicated: one key (the saved one), one service with one Sender ID, and one SMS
    # from 05 (the stopped run's, followed to the end by the next) plus one from 06.
    assert [k["sid"] for k in snap["keys"]] == [values[API_KEY_SID]]
    [service] = snap["services"]
    assert service["sid"] == values["TWILIO_MESSAGING_SERVICE_SID"]
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]
    sent_05 = [e for e in journal if isinstance(e, MessageSent) and e.step == TEST_MESSAGE.id]
    assert len({e.message_sid for e in sent_05}) == 1
    assert sorted(m["body"][:30] for m in snap["messages"]) == sorted(
        ["Postman onboarding runbook (st", "Test from the Postman onboardi"]
    )
    assert progress.read(TEST_MESSAGE).message_sid == sent_05[0].message_sid

    # No secret anywhere the runs wrote, nor in what they printed.
    secrets = [values[AUTH_TOKEN], values[API_KEY_SECRET]]
    assert leaks(secrets, [ws.out_dir, ws.state_dir], texts) == []


def test_the_audit_finds_a_secret_hidden_in_notebook_widget_state(tmp_path):
    """Not vacuous: a secret in ``metadata.widgets`` (saved widget state), in a widget's output,
    or base64-encoded is found; the audit searches whole files."""
    secret = "Zq8" + "x" * 26 + "Yw1"
    notebook = {
        "cells": [],
        "metadata": {
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "state": {"abc": {"model_name": "PasswordModel", "state": {"value": secret}}}
                }
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "out" / "02_api_key.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(notebook))
    assert leaks([secret], [tmp_path / "out"]) == [str(path)]
    import base64

    encoded = tmp_path / "blob.txt"
    for prefix in ("", "A", "AC" + "0" * 32 + ":"):  # each alignment, e.g. a Basic auth header
        encoded.write_bytes(b"Basic " + base64.b64encode(f"{prefix}{secret}".encode()))
        assert leaks([secret], [encoded]) == [str(encoded)], prefix
    assert leaks([secret], [], [f"stderr: {secret}"]) == ["<text 0>"]
    with pytest.raises(AssertionError, match="proves nothing"):
        leaks([""], [tmp_path])
