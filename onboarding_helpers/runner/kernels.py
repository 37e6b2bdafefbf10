"""Kernels for a headless run: one fresh kernel per notebook, as under plain papermill, started
ahead of its turn, preloading its notebook's imports, and shut down in the background.

Kernels talk over IPC sockets in a private folder, get the run's environment passed explicitly
(``env``), and write their stderr to a log beside the executed notebooks. Ctrl-C is held back
while a kernel starts or stops (``Interrupts``). jupyter_client, jupyter_core and papermill are
imported inside functions: they are heavy, and only a run that starts kernels needs them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from queue import Empty
from typing import Any

from .. import twilio_gateway
from ..files import open_private
from .forked import SERVER_VARIABLE, ForkServer, available


def _open_log(path: Path) -> Any:
    """The kernels' log, appended to; never through a link (``files.open_private``)."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, "--out")
    return open(fd, "ab", closefd=True)  # noqa: SIM115 - closed by the pool


# How many kernels boot ahead of the notebook that runs. A kernel takes most of a second to
# start, longer than most steps' cells; two booting at once keep both cores of a small machine
# busy without starving the running notebook.
PRESTART = 2
# Heavy modules that package modules import inside functions (so that importing the package
# stays cheap), by the module that does so, which names them. The fork server imports them all; a
# kernel started without one, whose notebook loaded the module, loads them while it waits for its
# turn: the Twilio SDK (~0.2 s at a step's first request).
LAZY_IMPORTS = {twilio_gateway.__name__: twilio_gateway.LATE_IMPORTS}
# How long a kernel asked to shut down may take before it gets SIGTERM (then SIGKILL), as
# jupyter_client escalates but sooner: ipykernel usually exits in 0.2-0.4 s, and now and then
# its control thread hangs after replying, which would cost jupyter_client's default 2.5 s.
SHUTDOWN_GRACE = 0.5
KERNEL_DIR_PREFIX = "onboarding-kernels-"


def import_papermill() -> Any:
    """papermill, without the ~1.6 s that ``rfc3987_syntax`` costs at import.

    jsonschema (through nbformat) imports ``rfc3987_syntax`` when it is installed, as in a
    JupyterLab environment, and that module builds a Lark grammar at import time, for the "iri"
    format checks that notebook validation never uses. A stand-in loads it on first use instead.
    """
    name = "rfc3987_syntax"
    if name not in sys.modules and "jsonschema" not in sys.modules:
        if importlib.util.find_spec(name) is not None:
            stand_in = types.ModuleType(name)

            def load() -> Any:
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
                return importlib.import_module(name)

            def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
                return load().is_valid_syntax(*args, **kwargs)

            def attribute(attr: str) -> Any:
                if attr.startswith("__"):  # the import system probing (__path__ ...): not us
                    raise AttributeError(attr)
                return getattr(load(), attr)

            stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
            stand_in.__getattr__ = attribute  # type: ignore[method-assign]
            sys.modules[name] = stand_in
    import papermill  # heavy (nbclient, nbformat, jsonschema): only when notebooks run

    return papermill


def notebook_imports(path: Path) -> list[str]:
    """Modules the notebook imports at the top level of its code cells, in order."""
    modules: list[str] = []
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse("".join(cell.get("source", "")))
        except SyntaxError:  # IPython magics: the kernel will say what is wrong
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.append(node.module)
    return list(dict.fromkeys(modules))


def preload_modules(notebooks: list[Path]) -> list[str]:
    """What a fork server imports for these notebooks: their imports, and what those import late."""
    modules = [name for path in notebooks for name in notebook_imports(path)]
    modules += [name for lazy in LAZY_IMPORTS.values() for name in lazy]
    return list(dict.fromkeys(modules))


def preload_line(path: Path) -> str:
    """An IPython exec line that imports what the notebook will need, while the kernel waits.

    It runs through ``exec`` with a throwaway namespace and evaluates to None: nothing lands in
    the notebook's namespace, nothing is displayed, the execution count stays at 0. A failing
    import is left for the notebook's own cell to report.
    """
    code = (
        "import importlib, sys\n"
        "def load(names):\n"
        "    for name in names:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except Exception:\n"
        "            pass\n"
        f"load({notebook_imports(path)!r})\n"
        f"for module, lazy in {LAZY_IMPORTS!r}.items():\n"
        "    if module in sys.modules:\n"
        "        load(lazy)\n"
    )
    return f"exec({code!r}, {{}})"


def ipc_manager_class() -> type:
    """A kernel manager using IPC sockets: no code or output crosses loopback TCP in clear."""
    # jupyter_client is heavy (zmq, tornado): imported only when a run starts kernels.
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            super().__init__(*args, **kwargs)

    return IPCKernelManager


