"""Change plans (``run --plan``, ``run --apply PLAN``): a plan reads only and writes nothing but its
two files; applying it makes exactly the approved changes; a plan the account outgrew is refused,
naming what changed. Counted from the sandbox's request log, by an oracle of this module's own
(not the gateway's classifier under test)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import papermill
import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN, CredentialStore
from onboarding_helpers.journal import PlanApplying, PlannedChangeMade
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runbook import BASE_URL_VARIABLE, INSECURE_VARIABLE
from onboarding_helpers.runner.change import make_plan_files
from onboarding_helpers.sandbox import SandboxServer, provision_account, request_log
from onboarding_helpers.twilio_gateway import make_client

from .conftest import ROOT, Workspace, cli_environment
from .secret_audit import run_leaks

pytestmark = pytest.mark.notebook

PHONE = "+6581234567"
# What each changing request of the runbook does, as Twilio's API reference names them.
ORACLE = (
    ("POST", r"/2010-04-01/Accounts/AC\w+/Keys\.json", "create", "api_key"),
    ("POST", r"/v1/Keys", "create", "api_key"),
    ("DELETE", r"/v1/Keys/SK\w+", "revoke", "api_key"),
    ("POST", r"/v1/Services", "create", "messaging_service"),
    ("POST", r"/v1/Services/MG\w+/AlphaSenders", "add", "alpha_sender"),
    ("POST", r"/v1/Services/MG\w+/PhoneNumbers", "add", "service_number"),
    ("POST", r"/2010-04-01/Accounts/AC\w+/IncomingPhoneNumbers\.json", "buy", "phone_number"),
    ("POST", r"/2010-04-01/Accounts/AC\w+/Messages\.json", "send", "message"),
)


def changes_in(rows: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """The (action, kind) of every request in ``rows`` that is not a GET; an unknown one as
    ("?", "METHOD path") so that it shows in a failed comparison."""
    found: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row["method"] == "GET":
            continue
        match = [
            (a, k) for m, p, a, k in ORACLE if m == row["method"] and re.fullmatch(p, row["path"])
        ]
        found[match[0] if match else ("?", f"{row['method']} {row['path']}")] += 1
    return found


def log_of(ws: Workspace, account_sid: str) -> list[dict[str, Any]]:
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        return request_log(server.url, account_sid)


def state_bytes(ws: Workspace) -> dict[str, bytes]:
    """The env file, progress record and journal, byte for byte."""
    files = [ws.env_file, ws.state_dir / "progress.json", ws.state_dir / "journal.jsonl"]
    return {p.name: p.read_bytes() for p in files}


def plan_files(ws: Workspace) -> list[Path]:
    return sorted(ws.state_dir.glob("plan-*.json"))


def plan_in_process(ws: Workspace, **parameters: str) -> Path:
    """What ``run --plan`` writes, made in-process by the function behind it: set-up for tests
    whose subject comes after the plan (``--plan`` itself runs once, in ``applied``)."""
    _, path, _ = make_plan_files(
        mode="sandbox",
        env_file=str(ws.env_file),
        state_dir=str(ws.state_dir),
        sandbox_dir=str(ws.sandbox_dir),
        parameters=parameters,
        echo=lambda line: None,
    )
    return path


def add_service(ws: Workspace, name: str) -> str:
    values = CredentialStore(ws.env_file).values()
    with SandboxServer(ws.sandbox_dir / "sandbox.sqlite3") as server:
        client = make_client(
            values[ACCOUNT_SID], auth_token=values[AUTH_TOKEN], base_url=server.url
        )
        return client.messaging.v1.services.create(friendly_name=name).sid


@dataclass
class Applied:
    """A fresh practice account planned, the plan applied, then planned again."""

    ws: Workspace
    account_sid: str
    plan: dict[str, Any]
    plan_path: Path
    plan_stdout: str
    planned_requests: list[dict[str, Any]]
    before_plan: dict[str, bytes]
    after_plan: dict[str, bytes]
    apply_stdout: str
    applied_requests: list[dict[str, Any]]
    second: dict[str, Any]


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory, kernel_fork_server: str) -> Applied:
    ws = Workspace(tmp_path_factory.mktemp("applied"), kernel_fork_server)
    ws.env_file.parent.mkdir()
    ws.prepare("00")
    account_sid = CredentialStore(ws.env_file).values()[ACCOUNT_SID]
    before_log = len(log_of(ws, account_sid))
    before = state_bytes(ws)
    planned = ws.cli("--plan", "-r", "test_phone", PHONE)
    assert planned.returncode == 0, planned.stderr
    after = state_bytes(ws)
    middle = log_of(ws, account_sid)
    (path,) = plan_files(ws)
    applying = ws.cli("--apply", str(path))
    assert applying.returncode == 0, applying.stdout + applying.stderr
    applied_rows = log_of(ws, account_sid)[len(middle) :]
    second = json.loads(plan_in_process(ws, test_phone=PHONE).read_text(encoding="utf-8"))
    return Applied(
        ws,
        account_sid,
        json.loads(path.read_text(encoding="utf-8")),
        path,
        planned.stdout,
        middle[before_log:],
        before,
        after,
        applying.stdout,
        applied_rows,
        second,
    )


def test_a_plan_sends_only_get_requests_and_writes_nothing_but_its_files(applied):
    assert applied.planned_requests, "the plan read nothing: it proves nothing"
    assert {r["method"] for r in applied.planned_requests} == {"GET"}
    assert applied.after_plan == applied.before_plan  # env file, progress, journal: unchanged
    written = sorted(p.name for p in applied.ws.state_dir.glob("plan-*"))
    assert written[:2] == [applied.plan_path.name, applied.plan_path.with_suffix(".md").name]


def test_a_fresh_account_plans_the_set_up_with_its_billed_messages(applied):
    actions = [(a["step"][:2], a["action"], a["kind"]) for a in applied.plan["actions"]]
    assert ("02", "create", "api_key") in actions
    assert ("04", "create", "messaging_service") in actions
    assert ("04", "add", "alpha_sender") in actions
    sends = [a for a in applied.plan["actions"] if a["action"] == "send"]
    assert [a["billed"] for a in sends] == ["0.0415", "0.0415"]
    assert applied.plan["billed_total"] == "0.0830"
    assert applied.plan["parameters"]["test_phone"] == PHONE
    assert "+65 ••••4567" in sends[0]["name"]
    markdown = applied.plan_path.with_suffix(".md").read_text(encoding="utf-8")
    assert PHONE not in markdown and "+65 ••••4567" in markdown
    assert "GOVTECH" in markdown and "Checked only by acting" in markdown
    assert "--apply" in applied.plan_stdout and str(applied.plan_path) in applied.plan_stdout


def test_no_secret_in_the_plan_files(applied):
    files = sorted(applied.ws.state_dir.glob("plan-*"))
    assert len(files) == 4  # two plans, each .json and .md
    assert not run_leaks(applied.ws.env_file, files)


def test_apply_makes_exactly_the_planned_changes_counted_from_the_request_log(applied):
    planned = Counter((a["action"], a["kind"]) for a in applied.plan["actions"])
    planned = Counter({k: n for k, n in planned.items() if k[0] not in ("reuse", "none")})
    assert sum(planned.values()) == 5
    assert changes_in(applied.applied_requests) == planned
    assert "all 5 planned change(s) made, and no other" in applied.apply_stdout


def test_the_journal_names_the_plan_and_its_hash_with_each_action(applied):
    progress = ProgressRecord(applied.ws.state_dir)
    (begun,) = progress.events(PlanApplying)
    sha = begun.plan_sha256
    assert re.fullmatch(r"[0-9a-f]{64}", sha) and begun.plan == str(applied.plan_path)
    made = progress.events(PlannedChangeMade)
    assert len(made) == 5 and {e.plan_sha256 for e in made} == {sha}
    entries = [json.loads(line) for line in progress.journal_path.read_text().splitlines()]
    start = next(i for i, e in enumerate(entries) if e["action"] == PlanApplying.action)
    during = entries[start:]  # everything the apply journalled (a plan journals nothing)
    assert len(during) > 10 and all(e.get("plan_sha256") == sha for e in during)
    assert not any("plan_sha256" in e for e in entries[:start])


def test_a_plan_of_a_set_up_account_is_all_reuse_or_none(applied):
    assert {a["action"] for a in applied.second["actions"]} <= {"reuse", "none"}
    assert applied.second["billed_total"] == "0"
    kinds = {a["kind"] for a in applied.second["actions"] if a["action"] == "reuse"}
    assert {"account", "api_key", "messaging_service", "alpha_sender", "message"} <= kinds


def test_a_plan_made_before_a_service_was_added_is_refused_naming_it(workspace):
    workspace.prepare("00")
    path = plan_in_process(workspace)
    added = add_service(workspace, "Campaigns")
    account_sid = CredentialStore(workspace.env_file).values()[ACCOUNT_SID]
    before, mark = state_bytes(workspace), len(log_of(workspace, account_sid))
    executed = sorted(workspace.out_dir.glob("*.ipynb"))  # step 00's, above
    result = workspace.cli("--apply", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no longer holds" in result.stderr
    assert f"'Campaigns' ({added})" in result.stderr  # what changed: the new service, named
    assert {r["method"] for r in log_of(workspace, account_sid)[mark:]} == {"GET"}
    assert state_bytes(workspace) == before
    assert sorted(workspace.out_dir.glob("*.ipynb")) == executed


def test_apply_takes_the_plans_parameters_and_no_others(workspace):
    workspace.prepare("00")
    path = plan_in_process(workspace)
    before = state_bytes(workspace)
    result = workspace.cli("--apply", str(path), "-r", "test_phone", PHONE)
    assert result.returncode == 2 and re.search(r"-r: .*--apply", result.stderr)  # the option
    assert state_bytes(workspace) == before


# ---------------------------------------------------------------- live mode, against a local mock


def live_cli(ws: Workspace, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``run --live`` on this workspace, its Twilio requests sent to ``url`` on purpose."""
    cmd = [sys.executable, "-m", "onboarding_helpers", "run", "--live"]
    cmd += ["--env-file", str(ws.env_file), "--state-dir", str(ws.state_dir), *args]
    env = {**cli_environment(), BASE_URL_VARIABLE: url, INSECURE_VARIABLE: "1"}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_live_plan_against_a_local_mock_sends_only_get_requests(workspace, sandbox):
    account = provision_account(sandbox.url, friendly_name="Ministry of Live")
    store = CredentialStore(workspace.env_file, mode="live")
    store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})
    before = workspace.env_file.read_bytes()
    result = live_cli(workspace, sandbox.url, "--plan", "-r", "sender_id", "MYAGENCY")
    assert result.returncode == 0, result.stderr
    assert sandbox.url in result.stdout  # where the live requests go, said
    rows = request_log(sandbox.url, account["account_sid"])
    assert rows and {r["method"] for r in rows} == {"GET"}
    assert workspace.env_file.read_bytes() == before
    assert not (workspace.state_dir / "progress.json").exists()
    assert not (workspace.state_dir / "journal.jsonl").exists()
    (path,) = plan_files(workspace)
    plan = json.loads(path.read_text(encoding="utf-8"))
    assert plan["mode"] == "live" and plan["stop"] == ""
    assert [a["action"] for a in plan["actions"] if a["kind"] == "alpha_sender"] == ["add"]
    assert not run_leaks(workspace.env_file, [workspace.state_dir], [result.stdout])


