"""Kernels forked from the run's fork server (kernel_forks.py), or from a fork server that
several runs share, against kernels started the ordinary way: real papermill runs of a fixture
notebook that prints what it can see of its process. A notebook must not be able to tell them
apart, except for who its parent is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from onboarding_helpers import locks
from onboarding_helpers.journal import StepRecord
from onboarding_helpers.runner import run_notebooks
from onboarding_helpers.runner.forked import FORKS_VARIABLE, SERVER_VARIABLE, ForkServer
from onboarding_helpers.runner.kernels import KernelPool, blocking, preload_modules
from onboarding_helpers.steps.registry import Step

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parent / "fixtures"


# What every run below gives its kernels; a shared server runs with the same but its own
# ONBOARDING_* settings (a run's settings reach its kernels whichever server forks them).
RUN_ENV = {**os.environ, "FIXTURE_MARK": "from the run", "ONBOARDING_MODE": "fixture-mode"}


@contextmanager
def holding_the_runs_lock(folder: Path) -> Iterator[None]:
    """This process holds the lock a headless run holds (locks.hold), as a runner does."""
    with locks.hold(folder / ".env", folder / "state", "headless run"):
        yield


def fork_server_of(km: Any) -> psutil.Process:
    """The process that started the kernel: its parent, as ps shows it."""
    return psutil.Process(km.provisioner.process.pid).parent()


def facts_of_two_notebooks(
    out: Path, forks: str, shared: ForkServer | None = None, runner: int | None = None
) -> tuple[list[dict[str, Any]], list[int]]:
    """Run the facts notebook twice in each of two runs; its facts, and the pids of this
    process's children seen while it ran (the run's fork server, when it has one). The kernels
    are told that ``runner`` (default: this process, which runs them) holds the run's lock; this
    process holds it meanwhile."""
    children: list[int] = []
    # Only what the runs start: the worker may still have children of an earlier test.
    before = {p.pid for p in psutil.Process().children()} - {shared.process.pid if shared else 0}

    def on_step(event: str, step: Step, outcome: Any) -> None:
        children.extend(p.pid for p in psutil.Process().children() if p.pid not in before)

    step = Step(id="facts", title="facts", package="-", function="-", record=StepRecord)
    env = {**RUN_ENV, FORKS_VARIABLE: forks}
    env[locks.RUNNER_PID_VARIABLE] = str(runner or os.getpid())
    if shared:
        env[SERVER_VARIABLE] = shared.path
    # The notebook tries to act under the run's lock, which this process holds as a runner does.
    lock = {"lock_folder": str(out / "lock")}
    facts = []
    for name in ("first", "second"):
        with holding_the_runs_lock(out / "lock"):
            report = run_notebooks(
                [step, step], FIXTURES, out / name, lock, env=env, on_step=on_step
            )
        assert report.ok, report.failed
        printed = (out / name / "facts.ipynb").read_text()
        facts.append(json.loads(printed.split("FACTS ")[1].split("\\n")[0].replace('\\"', '"')))
    return facts, children


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory) -> Any:
    """A fork server as a test session shares one: started here, with its own settings."""
    folder = tmp_path_factory.mktemp("shared-forks")
    folder.chmod(0o700)
    env = {**RUN_ENV, "ONBOARDING_MODE": "the server's own"}
    modules = preload_modules([FIXTURES / "facts.ipynb"])
    with open(folder / "server.log", "ab") as log:
        server = ForkServer.launch(folder, Path.cwd(), env, modules, log)
    yield server
    server.close()


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory, shared_server) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("forks")
    return {
        "forked": facts_of_two_notebooks(out / "forked", "1"),
        "ordinary": facts_of_two_notebooks(out / "ordinary", "0"),
        "shared": facts_of_two_notebooks(out / "shared", "1", shared_server),
    }


def test_a_forked_kernel_is_the_fork_servers_child_and_watches_it(both_ways, shared_server):
    facts, children = both_ways["forked"]
    for seen in facts:
        assert seen["ppid"] != os.getpid() and seen["ppid"] in children  # the run's server
        assert seen["jpy_parent_pid"] == str(seen["ppid"]) and seen["parent_handle"] == seen["ppid"]
    assert facts[0]["ppid"] != facts[1]["ppid"]  # each run its own server
    ordinary, _ = both_ways["ordinary"]
    for seen in ordinary:
        assert seen["ppid"] == os.getpid()
        assert seen["jpy_parent_pid"] == str(os.getpid()) == str(seen["parent_handle"])
    shared, children = both_ways["shared"]
    assert {seen["ppid"] for seen in shared} == {shared_server.process.pid}  # both runs'
    assert set(children) == {shared_server.process.pid}  # and no server of their own


def test_a_notebook_sees_the_same_process_either_way(both_ways):
    different = {"pid", "ppid", "jpy_parent_pid", "parent_handle", "random"}
    forked, _ = both_ways["forked"]
    for way in ("ordinary", "shared"):
        for one, other in zip(forked, both_ways[way][0], strict=True):
            assert {k: v for k, v in one.items() if k not in different} == {
                k: v for k, v in other.items() if k not in different
            }, way
    seen = forked[0]
    assert seen["own_session"] and not seen["stdin_tty"]
    assert seen["cwd"] == str(FIXTURES) and seen["mark"] == "from the run"
    assert seen["mode"] == "fixture-mode"  # the run's settings, never a shared server's own
    assert seen["runner_believed"]  # this process runs them: they act under its lock
    assert seen["pydevd_quiet"] is None  # the server's quieting of debugpy stays its own
    assert seen["widget_targets"] == ["jupyter.widget", "jupyter.widget.control"]
    assert seen["sigint_default"] and seen["main"] == "__main__"


def test_a_shared_servers_kernel_believes_only_the_runner_that_asked_for_it(
    tmp_path, shared_server
):
    # The kernel is told that another process (init) holds the run's lock: the server knows who
    # asked for the kernel (the socket's peer), and the kernel believes that, not its environment.
    (seen, _), _ = facts_of_two_notebooks(tmp_path, "1", shared_server, runner=1)
    assert seen["ppid"] == shared_server.process.pid and not seen["runner_believed"]


def test_a_shared_server_with_another_environment_is_not_used(tmp_path, shared_server):
    another = {**RUN_ENV, "FIXTURE_MARK": "another", SERVER_VARIABLE: shared_server.path}
    nothing_there = {**RUN_ENV, SERVER_VARIABLE: str(tmp_path / "nothing-listens.sock")}
    for env in (another, nothing_there):
        with KernelPool([FIXTURES / "ok.ipynb"], FIXTURES, env=env) as pool:
            pool.fill(0)
            server = fork_server_of(pool.kernels[0])
            # A fork server of its own: this process's child, listening in the pool's folder.
            assert server.pid != shared_server.process.pid and server.ppid() == os.getpid()
            assert str(pool.folder) in " ".join(server.cmdline())


def test_each_notebook_gets_a_fresh_kernel_with_its_own_random_state(both_ways):
    forked, _ = both_ways["forked"]
    assert forked[0]["pid"] != forked[1]["pid"]
    assert not forked[0]["leaked"] and not forked[1]["leaked"]
    assert forked[0]["random"] != forked[1]["random"]  # not the server's state, copied


def test_kernels_exit_when_their_fork_server_dies(tmp_path):
    with KernelPool([FIXTURES / "ok.ipynb"] * 2, FIXTURES) as pool:
        pool.fill(1)
        [server] = {fork_server_of(km) for km in pool.kernels}  # both forked by one server
        assert server.ppid() == os.getpid() and str(pool.folder) in " ".join(server.cmdline())
        kernels = [psutil.Process(km.provisioner.process.pid) for km in pool.kernels]
        server.kill()
        wait_until_gone(kernels)
        assert not any(blocking(km.is_alive) for km in pool.kernels)


ACTS = """
import sys
from pathlib import Path
from onboarding_helpers import locks
from onboarding_helpers.errors import StateLocked
folder = Path(sys.argv[1])
try:
    with locks.hold(folder / ".env", folder / "state", "a step"):
        print("acts under the runner's lock")
