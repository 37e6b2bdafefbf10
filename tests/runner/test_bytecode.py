"""The bytecode `make` compiles at install (runner/bytecode.py): what a headless run imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from onboarding_helpers.runbook import project_root
from onboarding_helpers.runner.bytecode import SERVER_MODULES
from onboarding_helpers.runner.kernels import notebook_imports
from onboarding_helpers.steps.registry import STEPS

CODE = """
import importlib.util, json, sys
from pathlib import Path
import twilio
from onboarding_helpers.runner.bytecode import compile_run_imports
compile_run_imports()
sources = [Path(twilio.__file__).parent / p for p in sys.argv[1:]]
compiled = [Path(importlib.util.cache_from_source(str(s))).exists() for s in sources]
print(json.dumps([sorted(sys.modules), compiled]))
"""
# Lazily imported by the SDK, so compiled whole (bytecode.TWILIO_PARTS).
TWILIO_SOURCES = ["rest/messaging/v1/service/phone_number.py", "rest/iam/v1/new_api_key.py"]


def test_it_loads_what_the_runner_the_sandbox_and_every_steps_kernel_load(tmp_path):
    # A bytecode cache of its own (PYTHONPYCACHEPREFIX): what it compiles is what it wrote.
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", CODE, *TWILIO_SOURCES],
        capture_output=True, text=True, timeout=180, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modules, compiled = json.loads(done.stdout.splitlines()[-1])
    loaded = set(modules)
    notebooks = [step.notebook(project_root() / "notebooks") for step in STEPS]
    for notebook in notebooks:
        assert set(notebook_imports(notebook)) <= loaded, notebook.name
    assert {
        "onboarding_helpers.runner.run",
        "onboarding_helpers.sandbox.server",
        "papermill",
        "nbclient.client",
        "jupyter_client.manager",
        "ipykernel.kernelapp",
        "ipykernel.debugger",
        "ipywidgets",
        "anywidget",
        "twilio.rest.api.v2010.account",
    } <= loaded
    # Not what no run needs: the geocoder's place names (19 MB of source), matplotlib.
    assert not {"phonenumbers.geodata", "phonenumbers.geocoder", "matplotlib"} & loaded
    assert compiled == [True] * len(TWILIO_SOURCES)


def _source_of(name: str) -> Path | None:
    """The installed source file of module ``name``, found without importing its packages."""
    for folder in map(Path, sys.path):
        found = folder.joinpath(*name.split("."))
        for source in (found.with_suffix(".py"), found / "__init__.py"):
            if source.is_file():
                return source
    return None


def test_every_module_lab_and_voila_compile_first_is_installed():
    # `make lab` and `make voila` compile SERVER_MODULES before their first start (tests that
    # start them take the bytecode as done). Importing them is the compile (about 6 s): what can
    # go wrong unseen is a name that no longer exists, which would compile nothing, and say
    # nothing. Every name is a module the runtime lock installs.
    assert [name for name in SERVER_MODULES if _source_of(name) is None] == []
