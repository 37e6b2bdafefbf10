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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import InputError, StateLocked
from .files import check_private_file, make_folder, read_private, refuse_link

RUNNER_PID_VARIABLE = "ONBOARDING_RUNNER_PID"
# How long an action waits for another action to finish (a button pressed in two notebooks at
# once). A headless run holds the lock for minutes, so a run never waits.
ACTION_WAIT = 10.0

# Lock files this process holds: (filelock lock, nested holds, pid). flock is per open file, so a
# second flock on the same file from this process would wait for itself. The pid tells a forked
# child that the entry is its parent's, not its own.
_held: dict[Path, tuple[Any, int, int]] = {}


def lock_files(env_file: Path, state_dir: Path) -> tuple[Path, Path]:
    env_file = Path(env_file).absolute()
    return env_file.parent / f".{env_file.name}.lock", Path(state_dir).absolute() / "run.lock"


def _holder(path: Path) -> str:
    try:
        text = (read_private(path, "lock") or b"").decode("utf-8", errors="replace").strip()
    except (OSError, InputError):
        return ""
    return f" ({text})" if text else ""


def _locked_by_someone(path: Path) -> StateLocked:
    what = "credentials" if path.name != "run.lock" else "state folder"
    return StateLocked(
        f"Another runbook run or notebook is using the {what} {path.parent}{_holder(path)}.",
        advice="Wait for it to finish (or stop it), then run again. A form in an open"
        " notebook holds it only while its button's action runs.",
    )


def _acquire(path: Path, kind: str, wait: float) -> Any:
    """Take the lock file with filelock (flock on a file opened with O_NOFOLLOW, never
    truncated before it is held), then write who holds it into the file we hold."""
    import filelock  # here: a kernel imports it only when a form acts

    field = "state_dir" if path.name == "run.lock" else "env_file"
    make_folder(path.parent, field)

    def note_holder(fd: int) -> None:
        # The descriptor is the lock file itself (no link followed); refuse a file with a
        # second name before writing into it: it could be the env file.
        check_private_file(os.fstat(fd), path, field)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {kind}\n".encode(), 0)

    lock = filelock.FileLock(
        path,
        timeout=wait,
        mode=0o600,
        preserve_lock_file=True,  # waiters share one inode; nothing to clean up
        fallback_to_soft=False,
        thread_local=False,  # held by the process (``_held``), whichever thread acts
        on_acquired=note_holder,
    )
    try:
        lock.acquire()
    except filelock.Timeout:
        raise _locked_by_someone(path) from None
    except OSError:
        refuse_link(path, field)  # a link where the lock goes: named, nothing written
        raise
    return lock


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
            lock, depth, pid = _held.get(path, (None, 0, 0))
            if depth and pid == os.getpid():
                _held[path] = (lock, depth + 1, pid)
            else:
                _held[path] = (_acquire(path, kind, wait), 1, os.getpid())
            taken.append(path)
        yield
    finally:
        for path in reversed(taken):
            lock, depth, pid = _held[path]
            if depth > 1:
                _held[path] = (lock, depth - 1, pid)
            else:
                del _held[path]
                lock.release()