except StateLocked:
    print("refused: the runner holds it")
"""


def test_a_runner_pid_is_believed_only_from_its_child_or_its_fork_servers_child(tmp_path):
    # The forked kernels' side: test_a_notebook_sees_the_same_process_either_way.
    env = {**os.environ, locks.RUNNER_PID_VARIABLE: str(os.getpid())}
    # A grandchild through any other process claims the runner in vain.
    through = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {ACTS!r}, sys.argv[1]])"
    )
    said = []
    with holding_the_runs_lock(tmp_path):
        for script in (ACTS, through):
            done = subprocess.run(
                [sys.executable, "-c", script, str(tmp_path)],
                env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            said.append(done.stdout.strip() or done.stderr)
    assert said == ["acts under the runner's lock", "refused: the runner holds it"]


RUNNER_THEN_KILLED = """
import os, sys, time
from pathlib import Path
from onboarding_helpers.runner.kernels import KernelPool
fixtures = Path(sys.argv[1])
pool = KernelPool([fixtures / "ok.ipynb"] * 2, fixtures)
pool.fill(1)
pids = [km.provisioner.process.pid for km in pool.kernels]
print(*pids, oct(pool.folder.stat().st_mode & 0o777), flush=True)
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
    kernels = [psutil.Process(int(p)) for p in pids]
    [server] = {k.parent() for k in kernels}  # the runner's own fork server
    assert server.ppid() == runner.pid
    assert all(p.is_running() for p in [server, *kernels])
    runner.kill()
    runner.wait()
    wait_until_gone([server, *kernels])


