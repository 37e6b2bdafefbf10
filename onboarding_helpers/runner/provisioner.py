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

# What Voila adds to each page's kernel environment (voila/utils.py, ENV_VARIABLE): the request,
# for the notebook to read; nothing imports them. A kernel may differ from the fork server in
# these, besides the entries jupyter_client sets per kernel (forked.PER_KERNEL).
PER_PAGE_PREFIX = "VOILA_"
PER_PAGE = frozenset(
    {
        "SERVER_NAME",
        "SERVER_PORT",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "SERVER_SOFTWARE",
        "SERVER_PROTOCOL",
    }
)

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


def per_page(name: str) -> bool:
    return name in PER_PAGE or name.startswith(PER_PAGE_PREFIX)


class ForkedProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, launching by fork where it can."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        env = dict(kwargs.get("env") or os.environ)
        server = fork_server(env)
        shared = {k: v for k, v in env.items() if not per_page(k)}
        if server is None or not server.can_start(cmd, shared):
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd") or os.getcwd()
        try:
            process = server.start(
                cmd[3:], env=env, cwd=cwd, stdout=kwargs.get("stdout"), stderr=kwargs.get("stderr")
            )
            # The pid comes when the server has forked: the first kernel waits for its imports.
            pid = await asyncio.get_running_loop().run_in_executor(None, lambda: process.pid)
        except ForkServerGone:  # it stopped: this kernel starts the usual way
            return await super().launch_kernel(cmd, **kwargs)
        # No pgid: signals go through the process, into the kernel's own session.
        self.process, self.pid, self.pgid, self.cwd = process, pid, None, cwd
        return self.connection_info