def test_step_00_shows_the_live_plan_before_any_step_acts(workspace, sandbox, monkeypatch):
    account = provision_account(sandbox.url, friendly_name="Ministry of Live")
    store = CredentialStore(workspace.env_file, mode="live")
    store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})
    monkeypatch.setenv(BASE_URL_VARIABLE, sandbox.url)  # the kernel's environment
    monkeypatch.setenv(INSECURE_VARIABLE, "1")
    out = workspace.out_dir / "00_start_here.ipynb"
    out.parent.mkdir()
    parameters = {
        "mode": "live",
        "env_file": str(workspace.env_file),
        "state_dir": str(workspace.state_dir),
        "headless": False,  # as in JupyterLab: the forms are drawn, nobody presses them
    }
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "00_start_here.ipynb"),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    shown = out.read_text(encoding="utf-8")
    assert account["account_sid"] in shown and "create api_key" in shown  # the plan's rows
    rows = request_log(sandbox.url, account["account_sid"])
    assert rows and {r["method"] for r in rows} == {"GET"}
    assert not run_leaks(workspace.env_file, [out])


def test_a_sandbox_plan_reads_the_practice_account_and_never_makes_one(workspace):
    result = workspace.cli("--plan")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "env_file" in result.stderr and "run --sandbox --only 00" in result.stderr
    assert not workspace.env_file.exists() and not plan_files(workspace)
    started = workspace.cli("--plan", "--scenario", "trial-account")
    assert started.returncode == 2 and "cannot be planned" in started.stderr
    assert not workspace.env_file.exists() and not plan_files(workspace)
