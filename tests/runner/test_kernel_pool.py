"""The kernel pool and the run loop on tiny fixture notebooks: real kernels, real papermill.

One pool's life is recorded once (``pool_life``) and its phases checked by several tests; each
run of ``run_notebooks`` that must fail differently is its own run.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from onboarding_helpers.journal import StepRecord
from onboarding_helpers.runner import run_notebooks
from onboarding_helpers.runner.kernels import (
    KERNEL_DIR_PREFIX,
    PRESTART,
    Interrupts,
    KernelPool,
    blocking,
    import_papermill,
    sweep_kernel_dirs,
)
from onboarding_helpers.steps.registry import Step

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parent / "fixtures"
FORK_SERVER = "onboarding_helpers.kernel_forks"


def fixture_step(name: str) -> Step:
    """A step whose notebook is ``fixtures/<name>.ipynb``."""
    return Step(id=name, title=f"fixture {name}", package="-", function="-", record=StepRecord)


def kernel_processes(fork_servers: bool = False) -> list[psutil.Process]:
    """Kernel processes of this test process's pools: their command line names a file in one
    of its private folders (a connection file, or for a forked kernel its fork server's socket).
    A fork server is this process's child; its kernels are not."""
    marker = f"{KERNEL_DIR_PREFIX}{os.getpid()}-"
    found = []
    for proc in psutil.process_iter(["cmdline", "status", "ppid"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if marker not in cmdline or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if fork_servers or not (FORK_SERVER in cmdline and proc.info["ppid"] == os.getpid()):
            found.append(proc)
    return found


def pid(km: Any) -> int:
    return km.provisioner.process.pid


def execute(km: Any, notebook: str, output: Path, **parameters: Any) -> dict:
    import_papermill().execute_notebook(
        str(FIXTURES / f"{notebook}.ipynb"), str(output), parameters=parameters,
        kernel_name="python3", km=km, cwd=str(FIXTURES), progress_bar=False,
    )  # fmt: skip
    return json.loads(output.read_text())


def connection(km: Any) -> dict[str, Any]:
    """What a Jupyter client of the kernel reads: its connection file (where, and what it says)
    and, for IPC, whether each of its channels is a socket there (``ip-port``, as zmq names it)."""
    path = Path(km.connection_file)
    info = json.loads(path.read_text())
    ports = [info[f"{channel}_port"] for channel in ("shell", "iopub", "stdin", "control", "hb")]
    sockets = [Path(f"{info['ip']}-{port}") for port in ports]
    return {
        "file": path,
        "transport": info["transport"],
        "sockets": sockets,
        "are sockets": [s.exists() and stat.S_ISSOCK(s.stat().st_mode) for s in sockets],
    }


def printed(notebook: dict) -> str:
    return "".join(
        "".join(out.get("text", ""))
        for cell in notebook["cells"]
        for out in cell.get("outputs", [])
    )


# ---------------------------------------------------------------- one pool's life


@pytest.fixture(scope="module")
def pool_life(tmp_path_factory) -> dict[str, Any]:
    """Four notebooks: fill, take(0), run it, take(1), run it, close. What was seen at each
    phase, for the tests below."""
    out = tmp_path_factory.mktemp("pool")
    seen: dict[str, Any] = {}
    notebooks = [FIXTURES / "ok.ipynb"] * 4
    pool = KernelPool(notebooks, FIXTURES, log_path=out / "kernels.log")
    with pool:
        pool.fill(PRESTART - 1)
        seen["started after fill"] = len(pool.kernels)
        km = pool.take(0)
        seen["started after take(0)"] = len(pool.kernels)
        seen["alive after take(0)"] = [blocking(k.is_alive) for k in pool.kernels]
        seen["pids"] = [pid(k) for k in pool.kernels]
        seen["processes during"] = {p.pid for p in kernel_processes()}
        seen["notebook 0"] = execute(km, "ok", out / "ok-0.ipynb", greeting="first")
        seen["connection"] = connection(km)  # it ran a notebook: its channels are all up
        pool.release(km)
        km = pool.take(1)
        seen["notebook 1"] = execute(km, "ok", out / "ok-1.ipynb")
        pool.release(km)
        seen["folder"] = pool.folder
        seen["folder mode"] = pool.folder.stat().st_mode & 0o777
    seen["processes after"] = kernel_processes(fork_servers=True)
    seen["pids alive after"] = [p for p in seen["pids"] if psutil.pid_exists(p)]
    return seen


def test_kernels_start_ahead_of_their_turn(pool_life):
    assert pool_life["started after fill"] == PRESTART  # before any notebook's turn
    # take(0) hands out kernel 0 and has the next PRESTART kernels booting, no more.
    assert pool_life["started after take(0)"] == 1 + PRESTART
    assert pool_life["alive after take(0)"] == [True] * (1 + PRESTART)
    assert set(pool_life["pids"]) <= pool_life["processes during"]


def test_a_kernel_waiting_for_its_turn_has_imported_its_notebooks_modules(pool_life):
    # The fixture's first cell looks for colorsys before its second cell imports it.
    assert "preloaded True" in printed(pool_life["notebook 1"])
    assert "greeting hello" in printed(pool_life["notebook 1"])
    assert "greeting first" in printed(pool_life["notebook 0"])


def test_kernels_use_ipc_sockets_in_the_pools_private_folder(pool_life):
    folder = pool_life["folder"]
    assert folder.parent == Path(tempfile.gettempdir()) and pool_life["folder mode"] == 0o700
    seen = pool_life["connection"]  # no code or output crosses loopback TCP in clear
    assert seen["file"].parent == folder and seen["transport"] == "ipc"
    assert {s.parent for s in seen["sockets"]} == {folder} and all(seen["are sockets"])


def test_after_the_pool_closes_no_kernel_remains_and_its_folder_is_gone(pool_life):
    assert pool_life["processes during"]  # the search finds this pool's kernels ...
    assert pool_life["processes after"] == []  # ... and none after close, used or not
    assert pool_life["pids alive after"] == []
    assert not pool_life["folder"].exists()


# ---------------------------------------------------------------- run_notebooks


def test_a_notebook_that_raises_stops_the_run_at_that_step(tmp_path):
    steps = [fixture_step("ok"), fixture_step("raises"), fixture_step("ok")]
    env = {**os.environ, "ONBOARDING_MODE": "fixture-mode"}
    before = dict(os.environ)
    report = run_notebooks(steps, FIXTURES, tmp_path, {"greeting": "hey", "other": 1}, env=env)
    assert [(o.step, o.ok) for o in report.outcomes] == [("ok", True), ("raises", False)]
    assert report.failed is report.outcomes[1]
    assert report.failed.error == "ValueError: boom from the fixture"
    assert report.failed.output.exists()  # the executed notebook, showing the error
    ok = json.loads((tmp_path / "ok.ipynb").read_text())
    # The kernel got the environment passed to it, and only its declared parameters.
    assert "mode fixture-mode" in printed(ok) and "greeting hey" in printed(ok)
    injected = next(c for c in ok["cells"] if "injected-parameters" in c["metadata"]["tags"])
    assert "other" not in "".join(injected["source"]) and "headless = True" in "".join(
        injected["source"]
    )
    assert dict(os.environ) == before
    assert kernel_processes() == []


def test_a_kernel_that_dies_mid_notebook_fails_its_step_and_leaves_no_kernel(tmp_path):
    during: list[list[psutil.Process]] = []

    def on_step(event: str, step: Step, outcome: Any) -> None:
        if event == "start":
            during.append(kernel_processes(fork_servers=True))

    steps = [fixture_step("dies"), fixture_step("ok")]
    report = run_notebooks(steps, FIXTURES, tmp_path, {}, on_step=on_step)
    [outcome] = report.outcomes
    assert outcome.step == "dies" and not outcome.ok
    assert "kernel exited with code 3 before the notebook finished" in outcome.error
    assert str(tmp_path / "kernels.log") in outcome.error
    # Both kernels were up, or on their way (their fork server up), when the step started ...
    assert len(during[0]) >= 1
    assert kernel_processes() == []  # ... and none is left, the dead one reaped too
    assert not (tmp_path / "ok.ipynb").exists()


# ---------------------------------------------------------------- Ctrl-C


def test_ctrl_c_while_shielded_is_raised_after_the_shielded_work():
    interrupts = Interrupts()
    done = []
    with interrupts.installed(), pytest.raises(KeyboardInterrupt):
        with interrupts.shield():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler has run: noted, not raised
            assert interrupts.requested
            done.append("the shielded work")
    assert done == ["the shielded work"]


def test_ctrl_c_unshielded_is_raised_at_once():
    interrupts = Interrupts()
    with interrupts.installed(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
        pytest.fail("not interrupted")


def test_ctrl_c_while_kernels_start_lets_them_start_then_the_pool_stops_them():
    interrupts = Interrupts()
    pids: list[int] = []
    with interrupts.installed(), pytest.raises(KeyboardInterrupt):
        with KernelPool([FIXTURES / "ok.ipynb"] * 2, FIXTURES, shield=interrupts.shield) as pool:
            with interrupts.shield():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                pool.fill(1)  # not cut short: both kernels start, so the pool can stop them
                pids += [pid(km) for km in pool.kernels]
            pytest.fail("the interrupt was not raised after the shielded start")
    assert len(pids) == 2
    assert kernel_processes() == [] and not any(psutil.pid_exists(p) for p in pids)
    assert not pool.folder.exists()


# ---------------------------------------------------------------- killed runs' litter


def test_the_kernel_folders_of_dead_runners_are_swept(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    dead = tmp_path / f"{KERNEL_DIR_PREFIX}{gone}-abc"
    mine = tmp_path / f"{KERNEL_DIR_PREFIX}{os.getpid()}-abc"
    other = tmp_path / "unrelated-123-abc"
    for folder in (dead, mine, other):
        folder.mkdir()
    sweep_kernel_dirs(tmp_path)
    assert not dead.exists() and mine.exists() and other.exists()
