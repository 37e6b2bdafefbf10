"""The ``onboarding-forks`` kernel provisioner (``runner/provisioner.py``), as a Jupyter server
uses it: jupyter_client's own KernelManager, picking the provisioner by its documented
JUPYTER_DEFAULT_PROVISIONER_NAME, starts, runs, interrupts, restarts and stops forked kernels."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning.factory import KernelProvisionerFactory

from onboarding_helpers.kernel_forks import PROVISIONER_VARIABLE
from onboarding_helpers.runner import provisioner
from onboarding_helpers.runner.forked import FORKS_VARIABLE

pytestmark = pytest.mark.notebook

FORK_SERVER = "onboarding_helpers.kernel_forks"


@pytest.fixture
def kernels(monkeypatch) -> Iterator[list[KernelManager]]:
    """Kernel managers made by the test, as a Jupyter server makes them; all stopped after,
    and the fork server this process started for them."""
    monkeypatch.setenv(PROVISIONER_VARIABLE, provisioner.NAME)
    # The factory is a singleton that reads the variable when first made: in this process an
    # earlier test may have made it already (a Jupyter server has the variable from its start).
    factory = KernelProvisionerFactory.instance()
    monkeypatch.setattr(factory, "default_provisioner_name", provisioner.NAME)
    managers: list[KernelManager] = []
    yield managers
    for km in managers:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    if provisioner._server is not None:
        provisioner._server.close()
        provisioner._server = None


def run(km: KernelManager, code: str, timeout: float = 30) -> dict[str, Any]:
    """Execute ``code``; what it printed, and how it ended."""
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []
        reply = client.execute_interactive(
            code,
            timeout=timeout,
            output_hook=lambda m: printed.append(m["content"].get("text", "")),
        )
        return {"printed": "".join(printed), **reply["content"]}
    finally:
        client.stop_channels()


def test_a_jupyter_servers_kernels_are_forked_run_interrupt_restart_and_stop(kernels):
    # The first kernel starts the usual way while the fork server imports ...
    first = KernelManager(kernel_name="python3")
    kernels.append(first)
    first.start_kernel()
    assert type(first.provisioner).__name__ == "ForkedProvisioner"
    assert psutil.Process(first.provisioner.pid).ppid() == psutil.Process().pid
    assert provisioner._server is not None
    # ... and the next ones are forks.
    km = KernelManager(kernel_name="python3")
    kernels.append(km)
    km.start_kernel()
    kernel = psutil.Process(km.provisioner.pid)
    server = kernel.parent()
    assert server.pid == provisioner._server.process.pid and server.ppid() == psutil.Process().pid
    assert FORK_SERVER in " ".join(server.cmdline())
    seen = run(km, "import os, twilio; print(os.getppid(), os.getsid(0) == os.getpid())")
    assert seen["printed"].split() == [str(server.pid), "True"]

    # Lab's stop button: SIGINT into the kernel's session, the cell ends, the kernel lives.
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    msg_id = client.execute("import time; print('sleeping', flush=True); time.sleep(60)")
    while True:  # until the cell runs: a kernel between cells takes no interrupt
        message = client.get_iopub_msg(timeout=30)
        if message["parent_header"].get("msg_id") == msg_id:
            if "sleeping" in message["content"].get("text", ""):
                break
    km.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    client.stop_channels()
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["ename"] == "KeyboardInterrupt" and km.is_alive()

    km.restart_kernel(now=True)  # a fresh kernel from the same server
    restarted = psutil.Process(km.provisioner.pid)
    assert restarted.pid != kernel.pid and restarted.ppid() == server.pid
    assert not kernel.is_running() or kernel.status() == psutil.STATUS_ZOMBIE
    assert run(km, "print(40 + 2)")["printed"].strip() == "42"

    km.shutdown_kernel()
    assert not restarted.is_running() or restarted.status() == psutil.STATUS_ZOMBIE
    assert server.is_running()  # for the server's next kernel


def test_a_voila_page_kernel_is_forked_and_sees_its_request_another_environment_is_not(kernels):
    first = KernelManager(kernel_name="python3")
    kernels.append(first)
    first.start_kernel()  # the first kernel starts the fork server
    page = {"PATH_INFO": "/voila/render/01_account_sid.ipynb", "VOILA_BASE_URL": "/"}
    km = KernelManager(kernel_name="python3")
    kernels.append(km)
    km.start_kernel(env={**os.environ, **page})
    assert psutil.Process(km.provisioner.pid).ppid() == provisioner._server.process.pid
    seen = run(km, "import os; print(os.environ['PATH_INFO'], os.environ['VOILA_BASE_URL'])")
    assert seen["printed"].split() == [page["PATH_INFO"], "/"]
    # Anything else that differs (a kernelspec's PYTHONPATH, say) acts at start: not forked.
    other = KernelManager(kernel_name="python3")
    kernels.append(other)
    other.start_kernel(env={**os.environ, "PYTHONPATH": "/nowhere"})
    assert psutil.Process(other.provisioner.pid).ppid() == psutil.Process().pid


def test_where_kernels_are_not_forked_they_start_as_jupyter_client_starts_them(
    kernels, monkeypatch
):
    monkeypatch.setenv(FORKS_VARIABLE, "0")
    km = KernelManager(kernel_name="python3")
    kernels.append(km)
    km.start_kernel()
    assert psutil.Process(km.provisioner.pid).ppid() == psutil.Process().pid
    assert provisioner._server is None
    assert run(km, "print('ordinary')")["printed"].strip() == "ordinary"
