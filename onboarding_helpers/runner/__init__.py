"""Headless runs: the ordered notebooks executed with papermill (``python -m onboarding_helpers
run``), copies written to runs/<UTC time>/.

- ``cli``: the ``run`` command's arguments and exit codes;
- ``plan``: which steps run, from ``steps.registry``;
- ``parameters``: what each notebook declares (read as ``papermill.inspect_notebook`` does), and
  what the runner refuses (names it owns, secrets, unknown names);
- ``kernels``: the kernel pool (kernels started ahead of their turn), the Ctrl-C shield;
- ``run``: ``run()`` (checks, lock, sandbox, notebooks) and ``run_notebooks``;
- ``change``: ``run --plan`` and ``run --apply PLAN`` (what a run would change in Twilio,
  ``change_plan``; not to be confused with ``plan``, which picks the steps);
- ``readme``: the README's table of headless parameters, rendered from the same source.

The runner never passes a secret as a parameter (papermill writes parameters into the executed
notebook twice); secrets reach the kernels only through the env file.
"""

from __future__ import annotations

from .cli import main_run
from .parameters import RUNNER_OWNED, check_parameter, notebook_parameters, parse_parameter
from .plan import plan
from .run import (
    Interrupted,
    RunReport,
    StepOutcome,
    kernel_environment,
    run,
    run_notebooks,
    settings_for_run,
)

__all__ = [
    "RUNNER_OWNED",
    "Interrupted",
    "RunReport",
    "StepOutcome",
    "check_parameter",
    "kernel_environment",
    "main_run",
    "notebook_parameters",
    "parse_parameter",
    "plan",
    "run",
    "run_notebooks",
    "settings_for_run",
]
