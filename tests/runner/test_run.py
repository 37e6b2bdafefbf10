"""``run()``: settings and the kernels' environment built explicitly, checks before anything is
written, and the after-run hook taken from the registry."""

from __future__ import annotations

import importlib
import json
import os
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

from onboarding_helpers import locks
from onboarding_helpers.errors import InputError
from onboarding_helpers.journal import StepRecord
from onboarding_helpers.runbook import BASE_URL_VARIABLE
from onboarding_helpers.runner import (
    RunReport,
    StepOutcome,
    kernel_environment,
    run,
    settings_for_run,
)
from onboarding_helpers.runner.run import after_run_lines
from onboarding_helpers.steps.registry import HANDOFF, STEPS, Step

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_environ(monkeypatch):
    """No ONBOARDING_* of the caller's: the run's own values must come from its arguments."""
    for name in [n for n in os.environ if n.startswith("ONBOARDING_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)


def test_settings_come_from_the_arguments_relative_to_the_current_folder(
    clean_environ, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    settings = settings_for_run("live", "creds/.env", "state", "sb")
    assert settings.mode == "live"
    assert settings.env_file == tmp_path / "creds" / ".env"
    assert settings.state_dir == tmp_path / "state"
    assert settings.sandbox_dir == tmp_path / "sb"
    assert dict(os.environ) == before


def test_the_kernels_environment_carries_the_runs_settings(clean_environ, monkeypatch, tmp_path):
    monkeypatch.setenv(BASE_URL_VARIABLE, "http://127.0.0.1:9/the-callers")
    monkeypatch.setenv("SOMETHING_ELSE", "kept")
    before = dict(os.environ)
    settings = settings_for_run("sandbox", str(tmp_path / ".env"), str(tmp_path / "st"))
    env = kernel_environment(settings)
    assert env["ONBOARDING_MODE"] == "sandbox"
    assert env["ONBOARDING_ENV_FILE"] == str(tmp_path / ".env")
    assert env["ONBOARDING_STATE_DIR"] == str(tmp_path / "st")
    assert env["ONBOARDING_SANDBOX_DIR"] == str(settings.sandbox_dir)
    assert env[BASE_URL_VARIABLE] == "http://127.0.0.1:9/the-callers"  # the caller's sandbox
    assert env[locks.RUNNER_PID_VARIABLE] == str(os.getpid())
    assert env["SOMETHING_ELSE"] == "kept"
    assert dict(os.environ) == before
    assert BASE_URL_VARIABLE not in kernel_environment(replace(settings, base_url=None))


def _paths(tmp_path: Path) -> dict[str, str]:
    return {
        "out_dir": str(tmp_path / "out"),
        "env_file": str(tmp_path / "creds" / ".env"),
        "state_dir": str(tmp_path / "state"),
        "sandbox_dir": str(tmp_path / "sandbox"),
    }


def test_an_unknown_parameter_is_refused_before_anything_is_written(clean_environ, tmp_path):
    with pytest.raises(InputError) as caught:
        run(mode="sandbox", **_paths(tmp_path), parameters={"sendr_id": "GOVTECH"})
    assert caught.value.field == "parameter sendr_id" and "sender_id" in caught.value.fix
    assert not (tmp_path / "sandbox").exists() and not (tmp_path / "out").exists()
    assert not (tmp_path / "creds" / ".env").exists()


def test_a_name_only_a_step_outside_the_run_takes_is_refused(clean_environ, tmp_path):
    with pytest.raises(InputError, match="not a parameter of any notebook in this run"):
        run(mode="sandbox", **_paths(tmp_path), only=["01"], parameters={"sender_id": "GOVTECH"})


@pytest.mark.notebook
def test_a_run_leaves_the_runners_environment_alone_and_its_kernels_use_its_folders(
    clean_environ, tmp_path
):
    before = dict(os.environ)
    lines: list[str] = []
    first = STEPS[0]
    report = run(mode="sandbox", **_paths(tmp_path), only=[first.number], echo=lines.append)
    assert report.ok and [o.step for o in report.outcomes] == [first.id], lines
    assert dict(os.environ) == before
    # The notebook's own state_dir parameter is empty: it found the run's folder in its
    # environment, and so did the sandbox account the runner prepared in the env file.
    progress = json.loads((tmp_path / "state" / "progress.json").read_text())
    assert progress[first.id]["status"] == "done"
    assert "TWILIO_ACCOUNT_SID=AC" in (tmp_path / "creds" / ".env").read_text()
    assert lines[0].startswith("sandbox: http://127.0.0.1:")
    assert f"▶ {first.id}  {first.title}" in lines


def test_after_run_summaries_come_from_the_step_packages_for_successful_steps_only(
    tmp_path, monkeypatch
):
    said = types.ModuleType("onboarding_helpers.steps.fake.summary")
    said.summary = lambda env, state: [f"card for {Path(env).name} in {Path(state).name}"]
    monkeypatch.setitem(sys.modules, said.__name__, said)

    def step(name: str, after_run: bool = False) -> Step:
        return Step(name, name, "fake", "-", StepRecord, after_run=after_run)

    steps = [step("a", True), step("b"), step("c", True)]
    report = RunReport(tmp_path)
    report.outcomes = [
        StepOutcome("a", True, 0.1, tmp_path / "a.ipynb"),
        StepOutcome("b", True, 0.1, tmp_path / "b.ipynb"),
        StepOutcome("c", False, 0.1, tmp_path / "c.ipynb", "boom"),
    ]
    settings = settings_for_run("sandbox", str(tmp_path / ".env"), str(tmp_path / "st"))
    assert after_run_lines(steps, report, settings) == ["", "card for .env in st"]


def test_every_after_run_step_has_its_summary_and_the_hand_off_is_one(tmp_path):
    assert HANDOFF.after_run
    for step in (s for s in STEPS if s.after_run):
        summary = importlib.import_module(f"{step.module}.summary").summary
        assert summary(tmp_path / ".env", tmp_path / "state") == []  # nothing ran: nothing said
