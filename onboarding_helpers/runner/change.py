"""The runner's side of a change plan: ``run --plan`` makes one, ``run --apply PLAN`` runs one.

``--plan`` takes the same checks as a run (paths, the base URL, parameters, the steps) and the
same lock, starts the sandbox (sandbox mode) without ever making a practice account, and writes
the plan's files (``change_plan``); no notebook runs, and nothing else is written but the
lock files. ``--apply``
runs with the plan's mode, files, steps and parameters only, after ``change_plan.apply`` found
that the plan still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .. import locks
from ..change_plan.apply import Approved, load_plan
from ..change_plan.document import APPLY_COMMAND, write_plan
from ..change_plan.make import make_plan
from ..change_plan.model import UNKNOWN_PRICE, ChangePlan
from ..errors import InputError
from ..runbook import Runbook
from .run import RunReport, _checked, _practice, _private_files, run


def make_plan_files(
    *,
    mode: str,
    env_file: str | None = None,
    state_dir: str | None = None,
    sandbox_dir: str | None = None,
    only: Iterable[str] = (),
    parameters: dict[str, Any] | None = None,
    echo: Callable[[str], None] = print,
) -> tuple[ChangePlan, Path, Path]:
    """``run --plan``: the plan of the run these arguments describe, written to the state
    folder; (plan, its JSON file, its Markdown file)."""
    paths = (None, env_file, state_dir, sandbox_dir)
    job = _checked(mode, paths, only, dict(parameters or {}), False, "", echo)
    if job.scenario is not None:
        raise InputError(
            "scenario",
            "cannot be planned: a scenario makes a new practice account.",
            "Start the scenario first (run --sandbox --scenario NAME --only 00), then plan.",
        )
    job.keep_account = True
    if job.settings.foreign_base_url:
        echo(f"live mode: Twilio requests go to {job.settings.where_requests_go()}")
    with locks.hold(job.settings.env_file, job.settings.state_dir, "change plan"):
        with _private_files(), ExitStack() as stack:
            _practice(job, stack)
            plan = make_plan(job.settings, job.steps, job.parameters, job.notebooks_dir)
            secrets = Runbook(job.settings).store.secrets()
            json_path, md_path, sha = write_plan(plan, job.settings.state_dir, secrets)
    for line in summary_lines(plan, json_path, md_path, sha):
        echo(line)
    return plan, json_path, md_path


def summary_lines(plan: ChangePlan, json_path: Path, md_path: Path, sha: str) -> list[str]:
    """What ``run --plan`` prints: each step's actions, then where the plan is."""
    lines = [""]
    for action in plan.actions:
        price = "a price the runbook does not know" if action.billed == UNKNOWN_PRICE else ""
        billed = f"  (billed: {price or 'USD ' + action.billed})" if action.billed else ""
        lines.append(f"  {action.step}  {action.action} {action.kind}: {action.name}{billed}")
    if plan.stop:
        lines.append(f"\nThe run would stop at step {plan.stop}")
    lines += [
        "",
        f"Plan for the change request: {md_path}",
        f"Plan to apply once approved: {json_path} (sha256 {sha})",
        f"  {APPLY_COMMAND} {json_path}",
    ]
    return lines


def _same(given: str | None, planned: str, name: str) -> None:
    if given and str(Path(given).expanduser().absolute()) != planned:
        raise InputError(
            name,
            f"is {given}, but the plan was made with {planned}.",
            f"Leave {name} out: --apply uses the plan's own.",
        )


def apply_plan(
    plan_file: str,
    *,
    mode: str = "",
    out_dir: str | None = None,
    env_file: str | None = None,
    state_dir: str | None = None,
    sandbox_dir: str | None = None,
    refused: Iterable[str] = (),
    echo: Callable[[str], None] = print,
) -> RunReport:
    """``run --apply PLAN``: the run the plan describes, with its parameters and nothing else.
    ``refused``: options given that only the plan may set (-p, -r, --only, --scenario)."""
    approved: Approved = load_plan(plan_file)
    plan = approved.plan
    for option in refused:
        raise InputError(
            option,
            "cannot be given with --apply: the run takes the approved plan's steps and"
            " parameters, and no others.",
            "Leave it out, or plan again with it (run --plan) and have that plan approved.",
        )
    if mode and mode != plan.mode:
        raise InputError(f"--{mode}", f"the plan was made in {plan.mode} mode.", "Leave it out.")
    _same(env_file, plan.env_file, "--env-file")
    _same(state_dir, plan.state_dir, "--state-dir")
    _same(sandbox_dir, plan.sandbox_dir, "--sandbox-dir")
    return run(
        mode=plan.mode,
        out_dir=out_dir,
        env_file=plan.env_file,
        state_dir=plan.state_dir,
        sandbox_dir=plan.sandbox_dir,
        only=plan.steps,
        parameters=dict(plan.parameters),
        echo=echo,
        approved=approved,
    )
