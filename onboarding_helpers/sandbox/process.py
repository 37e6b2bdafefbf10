"""Run the sandbox as a detached background process shared by every kernel on the machine.

``<sandbox_dir>/server.json`` ({"url", "pid"}) says where the live server is; the server process
writes it once it listens and removes it when it stops. ``<sandbox_dir>/trainer.token`` holds the
trainer token the admin API asks for; ``ensure_running`` hands it to this process's admin calls.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .admin import SandboxError, health, read_token_file, remember_token

DB_NAME = "sandbox.sqlite3"
INFO_NAME = "server.json"
LOG_NAME = "server.log"
START_TIMEOUT = 10.0

# Children started by this process, so stop_running can reap them (no zombies left behind).
_SPAWNED: dict[int, subprocess.Popen[bytes]] = {}


def make_dir(sandbox_dir: str | Path) -> Path:
    path = Path(sandbox_dir).expanduser().resolve()
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered through the umask
    return path


def read_info(sandbox_dir: Path) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = json.loads((sandbox_dir / INFO_NAME).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def write_info(sandbox_dir: Path, url: str, pid: int) -> None:
    tmp = sandbox_dir / f".{INFO_NAME}.{pid}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": url, "pid": pid}, handle)
    os.replace(tmp, sandbox_dir / INFO_NAME)  # atomic: readers never see half a file


def remove_info(sandbox_dir: Path, pid: int) -> None:
    info = read_info(sandbox_dir)
    if info is not None and info.get("pid") == pid:
        with contextlib.suppress(FileNotFoundError):
            (sandbox_dir / INFO_NAME).unlink()


def live_url(sandbox_dir: Path) -> str | None:
    """The URL in server.json if a sandbox answers there, for this very database."""
    info = read_info(sandbox_dir)
    if not info or not isinstance(info.get("url"), str):
        return None
    try:
        answer = health(info["url"], timeout=1.0)
    except SandboxError:
        return None
    same_db = answer.get("db_path") == str(sandbox_dir / DB_NAME)
    if answer.get("status") == "ok" and same_db and answer.get("pid") == info.get("pid"):
        return str(info["url"])
    return None


@contextlib.contextmanager
def _dir_lock(sandbox_dir: Path) -> Iterator[None]:
    # Two kernels starting at once must not spawn two servers for one database.
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; a rare double start is harmless
        yield
        return
    with open(sandbox_dir / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _known(sandbox_dir: Path, url: str) -> str:
    """``url``, after telling this process's admin calls the trainer token of ``sandbox_dir``."""
    token = read_token_file(sandbox_dir)
    if token:
        remember_token(url, token)
    return url


def ensure_running(sandbox_dir: str | Path) -> str:
    """Base URL of a live sandbox for ``<sandbox_dir>/sandbox.sqlite3``, starting one if needed.

    This process's admin calls (``admin.py``) then use the sandbox's trainer token by themselves.
    """
    path = make_dir(sandbox_dir)
    with _dir_lock(path):
        url = live_url(path)
        if url:
            return _known(path, url)
        env = dict(os.environ)
        # The package may not be installed: let the child import it from where we found it.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        with open(path / LOG_NAME, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "onboarding_helpers.sandbox", "serve", "--dir", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=str(path),
            )
        _SPAWNED[proc.pid] = proc
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                _SPAWNED.pop(proc.pid, None)
                raise SandboxError(
                    f"The sandbox server exited at start (code {proc.returncode});"
                    f" see {path / LOG_NAME}"
                )
            info = read_info(path)
            if info and info.get("pid") == proc.pid:
                url = live_url(path)
                if url:
                    return _known(path, url)
            time.sleep(0.05)
        proc.terminate()
        raise SandboxError(f"The sandbox server did not start in time; see {path / LOG_NAME}")


def _gone(pid: int) -> bool:
    proc = _SPAWNED.get(pid)
    if proc is not None:
        return proc.poll() is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _serves(pid: int, sandbox_dir: Path) -> bool:
    """Whether ``pid`` is the ``serve --dir sandbox_dir`` that ``ensure_running`` started (Linux's
    /proc; elsewhere unknown, so False)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    wanted = [b"onboarding_helpers.sandbox", b"serve", b"--dir", os.fsencode(str(sandbox_dir))]
    return any(words[i : i + 4] == wanted for i in range(len(words)))


def stop_running(sandbox_dir: str | Path) -> bool:
    """Stop the background sandbox of ``sandbox_dir``; False if none was running."""
    path = Path(sandbox_dir).expanduser().resolve()
    if not path.is_dir():
        return False
    with _dir_lock(path):
        info = read_info(path)
        if info is None:
            return False
        pid = info.get("pid")
        # Only signal a pid proved to be our sandbox (pids get reused): by the health check, or,
        # when a loaded machine makes that time out, by the process's own command line.
        if not isinstance(pid, int) or (live_url(path) is None and not _serves(pid, path)):
            with contextlib.suppress(FileNotFoundError):
                (path / INFO_NAME).unlink()
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
            if pid in _SPAWNED:
                _SPAWNED[pid].wait(timeout=5)
        _SPAWNED.pop(pid, None)
        remove_info(path, pid)
        return True