def quick_ready_client_class() -> type:
    """A kernel client that is ready as soon as IOPub carries its kernel_info request's status.

    jupyter_client's ``wait_for_ready`` ends by draining IOPub until it has been silent for
    0.2 s, a fixed cost per notebook. What the drain guards against is an IOPub subscription
    not yet live (outputs of the first cell lost); the 'idle' status of our own request proves
    it is live. The reply's protocol version is then handled as jupyter_client's own wait does,
    through the session's public ``adapt_version``.
    """
    from jupyter_client import protocol_version_info  # heavy: only to start kernels
    from jupyter_client.asynchronous import AsyncKernelClient

    class QuickReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (60.0 if timeout is None else timeout)
            while time.monotonic() < deadline:
                try:
                    reply = await self._answered(self.kernel_info())
                except Empty:  # no answer yet, or IOPub not subscribed yet: ask again
                    if not await self.is_alive():
                        raise RuntimeError("Kernel died before replying to kernel_info") from None
                    continue
                spoken = int(reply["content"]["protocol_version"].split(".")[0])
                if spoken != protocol_version_info[0]:
                    self.session.adapt_version = spoken
                return
            raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

        async def _answered(self, msg_id: str) -> dict[str, Any]:
            """The reply to ``msg_id``, once IOPub has carried its 'idle' status; Empty if a
            channel stays silent."""
            while True:  # skip replies to earlier attempts
                reply = await self.shell_channel.get_msg(timeout=1)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            while True:
                msg = await self.iopub_channel.get_msg(timeout=0.5)
                if (
                    msg["parent_header"].get("msg_id") == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"
                ):
                    return reply

    return QuickReadyClient


def forking_provisioner_class() -> type:
    """jupyter_client's local provisioner, launching a fork of the run's fork server where it can.

    A provisioner is jupyter_client's public way to launch kernels differently (LocalProvisioner
    is there to be subclassed). The pool hands one to each of its kernel managers: no entry
    point, so no Jupyter server can pick it.
    """
    from jupyter_client.provisioning import LocalProvisioner  # heavy: only to start kernels

    class ForkingProvisioner(LocalProvisioner):  # type: ignore[misc]
        fork_server: ForkServer | None = None

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            forked = self.fork_server.fork(cmd, kwargs) if self.fork_server else None
            if forked is None:  # not a kernel the server can fork: a new process
                return await super().launch_kernel(cmd, **kwargs)
            # What LocalProvisioner records, but no pgid: signals go through the process (its
            # own session once forked), whose pid may not be known yet.
            self.process, self.cwd = forked
            self.pgid = None
            return self.connection_info

    return ForkingProvisioner


def pooled_manager_class() -> type:
    """The IPC kernel manager, with the quick-ready client, forking its kernel where it can, and
    remembering the clients it made.

    nbclient leaves its client's channels open on a kernel manager it did not create; the pool
    closes them.
    """
    base = ipc_manager_class()
    client_class = quick_ready_client_class()
    provisioner_class = forking_provisioner_class()

    class PooledKernelManager(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, fork_server: ForkServer | None = None, **kwargs: Any):
            kwargs.setdefault("client_factory", client_class)
            super().__init__(*args, **kwargs)
            self.clients: list[Any] = []
            if fork_server is not None:  # else jupyter_client picks the provisioner, as ever
                self.kernel_id = str(uuid.uuid4())
                self.provisioner = provisioner_class(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
                )
                self.provisioner.fork_server = fork_server

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

    return PooledKernelManager


