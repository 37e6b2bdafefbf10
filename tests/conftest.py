"""Shared fixtures, and how the tests run in parallel.

``make test`` runs them with pytest-xdist (``-n 4 --dist loadfile``, costliest modules first:
``costliest_first.py``): each worker is its own process (its own ``os.environ``, locks and
imports), and every test writes under its own temporary folder, never the project's
``.env.sandbox``, ``.runbook``, ``.sandbox`` or ``runs``. Each test module runs whole on one
worker (xdist's own file-level distribution), so a module-scoped fixture (a prepared flow, a
JupyterLab, a recorded contract scenario, make demo's copy) is built once, and tests that go on
from where the one before stopped keep their order.

Headless runs started through ``Workspace.cli`` share one kernel fork server per worker
(``ONBOARDING_KERNEL_FORK_SERVER``, see ``runner/forked.py``): each notebook still gets a fresh
kernel process, forked for its run, without each run paying again for the imports a kernel
needs (about a CPU-second a run, and the suite starts over a hundred runs).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from onboarding_helpers.runner.forked import SERVER_VARIABLE

# Costliest test modules first (tests/costliest_first.py); pytester tests that plugin.
pytest_plugins = ("tests.costliest_first", "pytester")

ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A form leaves a timer behind when a test changes a field and ends: a preview's reading
    (``change_plan.widget``, 0.8 s later) or a secret's hiding. Fired later, it would ask a
    sandbox that has gone, retrying for seconds, and could land in the next test's sandbox or
    recorded exchanges. Once the test's body ends, with its fixtures still up, pending ones are
    cancelled and running ones finished."""
    try:
        return (yield)
    finally:
        left = [
            t
            for t in threading.enumerate()
            if isinstance(t, threading.Timer)
            and getattr(t.function, "__module__", "").startswith("onboarding_helpers")
        ]
        for timer in left:
            timer.cancel()
        for timer in left:
            timer.join(timeout=30)


@dataclass
class Workspace:
    """The folders one headless run uses, all under a fresh temporary directory."""

    root: Path
    fork_server: str = ""  # the socket of the worker's shared kernel fork server

    @property
    def env_file(self) -> Path:
        return self.root / "creds" / ".env"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def sandbox_dir(self) -> Path:
        return self.root / "sandbox"

    def prepare(self, *numbers: str) -> None:
        """What ``cli("--only", "00", "--only", "01", ...)`` leaves behind (practice account in
        the env file, progress record, journal, sandbox data), made in-process by the step
        functions the notebooks call, with their defaults: for tests whose subject comes later,
        without a runner and a kernel per step (a couple of CPU-seconds each)."""
        from onboarding_helpers.runbook import Runbook
        from onboarding_helpers.runner.run import settings_for_run
        from onboarding_helpers.sandbox import SandboxServer
        from onboarding_helpers.steps import registry
        from onboarding_helpers.training.practice import prepare_sandbox_account

        paths = (str(self.env_file), str(self.state_dir), str(self.sandbox_dir))
        settings = settings_for_run("sandbox", *paths)
        with SandboxServer(self.sandbox_dir / "sandbox.sqlite3") as server:
            rb = Runbook(replace(settings, base_url=server.url))
            prepare_sandbox_account(rb)
            for number in numbers:
                step = registry.find(number)
                assert step is not None, number
                getattr(importlib.import_module(step.module), step.function)(rb)

    def leaks(self, *texts: str, also: list[str] | tuple[str, ...] = ()) -> list[str]:
        """Where a secret of the env file (or ``also``) appears in what the runs wrote (the out
        and state folders) or in ``texts``; empty when clean (tests/secret_audit.py)."""
        from .secret_audit import run_leaks

        return run_leaks(self.env_file, [self.out_dir, self.state_dir], texts, also)

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``python -m onboarding_helpers run --sandbox`` on this workspace."""
        cmd = [sys.executable, "-m", "onboarding_helpers", "run", "--sandbox"]
        cmd += ["--out", str(self.out_dir), "--env-file", str(self.env_file)]
        cmd += ["--state-dir", str(self.state_dir), "--sandbox-dir", str(self.sandbox_dir), *args]
        env = cli_environment()
        if self.fork_server:
            env[SERVER_VARIABLE] = self.fork_server
        return subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )


def cli_environment() -> dict[str, str]:
    """What a run started by a test sees: this process's environment without the runbook's
    settings (a developer's own) or the name of the test pytest is running."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ONBOARDING_") and k != "PYTEST_CURRENT_TEST"
    }


@pytest.fixture(scope="session")
def kernel_fork_server() -> Iterator[str]:
    """This worker's shared kernel fork server (its socket), for the runs of ``Workspace.cli``;
    it preloads what every notebook of the runbook imports."""
    from onboarding_helpers.runner.forked import ForkServer
    from onboarding_helpers.runner.kernels import preload_modules

    folder = Path(tempfile.mkdtemp(prefix="onboarding-kernel-forks-"))  # 0700
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    with open(folder / "kernels.log", "ab") as log:
        server = ForkServer.launch(folder, ROOT, cli_environment(), preload_modules(notebooks), log)
    yield server.path
    server.close()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def workspace(tmp_path: Path, kernel_fork_server: str) -> Iterator[Workspace]:
    ws = Workspace(tmp_path, kernel_fork_server)
    ws.env_file.parent.mkdir()
    yield ws
    from onboarding_helpers.sandbox import stop_running

    # A run's kernels start the sandbox detached and it outlives them: stop it, so that idle
    # servers do not pile up on the machine while the other tests run.
    stop_running(ws.sandbox_dir)


@pytest.fixture
def sandbox(tmp_path: Path):
    """A sandbox server on its own database, stopped after the test."""
    from onboarding_helpers.sandbox import SandboxServer

    with SandboxServer(tmp_path / "sandbox-db" / "sandbox.sqlite3") as server:
        yield server
