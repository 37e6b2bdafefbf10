"""The floor the headless runbook is measured against (``run_benchmarks.py``, section 1): a fresh
Python process that imports papermill and executes trivial two-cell notebooks one after another
with ``papermill.execute_notebook``, the runner's IPC kernel manager class and the options the
runner used before issue 9. A helper of ``run_benchmarks.py``, not a script of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

FLOOR_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
import papermill
from onboarding_helpers.runner.kernels import ipc_manager_class
imported = time.perf_counter()
notebook, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
manager = ipc_manager_class()
each = []
for i in range(count):
    t = time.perf_counter()
    papermill.execute_notebook(
        notebook, f"{out}/floor-{i}.ipynb", parameters={"headless": True},
        kernel_name="python3", kernel_manager_class=manager, cwd=out,
        progress_bar=False, log_output=False, store_widget_state=False,
    )
    each.append(time.perf_counter() - t)
print(json.dumps({"import": imported - started, "each": each}))
"""


def make_trivial_notebook(folder: Path) -> Path:
    """A parameters cell and one line: the least a runbook notebook could be."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("headless = False")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("x = 1")]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["kernelspec"] = kernelspec
    path = folder / "trivial.ipynb"
    nbformat.write(notebook, str(path))
    return path


@dataclass
class FloorResult:
    seconds: float
    import_seconds: float
    each: list[float]


def floor_run(
    notebook: Path, count: int, folder: Path, root: Path, env: Mapping[str, str]
) -> FloorResult:
    """``count`` runs of the trivial notebook in a fresh process started in ``root``."""
    started = time.perf_counter()
    command = [sys.executable, "-c", FLOOR_SCRIPT, str(notebook), str(folder), str(count)]
    done = subprocess.run(command, cwd=root, env=dict(env), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"The floor run failed:\n{done.stderr[-2000:]}")
    parts = json.loads(done.stdout.strip().splitlines()[-1])
    return FloorResult(seconds, parts["import"], parts["each"])