def blocking(coroutine_function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a kernel manager coroutine from the runner's synchronous code, as nbclient does."""
    from jupyter_core.utils import run_sync  # comes with jupyter_client: only with kernels

    return run_sync(coroutine_function)(*args, **kwargs)


class Interrupts:
    """Ctrl-C, held back while kernels start or stop.

    A KeyboardInterrupt in the middle of starting a kernel leaves a kernel nobody can stop (it
    prints warnings after the runner is gone), and one inside nbclient's event loop comes out
    as some other exception. So the handler only notes the request while ``shielded`` and raises
    once the kernel work is done; the run loop checks ``requested`` after a failed step.
    """

    def __init__(self) -> None:
        self.requested = False
        self.shielded = 0

    def handler(self, signum: int, frame: Any) -> None:
        self.requested = True
        if not self.shielded:
            raise KeyboardInterrupt

    @contextmanager
    def shield(self) -> Iterator[None]:
        self.shielded += 1
        try:
            yield
        finally:
            self.shielded -= 1
        if not self.shielded and self.requested:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; nothing to hold back here
            return
        previous = signal.signal(signal.SIGINT, self.handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def sweep_kernel_dirs(temp: Path) -> None:
    """Remove the kernel folders of runs that were killed: SIGKILL leaves no chance to clean up.

    A folder is named after the runner's pid; its kernels exit on their own once that runner is
    gone (they watch their parent), so a folder whose runner is gone is litter.
    """
    for folder in temp.glob(f"{KERNEL_DIR_PREFIX}*"):
        found = re.match(rf"{KERNEL_DIR_PREFIX}(\d+)-", folder.name)
        if not found:
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, another user's
            pass


class KernelPool:
    """One fresh kernel per notebook, as under plain papermill, started ahead of its turn.

    Kernels get ``env`` as their whole environment (the runner's own stays untouched) and live
    in a private 0700 folder holding their connection files and IPC sockets. A used kernel is
    asked to shut down and reaped later, off the critical path; ``close`` reaps the rest, kills
    kernels never used, removes the folder, and runs on failure and Ctrl-C too.
    """

    def __init__(
        self,
        notebooks: list[Path],
        cwd: Path,
        *,
        env: Mapping[str, str] | None = None,
        shield: Callable[[], AbstractContextManager[None]] = nullcontext,
        log_path: Path | None = None,
    ) -> None:
        self._notebooks = notebooks
        self._cwd = cwd
        self._env = dict(os.environ if env is None else env)
        self._shield = shield
        temp = Path(tempfile.gettempdir())
        if os.name == "posix":
            sweep_kernel_dirs(temp)
        prefix = f"{KERNEL_DIR_PREFIX}{os.getpid()}-"
        self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=temp))  # 0700
        self._log_path = log_path
        self._log = subprocess.DEVNULL if log_path is None else _open_log(log_path)
        self._manager = pooled_manager_class()
        self.kernels: list[Any] = []  # the managers started so far, by notebook index
        self._unused: set[int] = set()
        self._stopping: list[tuple[float, Any]] = []  # (when asked to shut down, manager)
        self._forks: ForkServer | None = None

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._shield():
            self.close()

    def fill(self, upto: int) -> None:
        """Start kernels for every notebook up to index ``upto`` (bounded by their number)."""
        while len(self.kernels) <= min(upto, len(self._notebooks) - 1):
            index = len(self.kernels)
            if self._forks is None and available(self._env):
                self._forks = self._fork_server()
            km = self._manager(
                kernel_name="python3",
                fork_server=self._forks,
                connection_file=str(self.folder / f"kernel-{index}.json"),
                ip=str(self.folder / f"kernel-{index}-ipc"),
            )
            self.kernels.append(km)
            self._unused.add(index)
            arguments = [
                "--HistoryManager.hist_file=:memory:",  # as nbclient starts kernels
                f"--IPKernelApp.exec_lines={preload_line(self._notebooks[index])}",
            ]
            blocking(
                km.start_kernel,
                extra_arguments=arguments,
                cwd=str(self._cwd),
                env=dict(self._env),
                # A kernel's own stderr (ipykernel warnings, a kernel stopped mid-cell) is not
                # the officer's business: it goes to a log beside the executed notebooks.
                stdout=self._log,
                stderr=self._log,
            )

    def _fork_server(self) -> ForkServer:
        """The shared fork server named in the kernels' environment, if it suits them, else one
        of our own."""
        shared = self._env.get(SERVER_VARIABLE, "")
        server = ForkServer.attach(shared) if shared else None
        if server is None or not server.suits(self._env):
            modules = preload_modules(self._notebooks)
            server = ForkServer.launch(self.folder, self._cwd, self._env, modules, self._log)
        return server

    def take(self, index: int) -> Any:
        """The kernel for notebook ``index``; kernels for the next notebooks start booting."""
        self.fill(index + PRESTART)
        self._unused.discard(index)
        self._reap(wait=False)
        return self.kernels[index]

    def release(self, km: Any) -> None:
        """Close the notebook's client and ask its kernel to shut down, without waiting."""
        for client in km.clients:
            client.stop_channels()
        km.clients.clear()
        try:
            if blocking(km.is_alive):
                # request_shutdown, not shutdown_kernel: that one interrupts the kernel first,
                # which makes it print "KeyboardInterrupt caught in kernel" on our stderr.
                blocking(km.request_shutdown)
        finally:
            self._stopping.append((time.monotonic(), km))

    def _reap(self, wait: bool) -> None:
        for item in list(self._stopping):
            asked, km = item
            try:
                if wait:
                    grace = max(0.05, asked + SHUTDOWN_GRACE - time.monotonic())
                    # Waits ``grace``, then SIGTERM, waits as long again, then SIGKILL.
                    blocking(km.finish_shutdown, waittime=2 * grace, pollinterval=0.02)
                elif blocking(km.is_alive):
                    continue  # still exiting (or hung): close() deals with it
                blocking(km.cleanup_resources)
            except Exception:  # one kernel's trouble must not keep the others running
                if not wait:
                    raise
            self._stopping.remove(item)

    def close(self) -> None:
        try:
            for index in sorted(self._unused):
                km = self.kernels[index]
                # Never ran a notebook's cells: nothing to lose by killing it. (shutdown_kernel
                # would interrupt it first, and a kernel interrupted while booting prints a
                # traceback on our stderr.)
                if hasattr(signal, "SIGKILL"):
                    blocking(km.signal_kernel, signal.SIGKILL)
                    self._stopping.append((0.0, km))
                else:
                    blocking(km.shutdown_kernel, now=True)
            self._unused.clear()
            self._reap(wait=True)
        finally:
            if self._forks is not None:
                self._forks.close()
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._log_path is not None and not isinstance(self._log, int):
                self._log.close()
                log = self._log_path
                if log.lstat().st_size == 0:
                    log.unlink()  # kernels said nothing: leave no empty file behind
