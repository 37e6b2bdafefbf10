"""Every benchmark script in its smoke form, so that none rots unseen (issue 28).

Each test runs one script of ``benchmarks/`` as a person would (its own process, from the project
root), in the short form the script offers, with ``--json``, and checks from its figures that it
did real work (runs completed, Twilio requests made, packages installed) and printed them. The
full forms stay for people: they take minutes.

The three that run the runbook are marked ``notebook``, like every test that runs notebooks in
real kernels; the install one builds venvs and needs the package index (it skips offline, not
in CI, as tests/test_install.py's do).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .ci import cannot_run
from .conftest import ROOT, cli_environment

BENCHMARKS = ROOT / "benchmarks"
# What pytest, pytest-xdist and make leave in the environment for their own children: the
# benchmarks' own make and pytest (run_benchmarks times `make test`) must not inherit them.
NESTED_PREFIXES = ("PYTEST_", "RUNBOOK_TEST_")
NESTED = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
# Words an installer says when it cannot reach the package index.
OFFLINE = ("Failed to fetch", "NewConnectionError", "No matching distribution", "Network")


def run_benchmark(
    script: str, *args: str, tmp_path: Path, timeout: float = 300
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``python benchmarks/<script> <args> --json FILE``: the finished process and its figures."""
    figures = tmp_path / f"{Path(script).stem}.json"
    env = {
        k: v
        for k, v in cli_environment().items()
        if not k.startswith(NESTED_PREFIXES) and k not in NESTED
    }
    command = [sys.executable, str(BENCHMARKS / script), *args, "--json", str(figures)]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert figures.exists(), f"{script} wrote no figures:\n{output}"
    return done, json.loads(figures.read_text())


@pytest.mark.notebook
def test_fault_soak_smoke_completes_its_runs_under_chaos_with_nothing_lost(tmp_path: Path) -> None:
    done, figures = run_benchmark("fault_soak.py", "--smoke", tmp_path=tmp_path)
    totals, output = figures["totals"], done.stdout + done.stderr
    assert done.returncode == 0, f"the soak failed: {figures['problems']}\n{output[-4000:]}"
    assert figures["problems"] == []
    assert totals["runs"] == 2 and totals["completed"] == 2, output
    # Each run made at least the fresh run's dozen requests; chaos was on and fired.
    assert all(run["twilio_requests"] >= 12 for run in figures["runs"]), figures["runs"]
    assert totals["requests_under_chaos"] >= 24 and totals["faulted"] >= 1, totals
    assert (totals["duplicated"], totals["lost"], totals["leaked"]) == (0, 0, 0), totals
    assert "Fault soak totals" in done.stdout and "verdict: passed" in done.stdout


@pytest.mark.notebook
def test_cohort_load_smoke_runs_a_class_of_two_on_one_sandbox(tmp_path: Path) -> None:
    done, figures = run_benchmark("cohort_load.py", "--trainees", "2", tmp_path=tmp_path)
    output = done.stdout + done.stderr
    assert figures["completed"] == 2, output[-4000:]
    assert figures["requests"] >= 2 * 12, figures  # both full runs reached the sandbox
    assert figures["cross_account_requests"] == 0, figures["cross_account_lines"]
    assert figures["board"]["test SMS delivered"] == 2, figures["board"]
    assert figures["peak_rss_mib"] > 0 and figures["p95_ms"] > 0, figures
    # The script also fails a slow sandbox (p95 over its target): on a loaded machine that
    # is the one failure a smoke run may show, and says nothing about the script.
    assert done.returncode == 0 or figures["p95_ms"] > 50, output[-4000:]
    assert "completed: 2/2" in done.stdout and "sandbox latency" in done.stdout


def lint_problems() -> str:
    """What ruff says when this tree does not lint (make test stops there); '' when it does."""
    ruff = str(Path(sys.executable).parent / "ruff")
    for check in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run([ruff, *check], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            return f"ruff {' '.join(check)}: {(done.stdout + done.stderr)[-1500:]}"
    return ""


@pytest.mark.notebook
def test_run_benchmarks_smoke_measures_every_section(tmp_path: Path) -> None:
    # Its install section is install_benchmark's own function, smoke-tested below: not twice.
    args = ("--smoke", "--skip-install")
    done, figures = run_benchmark("run_benchmarks.py", *args, tmp_path=tmp_path)
    output = done.stdout + done.stderr
    run, requests = figures["full_run"], figures["requests"]
    assert run["full_s"] > 0 and run["rerun_s"] > 0 and run["floor_s"] > 0, run
    assert requests["fresh"] >= requests["fresh_min"] > 0, requests
    assert figures["import_and_latency"]["latency_requests"] == 40
    for section in ("1. Full headless run", "2. Twilio requests", "3. Package import", "4. make"):
        assert section in done.stdout, f"no section {section!r}:\n{done.stdout[-4000:]}"
    make_test = figures["make_test"]
    if make_test["exit"] != 0 and (problems := lint_problems()):
        # Edits in progress that do not lint stop `make test` before any test, this one's
        # included: that is the tree's state, not the benchmark's fault.
        pytest.skip(f"this tree does not lint, so make test stops there:\n{problems}")
    assert make_test["exit"] == 0 and " passed" in make_test["summary"], make_test
    assert done.returncode == 0, output[-4000:]


def test_install_benchmark_smoke_installs_one_package_both_ways(tmp_path: Path) -> None:
    uv = Path(sys.executable).parent / "uv"
    if not (os.environ.get("UV") or shutil.which("uv") or uv.exists()):
        cannot_run("no uv here (make installed with pip): the smoke form installs with uv")
    done, figures = run_benchmark("install_benchmark.py", "--smoke", tmp_path=tmp_path)
    output = done.stdout + done.stderr
    tails = "\n".join(
        line for r in figures["make_demo"] + figures["plain_pip"] for line in r["tail"]
    )
    if done.returncode != 0 and any(word in tails for word in OFFLINE):
        cannot_run(f"no package index here:\n{tails[-1500:]}")
    assert done.returncode == 0 and figures["all_exit_0"], output[-4000:]
    for side in ("make_demo", "plain_pip"):
        [result] = figures[side]
        assert result["installed"] and result["seconds"] > 0, (side, result)
    assert figures["median_plain_pip_s"] > 0 and figures["ratio"] > 0, figures
    assert "medians over 1 runs" in done.stdout and "plain venv + pip install" in done.stdout
