"""Kernels forked from the run's fork server (kernel_forks.py) against kernels started
the ordinary way: real papermill runs of a fixture notebook that prints what it can see of its
process. A notebook must not be able to tell them apart, except for who its parent is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from onboarding_helpers import locks
from onboarding_helpers.journal import StepRecord
from onboarding_helpers.runner import run_notebooks
from onboarding_helpers.runner.forked import FORKS_VARIABLE, ForkServer
from onboarding_helpers.runner.kernels import KernelPool, blocking
from onboarding_helpers.steps.registry import Step

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parent / "fixtures"


def facts_of_two_notebooks(out: Path, forks: str) -> tuple[list[dict[str, Any]], list[int]]:
    """Run the facts notebook twice in one run; its facts, and the pids of the run's children
    seen while it ran (the fork server, when there is one)."""
    children: list[int] = []

    def on_step(event: str, step: Step, outcome: Any) -> None:
        children.extend(p.pid for p in psutil.Process().children())

    step = Step(id="facts", title="facts", package="-", function="-", record=StepRecord)
    env = {**os.environ, "FIXTURE_MARK": "from the run", FORKS_VARIABLE: forks}
    facts = []
    for name in ("first", "second"):
        report = run_notebooks([step, step], FIXTURES, out / name, {}, env=env, on_step=on_step)
        assert report.ok, report.failed
        printed = (out / name / "facts.ipynb").read_text()
        facts.append(json.loads(printed.split("FACTS ")[1].split("\\n")[0].replace('\\"', '"')))
    return facts, children


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("forks")
    return {
        "forked": facts_of_two_notebooks(out / "forked", "1"),
        "ordinary": facts_of_two_notebooks(out / "ordinary", "0"),
    }


def test_a_forked_kernel_is_the_fork_servers_child_and_watches_it(both_ways):
    facts, children = both_ways["forked"]
    for seen in facts:
        assert seen["ppid"] != os.getpid() and seen["ppid"] in children  # the run's server
        assert seen["jpy_parent_pid"] == str(seen["ppid"]) and seen["parent_handle"] == seen["ppid"]
    ordinary, _ = both_ways["ordinary"]
    for seen in ordinary:
        assert seen["ppid"] == os.getpid()
        assert seen["jpy_parent_pid"] == str(os.getpid()) == str(seen["parent_handle"])


def test_a_notebook_sees_the_same_process_either_way(both_ways):
    different = {"pid", "ppid", "jpy_parent_pid", "parent_handle", "random"}
    forked, _ = both_ways["forked"]
    ordinary, _ = both_ways["ordinary"]
    for one, other in zip(forked, ordinary, strict=True):
        assert {k: v for k, v in one.items() if k not in different} == {
            k: v for k, v in other.items() if k not in different
        }
    seen = forked[0]
    assert seen["own_session"] and not seen["stdin_tty"]
    assert seen["cwd"] == str(FIXTURES) and seen["mark"] == "from the run"
    assert seen["pydevd_quiet"] is None  # the server's quieting of debugpy stays its own
    assert seen["widget_targets"] == ["jupyter.widget", "jupyter.widget.control"]
    assert seen["sigint_default"] and seen["main"] == "__main__"


def test_each_notebook_gets_a_fresh_kernel_with_its_own_random_state(both_ways):
    forked, _ = both_ways["forked"]
    assert forked[0]["pid"] != forked[1]["pid"]
    assert not forked[0]["leaked"] and not forked[1]["leaked"]
    assert forked[0]["random"] != forked[1]["random"]  # not the server's state, copied


def test_kernels_exit_when_their_fork_server_dies(tmp_path):
    with KernelPool([FIXTURES / "ok.ipynb"] * 2, FIXTURES) as pool:
        pool.fill(1)
        server = pool._forks
        assert isinstance(server, ForkServer)
        pids = [km.provisioner.process.pid for km in pool.kernels]
        assert all(psutil.Process(p).ppid() == server.process.pid for p in pids)
        os.kill(server.process.pid, signal.SIGKILL)
        wait_until_gone([psutil.Process(p) for p in pids])
        assert not any(blocking(km.is_alive) for km in pool.kernels)


def test_a_runner_pid_is_believed_only_from_its_child_or_its_fork_servers_child():
    check = (
        "import json, sys; from onboarding_helpers import locks; "
        "print(json.dumps(locks._runner_holds_it()))"
    )
    env = {**os.environ, locks.RUNNER_PID_VARIABLE: str(os.getpid())}
    child = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True)
    # A grandchild through any other process claims the runner in vain.
    through = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {check!r}])"
    grandchild = subprocess.run(
        [sys.executable, "-c", through], env=env, capture_output=True, text=True
    )
    assert (child.stdout.strip(), grandchild.stdout.strip()) == ("true", "false")


RUNNER_THEN_KILLED = """
import os, sys, time
from pathlib import Path
from onboarding_helpers.runner.kernels import KernelPool
fixtures = Path(sys.argv[1])
pool = KernelPool([fixtures / "ok.ipynb"] * 2, fixtures)
pool.fill(1)
pids = [km.provisioner.process.pid for km in pool.kernels]
print(pool._forks.process.pid, *pids, oct(pool.folder.stat().st_mode & 0o777), flush=True)
time.sleep(120)
"""


def test_a_runner_killed_outright_takes_its_fork_server_and_kernels_with_it():
    # SIGKILL leaves the runner no chance to clean up: the server sees its stdin close, and the
    # kernels see their parent go.
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER_THEN_KILLED, str(FIXTURES)], stdout=subprocess.PIPE, text=True
    )
    assert runner.stdout is not None
    *pids, mode = runner.stdout.readline().split()
    assert mode == "0o700"  # the socket's folder: nobody else can ask this server for anything
    processes = [psutil.Process(int(p)) for p in pids]
    assert all(p.is_running() for p in processes)
    runner.kill()
    runner.wait()
    wait_until_gone(processes)


def wait_until_gone(processes: list[psutil.Process], seconds: float = 15) -> None:
    """Until every one has exited: a zombie counts as gone (orphans wait for init to reap them,
    which here takes a second or more)."""

    def running(p: psutil.Process) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + seconds
    while alive := [f"{p.pid} {p.status()} {p.cmdline()[:3]}" for p in processes if running(p)]:
        assert time.monotonic() < deadline, alive
        time.sleep(0.1)
