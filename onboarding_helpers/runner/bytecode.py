"""``python -m onboarding_helpers.runner.bytecode [--servers]``: compile, at install, what a run
imports (with ``--servers``: what JupyterLab and Voila import, before ``make lab``/``voila``).

`make` installs the runtime with uv, which compiles no bytecode unless told to, and then compiles
every file of every package (JupyterLab's and Voila's too: about 15 s on two cores). Without
bytecode, every process of every run compiles its imports again wherever .pyc files are not
written (PYTHONDONTWRITEBYTECODE, as on shared machines), and a headless run takes three times as
long. This compiles only what a headless sandbox run loads, in about a third of the time: the
runner's and the sandbox server's modules, what the kernels import (the fork server's preload
of every step's notebook), and the Twilio SDK's parts for the resources the runbook uses (the
SDK imports those lazily). A module left out costs a run only its compilation.
"""

from __future__ import annotations

import compileall
import importlib
import os
import sys
from pathlib import Path

# The Twilio SDK's domains the runbook calls (Accounts, Keys, Balance, Messages, phone numbers;
# Messaging Services; iam Keys), compiled whole: the SDK imports their modules on first use.
TWILIO_PARTS = ("rest/api", "rest/messaging/v1", "rest/iam/v1")
# What the runner process imports, beyond the package itself, at the start of a run.
RUNNER_MODULES = (
    "onboarding_helpers.__main__",
    "onboarding_helpers.runner.run",
    "onboarding_helpers.sandbox.server",
    "nbclient.client",
    "papermill.engines",
    "papermill.translators",
    "jupyter_client.asynchronous",
    "jupyter_client.manager",
    "jupyter_client.provisioning.local_provisioner",
    "jupyter_core.utils",
)


# What `make lab` and `make voila` start, beyond a run's imports: the servers and the extensions
# they load (those not installed are skipped). Compiled on their first use, not by `make demo`.
SERVER_MODULES = (
    "jupyterlab.labapp",
    "jupyter_server.serverapp",
    "jupyter_server_terminals",
    "jupyter_lsp",
    "notebook_shim",
    "jupytext",
    "voila.app",
    "nbconvert",
)


def kernel_modules() -> list[str]:
    """What the fork server imports for a run of every step."""
    from ..runbook import project_root
    from ..steps.registry import STEPS
    from .kernels import preload_modules

    # The notebooks beside this package (make runs this from the project, but need not).
    notebooks = [step.notebook(project_root(Path(__file__).parent) / "notebooks") for step in STEPS]
    return preload_modules([n for n in notebooks if n.exists()])


def compile_run_imports() -> int:
    """Import (so compile) what a run loads, then compile the Twilio parts; the number of
    modules loaded."""
    from .. import kernel_forks
    from .kernels import import_papermill

    sys.dont_write_bytecode = False  # here, to write them: what installers do
    before = len(sys.modules)
    import_papermill()  # with its own care for jsonschema's slow import
    for name in RUNNER_MODULES:
        importlib.import_module(name)
    kernel_forks.preload(kernel_modules())
    for name in kernel_forks.KERNEL_EXTENSIONS:  # imported by the kernels: compile them too
        importlib.import_module(name)
    import twilio

    for part in TWILIO_PARTS:
        compileall.compile_dir(
            Path(twilio.__file__).parent / part, quiet=1, workers=os.cpu_count() or 1
        )
    return len(sys.modules) - before


def compile_server_imports() -> int:
    """Import (so compile) what JupyterLab and Voila load; the number of modules loaded."""
    sys.dont_write_bytecode = False
    before = len(sys.modules)
    for name in SERVER_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # not installed: nothing to compile
            continue
    return len(sys.modules) - before


def main(argv: list[str]) -> int:
    if argv == ["--servers"]:
        print(f"bytecode: compiled what JupyterLab and Voila import ({compile_server_imports()})")
        return 0
    loaded = compile_run_imports()
    print(f"bytecode: compiled what a run imports ({loaded} modules, and the Twilio SDK's parts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
