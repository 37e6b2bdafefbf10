"""Shared fixtures, and how the tests run in parallel.

``make test`` runs them with pytest-xdist (``-n 3 --dist loadgroup``): each worker is its own
process (its own ``os.environ``, locks and imports), and every test writes under its own
temporary folder, never the project's ``.env.sandbox``, ``.runbook``, ``.sandbox`` or ``runs``.
A module whose tests share a module-scoped fixture (a prepared flow, a JupyterLab, a recorded
contract scenario) runs whole on one worker: the fixture is built once, and tests that go on from
where the one before stopped keep their order. Every other test goes wherever a worker is free.

Headless runs started through ``Workspace.cli`` share one kernel fork server per worker
(``ONBOARDING_KERNEL_FORK_SERVER``, see ``runner/forked.py``): each notebook still gets a fresh
kernel process, forked for its run, without each run paying again for the imports a kernel
needs (about a CPU-second a run, and the suite starts over a hundred runs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onboarding_helpers.runner.forked import SERVER_VARIABLE

ROOT = Path(__file__).resolve().parent.parent


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


def _shares_a_fixture(item: pytest.Item) -> bool:
    """Whether the test takes a module- or class-scoped fixture of our own, built once for its
    module (a session-scoped one is built once per worker wherever its tests go)."""
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else ():
        for fixture in definitions:
            ours = getattr(fixture.func, "__module__", "").startswith("tests.")
            if ours and fixture.scope in ("module", "class", "package"):
                return True
    return False


# --dist loadgroup cannot group on pytest 9 (pytest-xdist 3.8 renames the test's nodeid to carry
# its group, which pytest 9's structured ids ignore: pytest-xdist issue #1386). So the workers
# write each test's group to a file in this folder as they collect, and ModuleGroups, the
# scheduler below, reads them: the same grouping, handed over beside the nodeid.
GROUPS_FOLDER = "RUNBOOK_TEST_GROUPS"


def _group(item: pytest.Item) -> str | None:
    """The test's xdist group: its own ``xdist_group`` mark, else its module when its tests
    share a module-scoped fixture; None: it may run on any worker."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    return item.nodeid.split("::")[0] if _shares_a_fixture(item) else None


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tempfile.mkdtemp(prefix="pytest-groups-")
        os.environ[GROUPS_FOLDER] = folder  # the workers, started after this, inherit it
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.hookimpl(trylast=True)  # after -k and -m: the tests that will run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    worker, folder = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(GROUPS_FOLDER)
    if not (worker and folder):
        return
    groups = {item.nodeid: group for item in items if (group := _group(item))}
    target = Path(folder) / f"{worker}.json"
    target.with_suffix(".tmp").write_text(json.dumps(groups), encoding="utf-8")
    target.with_suffix(".tmp").replace(target)  # whole or not at all


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadgroup``: xdist's load-by-group scheduling, the groups read from the
    workers' files (every worker has collected before the first test is scheduled)."""
    if config.getvalue("dist") != "loadgroup" or not os.environ.get(GROUPS_FOLDER):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):
        groups: dict[str, str] = {}

        def schedule(self) -> None:
            files = sorted(Path(os.environ[GROUPS_FOLDER]).glob("*.json"))
            self.groups = {k: v for f in files for k, v in json.loads(f.read_text()).items()}
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self.groups.get(nodeid, nodeid)

    return ModuleGroups(config, log)
