"""The runner's side of the kernel fork server (``kernel_forks``): start it, ask it for kernels.

``ForkServer`` starts the server process with the run's environment and working folder, handing
it a listening Unix socket in the pool's private folder. ``ForkedKernel`` stands for one forked
kernel where jupyter_client expects a ``subprocess.Popen``: pid, poll, wait and signals. The pid
is read when first needed, so asking for a kernel never waits for the server's imports.

A run starts its own server, unless ONBOARDING_KERNEL_FORK_SERVER names the socket of one that
is already running (``ForkServer.attach``): many short runs then share one server's imports, as
the tests' runs do (one server per pytest worker). A shared server forks a kernel only for a run
whose environment is its own but for the run's ONBOARDING_* settings, which this package reads
when called, never when imported.

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

from .. import kernel_forks

FORKS_VARIABLE = "ONBOARDING_KERNEL_FORKS"
SERVER_VARIABLE = "ONBOARDING_KERNEL_FORK_SERVER"
LAUNCHER = ["-m", "ipykernel_launcher"]
# Environment entries a forked kernel's environment may differ in from its server's: those
# jupyter_client sets per kernel, and the run's settings (read by this package when called).
# Others (PYTHONPATH, say) act at interpreter start or when a module is imported.
PER_KERNEL = ("JPY_", "ONBOARDING_")


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
    """Whether the process runs: neither gone nor a zombie waiting for init to reap it
    (Linux's /proc)."""
    try:  # /proc/PID/stat: "pid (command) state ppid ...", the command may hold spaces
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class ForkServer:
    """A fork server for a run's kernels: the run's own (``launch``), or a shared one
    (``attach``). It forks kernels for runs with its environment (``can_start``)."""

    def __init__(
        self, path: str, env: Mapping[str, str], process: subprocess.Popen[bytes] | None = None
    ) -> None:
        self.path = path
        self.env = dict(env)
        self.process = process  # None: shared, someone else's to stop

    @classmethod
    def launch(
        cls, folder: Path, cwd: Path, env: Mapping[str, str], modules: Iterable[str], log: Any
    ) -> ForkServer:
        """Start a server listening in ``folder`` (private: 0700); it lives while we do, or
        until ``close``."""
        path = str(folder / "kernel-forks.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(path)
            listener.listen(64)
            process = subprocess.Popen(  # noqa: S603 - our own module, our interpreter
                [sys.executable, "-m", kernel_forks.__name__, str(listener.fileno()), path]
                + list(modules),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                cwd=str(cwd),
                env=dict(env),
                pass_fds=[listener.fileno()],
                start_new_session=True,  # Ctrl-C in the terminal is the runner's alone
            )
        finally:
            listener.close()
        return cls(path, env, process)

    @classmethod
    def attach(cls, path: str) -> ForkServer | None:
        """The server already listening at ``path``, if one answers there and runs as this
        user with this interpreter (else None: the run starts its own)."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            connection.settimeout(10)
            connection.connect(path)
            if kernel_forks.peer(connection)[1] != os.getuid():
                return None  # never hand our environment to someone else's process
            connection.sendall(json.dumps({"hello": True}).encode())
            about = json.loads(connection.recv(kernel_forks.MAX_REQUEST))
            if about.get("executable") != sys.executable:
                return None
            return cls(path, about["env"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        finally:
            connection.close()

    def can_start(self, cmd: list[str], env: Mapping[str, str] | None) -> bool:
        """Whether the kernel jupyter_client means to launch is one this server can fork."""
        if cmd[:1] != [sys.executable] or cmd[1:3] != LAUNCHER:
            return False
        if self.process is not None and self.process.poll() is not None:
            return False
        return self.suits(os.environ if env is None else env)

    def suits(self, env: Mapping[str, str]) -> bool:
        """Whether kernels with environment ``env`` may be forked from this server."""

        def shared(entries: Mapping[str, str]) -> dict[str, str]:
            return {k: v for k, v in entries.items() if not k.startswith(PER_KERNEL)}

        return shared(self.env) == shared(env)

    def fork(self, cmd: list[str], launch: Mapping[str, Any]) -> tuple[ForkedKernel, str] | None:
        """A fork for the kernel jupyter_client means to launch (``cmd``, and its launch
        keywords: env, cwd, stdout, stderr), and its working folder; None where this server
        cannot start it (the caller starts it the usual way)."""
        env = launch.get("env")
        if not self.can_start(cmd, env):
            return None
        cwd = launch.get("cwd") or os.getcwd()
        try:
            process = self.start(
                cmd[3:],
                env=dict(os.environ if env is None else env),
                cwd=cwd,
                stdout=launch.get("stdout"),
                stderr=launch.get("stderr"),
            )
        except ForkServerGone:  # a shared server stopped
            return None
        return process, cwd

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
        """Let our own server go (its stdin closes) and collect it; a shared one stays."""
        if self.process is None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
