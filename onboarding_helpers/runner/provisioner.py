"""Forked kernels for JupyterLab, Voila and the class hub's servers: a jupyter_client kernel
provisioner, ``onboarding-forks``.

With JUPYTER_DEFAULT_PROVISIONER_NAME=onboarding-forks in a Jupyter server's environment (``make
lab``, ``make voila`` and each trainee's server on the class hub set it), the server's kernels
are forked from one kernel fork server (``kernel_forks.py``), started at its first kernel and
gone with it, as headless runs' kernels are: each notebook still gets a fresh kernel process,
ready in a fraction of a second instead of after a CPU-second or more of imports. That is felt
when an officer opens a step, and counts for a class of trainees sharing one machine. The first
kernel starts the usual way while the fork server imports. A kernel the
fork server cannot start (another kernel, another environment; off Linux, or with
ONBOARDING_KERNEL_FORKS=0) starts as jupyter_client's own provisioner starts it.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from .. import kernel_forks
from .forked import ForkServer, ForkServerGone, available
from .kernels import preload_modules

NAME = kernel_forks.PROVISIONER
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

_server: ForkServer | None = None  # this Jupyter server's fork server, once it has one


def fork_server(env: dict[str, str]) -> ForkServer | None:
    """This process's fork server, once started; None before, or where kernels cannot be forked.
    The first call starts it with this process's environment and returns None: that kernel
    starts the usual way while the server imports, so the first notebook does not wait."""
    global _server
    if _server is not None and _server.process is not None and _server.process.poll() is None:
        return _server
    if not available(env):
        return None
    folder = Path(tempfile.mkdtemp(prefix="onboarding-kernel-forks-"))  # 0700
    atexit.register(shutil.rmtree, folder, True)
    modules = preload_modules(sorted(NOTEBOOKS.glob("*.ipynb")))
    # Its output goes where the Jupyter server's does (None: inherited), as a kernel's would.
    _server = ForkServer.launch(folder, Path.cwd(), os.environ, modules, log=None)
    return None


class ForkedProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, launching by fork where it can."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        server = fork_server(dict(kwargs.get("env") or os.environ))
        forked = server.fork(cmd, kwargs) if server else None
        if forked is None:
            return await super().launch_kernel(cmd, **kwargs)
        process, cwd = forked
        try:  # the pid comes once the server has forked
            pid = await asyncio.get_running_loop().run_in_executor(None, lambda: process.pid)
        except ForkServerGone:  # it stopped meanwhile: this kernel starts the usual way
            return await super().launch_kernel(cmd, **kwargs)
        # No pgid: signals go through the process, into the kernel's own session.
        self.process, self.pid, self.pgid, self.cwd = process, pid, None, cwd
        return self.connection_info