def test_a_runner_killed_outright_takes_its_kernels_from_a_shared_server_with_it(shared_server):
    # The shared server outlives the runner: it sees the runner's sockets close, and kills the
    # kernels it forked for it.
    env = {**RUN_ENV, SERVER_VARIABLE: shared_server.path}
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER_THEN_KILLED, str(FIXTURES)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert runner.stdout is not None
    *pids, _ = runner.stdout.readline().split()
    kernels = [psutil.Process(int(p)) for p in pids]
    assert [k.ppid() for k in kernels] == [shared_server.process.pid] * 2
    runner.kill()
    runner.wait()
    wait_until_gone(kernels)
    assert shared_server.process.poll() is None  # still there for the next run


ANOTHER_USERS_SERVER = """
import json, os, socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
listener.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
listener.listen(1)
print("listening", flush=True)
connection, _ = listener.accept()
told = connection.recv(1 << 20)
print("told something" if told else "told nothing", flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="runs a process as another user: needs root")
def test_a_socket_of_another_user_is_never_told_the_runs_environment():
    # A hostile neighbour names their own socket in ONBOARDING_KERNEL_FORK_SERVER: the runner
    # sees who listens there (the socket's peer) and hangs up before saying anything.
    folder = Path(tempfile.mkdtemp(prefix="another-users-"))
    try:
        folder.chmod(0o777)
        path = folder / "kernel-forks.sock"
        neighbour = subprocess.Popen(
            ["/usr/bin/python3", "-c", ANOTHER_USERS_SERVER, str(path)],
            user="nobody",
            stdout=subprocess.PIPE,
            text=True,
        )
        assert neighbour.stdout is not None
        assert neighbour.stdout.readline().strip() == "listening"
        assert ForkServer.attach(str(path)) is None
        assert neighbour.stdout.readline().strip() == "told nothing"
        neighbour.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def wait_until_gone(processes: list[psutil.Process], seconds: float = 15) -> None:
    """Until every one has exited: a zombie counts as gone (orphans wait for init to reap them,
    which here takes a second or more)."""

    def running(p: psutil.Process) -> str:
        """What the process runs, while it runs; "" once gone (it may go between two looks)."""
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                return f"{p.pid} {p.cmdline()[:3]}"
        except psutil.Error:  # NoSuchProcess, or ZombieProcess: exited since is_running()
            pass
        return ""

    deadline = time.monotonic() + seconds
    while alive := [seen for p in processes if (seen := running(p))]:
        assert time.monotonic() < deadline, alive
        time.sleep(0.1)
