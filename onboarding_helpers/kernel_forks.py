"""A kernel fork server: imports what a kernel needs once, then forks a fresh kernel per notebook.

Starting an ipykernel costs about 1.4 CPU-seconds, nearly all of it importing IPython, zmq,
tornado, the Twilio SDK and this package, and every notebook of a run paid it again. This
process (one per run, started by ``KernelPool``, or one that many runs share: see
``runner/forked.py``) pays it once: it imports those modules, then waits on a listening socket
it inherits from whoever started it. For each request it forks a child that
becomes exactly what ``python -m ipykernel_launcher -f <connection file> ...`` would be (own
session, the request's environment, working folder and stdout/stderr), while the server sends
back the kernel's pid and, later, its exit status. Each notebook still gets a fresh kernel
process with nothing of another notebook in it: a fork starts from the server's imports only.
The kernel learns from the server, not from its environment, which runner asked for it (the
socket's peer): ``forked_for`` is what the lock believes. A runner that hangs up while its
kernels run (killed outright) has them killed.

Modules that set themselves up with a running IPython when imported need care: ipywidgets
registers its comm targets at import, so a kernel forked after the server imported it loads it
as an IPython extension, its documented set-up; matplotlib picks its backend from the kernel's
settings, so the server never imports it (the kernel does, as before).
Run as ``python -m onboarding_helpers.kernel_forks FD PATH MODULE...``: FD is the
listening socket, PATH its name (so that ``ps`` shows whose kernels these are: a forked kernel
shows its server's command line), then the modules to import. stdin is a pipe from whoever
started it: the server exits when it closes (its starter is gone), and its kernels after it
(they watch their parent).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.abc
import json
import os
import selectors
import signal
import socket
import struct
import sys
from typing import Any

# Modules that set themselves up for the IPython running when they are imported. The server
# never imports the first kind; a kernel loads the second as an extension when it was preloaded.
KERNEL_AWARE = frozenset({"matplotlib", "matplotlib_inline"})
KERNEL_EXTENSIONS = ("ipywidgets",)
PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal a process gets when its parent dies
# A request carries the kernel's argv, environment and folder; this bounds its size.
MAX_REQUEST = 1 << 20
PEERCRED = getattr(socket, "SO_PEERCRED", 17)  # Linux's number, where Python does not name it
# In a forked kernel: (its pid, its server's pid, the pid of the runner that asked for it).
_forked: tuple[int, int, int] | None = None
# The server's environment as it started, before imports added to it (debugpy sets a variable):
# what a runner compares its kernels' environment with.
_started_with: dict[str, str] = {}


class KernelAwareBlocker(importlib.abc.MetaPathFinder):
    """Refuses KERNEL_AWARE modules while the server preloads; removed in each kernel."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in KERNEL_AWARE:
            raise ImportError(f"{name} is imported in the kernel, not the fork server")
        return None


def preload(modules: list[str]) -> None:
    """Import the kernel's machinery, then each module that imports cleanly without IPython."""
    blocker = KernelAwareBlocker()
    sys.meta_path.insert(0, blocker)
    # debugpy warns on stderr, at import, that frozen modules may hide breakpoints; inside a
    # kernel that line goes nowhere (IOPub, no parent), here it would reach the run's log.
    quiet = "PYDEVD_DISABLE_FILE_VALIDATION" not in os.environ
    if quiet:
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    try:
        for name in ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", *modules]:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: S112 - the kernel imports it, and reports its failure
                continue
    finally:
        sys.meta_path.remove(blocker)
        if quiet:
            del os.environ["PYDEVD_DISABLE_FILE_VALIDATION"]
    # What the server imported stays put: the collector leaves it alone in every kernel, which
    # would otherwise walk (and so copy, page by page) the whole inherited heap.
    gc.collect()
    gc.freeze()


def serve(listener: socket.socket) -> dict[str, Any]:
    """Answer requests until stdin closes (then exit); returns only in a forked child.

    The server stays single-threaded (a fork copies only the calling thread): one selector
    watches the listener, the connections, stdin and SIGCHLD (through the wakeup fd).
    """
    selector = selectors.DefaultSelector()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    selector.register(listener, selectors.EVENT_READ, "listener")
    selector.register(sys.stdin, selectors.EVENT_READ, "runner")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    kernels: dict[int, socket.socket | None] = {}  # pid -> who to tell its exit status
    while True:
        for key, _ in selector.select():
            if key.data == "listener":
                connection, _ = listener.accept()
                if peer(connection)[1] == os.getuid():  # the folder is 0700; this, to be sure
                    selector.register(connection, selectors.EVENT_READ, "request")
                else:
                    connection.close()
            elif key.data == "runner":
                if not os.read(sys.stdin.fileno(), 4096):
                    os._exit(0)  # who started us is gone: so are we (no cleanup: the kernels'.)
            elif key.data == "child":
                try:
                    while os.read(wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                reap(kernels)
            else:
                assert isinstance(key.fileobj, socket.socket)
                request = answer(key.fileobj, selector, kernels)
                if request is not None:  # in the forked child: the server's state goes
                    for other in list(selector.get_map().values()):
                        if isinstance(other.fileobj, socket.socket):
                            other.fileobj.close()  # the listener, every runner's connection
                    selector.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    return request


def peer(connection: socket.socket) -> tuple[int, int]:
    """The pid and uid of the process at the other end of a Unix socket (the kernel's asker)."""
    pid, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, PEERCRED, 12))
    return pid, uid


