"""The runner's side of the kernel fork server (``kernel_forks``): start it, ask it for kernels.

``ForkServer`` starts the server process with the run's environment and working folder, handing
it a listening Unix socket in the pool's private folder. ``ForkedKernel`` stands for one forked
kernel where jupyter_client expects a ``subprocess.Popen``: pid, poll, wait and signals. The pid
is read when first needed, so asking for a kernel never waits for the server's imports.

Linux only (``available``): elsewhere, or with ONBOARDING_KERNEL_FORKS=0, kernels start as
jupyter_client starts them, one ``python -m ipykernel_launcher`` each.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import kernel_forks, procfs

FORKS_VARIABLE = "ONBOARDING_KERNEL_FORKS"
LAUNCHER = ["-m", "ipykernel_launcher"]
# Environment entries jupyter_client sets per kernel: the only ones a forked kernel's
# environment may differ in from the server's (others, PYTHONPATH say, act at interpreter start).
PER_KERNEL = ("JPY_",)


def available(env: Mapping[str, str]) -> bool:
    """Whether kernels of a run with environment ``env`` start as forks."""
    return sys.platform == "linux" and env.get(FORKS_VARIABLE, "1") != "0"


class ForkServerGone(RuntimeError):
    """The fork server did not answer: it died, or could not start."""


class ForkedKernel:
    """A kernel the fork server started, shaped like the ``Popen`` jupyter_client keeps."""

    stdin = stdout = stderr = None

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._pid: int | None = None
        self.returncode: int | None = None

    def _receive(self, timeout: float | None) -> dict[str, Any] | None:
        self._connection.settimeout(timeout)
        try:
            data = self._connection.recv(4096)
        except (TimeoutError, BlockingIOError):
            return None
        except OSError:
            data = b""
        if not data:
            return {}
        message: dict[str, Any] = json.loads(data)
        return message

    @property
    def pid(self) -> int:
        if self._pid is None:
            reply = self._receive(timeout=60)
            if not reply or "pid" not in reply:
                why = (reply or {}).get("error", "no answer")
                raise ForkServerGone(f"the kernel fork server did not start a kernel: {why}")
            self._pid = int(reply["pid"])
        return self._pid

    def poll(self) -> int | None:
        if self.returncode is None:
            pid = self.pid
            reply = self._receive(timeout=0)
            if reply is None:
                return None
            if "exit" in reply:
                self.returncode = int(reply["exit"])
            elif _running(pid):  # the server is gone: its kernels die with it (a moment)
                return None
            else:
                self.returncode = -signal.SIGKILL  # how the server's death ends them
            self._connection.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout or 0)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # not reaped yet: the pid is still this kernel's
            try:
                os.killpg(self.pid, signum)  # its session: the kernel and what it started
            except ProcessLookupError:  # not in its own session yet (just forked)
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _running(pid: int) -> bool:
    """Whether the process runs: neither gone nor a zombie waiting for init to reap it."""
    stat = procfs.state_and_parent(pid)
    return stat is not None and stat[0] not in ("Z", "X")


class ForkServer:
    """One fork server for a run's kernels: same environment, same working folder."""

    def __init__(
        self, folder: Path, cwd: Path, env: Mapping[str, str], modules: Iterable[str], log: Any
    ) -> None:
        self.env = dict(env)
        self.path = str(folder / "kernel-forks.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(self.path)
            listener.listen(64)
            self.process = subprocess.Popen(  # noqa: S603 - our own module, our interpreter
                [
                    sys.executable,
                    "-m",
                    kernel_forks.__name__,
                    str(listener.fileno()),
                    self.path,
                    *modules,
                ],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                cwd=str(cwd),
                env=self.env,
                pass_fds=[listener.fileno()],
                start_new_session=True,  # Ctrl-C in the terminal is the runner's alone
            )
        finally:
            listener.close()

    def can_start(self, cmd: list[str], env: Mapping[str, str] | None) -> bool:
        """Whether the kernel jupyter_client means to launch is one this server can fork."""
        if cmd[:1] != [sys.executable] or cmd[1:3] != LAUNCHER or self.process.poll() is not None:
            return False
        env = dict(os.environ if env is None else env)
        ours = {k: v for k, v in self.env.items() if not k.startswith(PER_KERNEL)}
        theirs = {k: v for k, v in env.items() if not k.startswith(PER_KERNEL)}
        return ours == theirs

    def start(
        self, argv: list[str], *, env: Mapping[str, str], cwd: str, stdout: Any, stderr: Any
    ) -> ForkedKernel:
        """Ask for a kernel run as ``ipykernel_launcher argv``; its pid comes later."""
        request = json.dumps({"argv": argv, "env": dict(env), "cwd": cwd}).encode()
        fds, opened = [], []
        for stream, default in ((stdout, 1), (stderr, 2)):
            if stream == subprocess.DEVNULL:
                opened.append(os.open(os.devnull, os.O_WRONLY))
                fds.append(opened[-1])
            elif stream is None:
                fds.append(default)
            else:
                fds.append(stream if isinstance(stream, int) else stream.fileno())
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            connection.connect(self.path)
            socket.send_fds(connection, [request], fds)
        except OSError as error:
            connection.close()
            raise ForkServerGone(f"the kernel fork server is not answering: {error}") from None
        finally:
            for fd in opened:
                os.close(fd)
        return ForkedKernel(connection)

    def close(self) -> None:
        """Let the server go (its stdin closes) and collect it."""
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
