"""One lock over the credentials and the state: held by a headless run for its whole length, and by
every step action started elsewhere (a form in JupyterLab or Voila, a notebook under plain
papermill, a test) for the length of the action.

Two files carry it, always taken in the same order so that two holders never wait on each other:
``.<env file name>.lock`` beside the env file (two runs with different state folders still share
the credentials), then ``run.lock`` in the state folder. Each holds the holder's pid and kind, so a
refusal can say who has it.

A notebook kernel started by a headless run acts under its runner's lock: the runner passes its
pid in ``ONBOARDING_RUNNER_PID`` and the kernel is its direct child, so the kernel does not try to
take the lock the runner holds for it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StateLocked

RUNNER_PID_VARIABLE = "ONBOARDING_RUNNER_PID"
# How long an action waits for another action to finish (a button pressed in two notebooks at
# once). A headless run holds the lock for minutes, so a run never waits.
ACTION_WAIT = 10.0

# Lock files this process holds: (descriptor, nested holds, pid). flock is per open file, so a
# second flock on the same file from this process would wait for itself. The pid tells a forked
# child that the entry is its parent's, not its own.
_held: dict[Path, tuple[int, int, int]] = {}


def lock_files(env_file: Path, state_dir: Path) -> tuple[Path, Path]:
    env_file = Path(env_file).absolute()
    return env_file.parent / f".{env_file.name}.lock", Path(state_dir).absolute() / "run.lock"


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


def _acquire(path: Path, kind: str, wait: float) -> int:
    import fcntl

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                what = "credentials" if path.name != "run.lock" else "state folder"
                raise StateLocked(
                    f"Another runbook run or notebook is using the {what} {path.parent}"
                    f"{_holder(path)}.",
                    advice="Wait for it to finish (or stop it), then run again. A form in an open"
                    " notebook holds it only while its button's action runs.",
                ) from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()}, {kind}\n".encode())
    return fd


def _runner_holds_it() -> bool:
    """Whether this process is a kernel of the headless run that holds the lock for it: the
    runner's child, or a kernel a fork server forked when that runner asked (kernel_forks.py)."""
    runner = os.environ.get(RUNNER_PID_VARIABLE, "")
    if not runner.isdigit() or int(runner) == os.getpid():
        return False
    if int(runner) == os.getppid():
        return True
    from . import kernel_forks  # only here: a headless run's kernels, not every lock

    return kernel_forks.forked_for(int(runner))


@contextmanager
def hold(env_file: Path, state_dir: Path, kind: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the credentials and the state folder; raises StateLocked naming the holder.

    Nested holds in one process are free; ``kind`` says who holds it ("headless run", "step
    02_api_key in a notebook").
    """
    if _runner_holds_it():
        yield
        return
    paths = lock_files(env_file, state_dir)
    taken: list[Path] = []
    try:
        for path in paths:
            fd, depth, pid = _held.get(path, (-1, 0, 0))
            if depth and pid == os.getpid():
                _held[path] = (fd, depth + 1, pid)
            else:
                _held[path] = (_acquire(path, kind, wait), 1, os.getpid())
            taken.append(path)
        yield
    finally:
        for path in reversed(taken):
            fd, depth, pid = _held[path]
            if depth > 1:
                _held[path] = (fd, depth - 1, pid)
            else:
                del _held[path]
                os.close(fd)  # closing releases the flock