def answer(
    connection: socket.socket,
    selector: selectors.BaseSelector,
    kernels: dict[int, socket.socket | None],
) -> dict[str, Any] | None:
    """One message from a runner: a kernel request (fork; returns the request in the child),
    a hello (what this server is), or a hang-up."""
    try:
        data, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST, 2)
    except OSError:
        data, fds = b"", []
    if not data:  # the runner hung up: done with its kernels, or killed
        selector.unregister(connection)
        connection.close()
        for pid, told in kernels.items():
            if told is connection:
                # Still running, with nobody left to stop it: a runner killed outright. Its
                # kernels go with it, as they would if we were its own server.
                kill_kernel(pid)
                kernels[pid] = None
        return None
    try:
        request = json.loads(data)
    except ValueError:
        request = {}
    if request.get("hello") and not fds:
        about = {"pid": os.getpid(), "executable": sys.executable, "env": _started_with}
        connection.sendall(json.dumps(about).encode())
        return None
    if len(fds) != 2 or not isinstance(request.get("argv"), list):
        for fd in fds:
            os.close(fd)
        connection.sendall(json.dumps({"error": "not a kernel request"}).encode())
        return None
    server, asker = os.getpid(), peer(connection)[0]
    try:
        pid = os.fork()
    except OSError as error:  # out of processes or memory: the runner says so
        for fd in fds:
            os.close(fd)
        connection.sendall(json.dumps({"error": str(error)}).encode())
        return None
    if pid == 0:  # the kernel-to-be
        become_kernel(request, fds, server, asker)
        return request
    for fd in fds:
        os.close(fd)
    kernels[pid] = connection
    connection.sendall(json.dumps({"pid": pid}).encode())
    reap(kernels)  # a child may have exited while we forked
    return None


def kill_kernel(pid: int) -> None:
    """SIGKILL a forked kernel and what it started (its session); reaped as any exit."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:  # not in its own session yet (just forked), or gone
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def reap(kernels: dict[int, socket.socket | None]) -> None:
    """Collect exited kernels and tell each one's runner its exit status, as Popen reports it."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        told = kernels.pop(pid, None)
        if told is not None:
            try:
                told.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
            except OSError:
                pass  # the runner stopped listening: nothing to tell


def die_with_parent(parent: int) -> None:
    """Be killed the moment the parent process goes (Linux's parent-death signal).

    For a kernel: ipykernel's own parent poller only starts once the kernel is initialised and
    looks once a second. For the server: it also watches stdin, but only between requests.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the other watches are all there is
        pass
    if os.getppid() != parent:  # gone already, before the signal was asked for
        os._exit(1)


def become_kernel(request: dict[str, Any], fds: list[int], server: int, asker: int) -> None:
    """In the forked child: the process state ``ipykernel_launcher`` would start with."""
    global _forked
    _forked = (os.getpid(), server, asker)
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    die_with_parent(server)
    os.setsid()  # its own session and process group, as jupyter_client launches kernels
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for target, fd in zip((1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # The kernel exits when this server does (ipykernel's parent poller): its parent is us.
    # IPKernelApp read JPY_PARENT_PID when the server imported it, hence the option too.
    os.environ["JPY_PARENT_PID"] = str(server)
    request["argv"].append(f"--IPKernelApp.parent_handle={server}")
    for name in KERNEL_EXTENSIONS:
        if name in sys.modules:
            request["argv"].append(f"--IPKernelApp.extra_extensions={name}")
    sys.argv = ["ipykernel_launcher", *request["argv"]]


def forked_for(runner: int) -> bool:
    """Whether this process is a kernel that its fork server, still its parent, forked when the
    process ``runner`` asked (the socket told the server who asked; nothing the kernel's
    environment claims counts)."""
    return _forked is not None and _forked == (os.getpid(), os.getppid(), runner)


def main(argv: list[str]) -> None:
    _started_with.update(os.environ)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=int(argv[0]))
    # As ipykernel_launcher: the folder we started in is not an import path (`-m` put it there).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    die_with_parent(os.getppid())  # the runner
    preload(argv[2:])
    request = serve(listener)
    from ipykernel import kernelapp  # imported already: the child starts here

    kernelapp.launch_new_instance(argv=request["argv"])


if __name__ == "__main__":
    # Run under the module's own name: what a forked kernel learns here (forked_for) must be
    # where the package looks for it, not in a __main__ that the kernel's shell replaces.
    from onboarding_helpers import kernel_forks

    kernel_forks.main(sys.argv[1:])
