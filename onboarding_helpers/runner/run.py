"""A headless run: the planned notebooks executed with papermill, copies written to runs/<time>/.

Everything is checked (paths, parameters, the base URL) before anything is provisioned or written;
then the run holds the lock over the env file and the state folder, starts its sandbox server
(sandbox mode), prepares the practice account or training scenario, and executes the notebooks.
Kernels get the run's settings in their own environment; the runner's ``os.environ`` is never
changed.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import locks
from ..credential_copies import keep_tidy
from ..errors import InputError, RunbookError
from ..files import make_folder, refuse_link
from ..progress import wait_for_kernels
from ..runbook import (
    BASE_URL_VARIABLE,
    PLAN_SHA_VARIABLE,
    PLAN_VARIABLE,
    Runbook,
    Settings,
    check_base_url,
    preflight,
    project_root,
    resolve_settings,
)
from ..sandbox import SandboxServer
from ..steps.registry import START, Step
from ..training.practice import prepare_sandbox_account, start_scenario
from ..training.scenarios import Scenario, get_scenario
from .kernels import PRESTART, Interrupts, KernelPool, import_papermill
from .parameters import check_known, check_parameter, for_notebook, notebook_parameters
from .plan import plan


@dataclass
class StepOutcome:
    step: str  # the step's id
    ok: bool
    seconds: float
    output: Path
    error: str = ""


@dataclass
class RunReport:
    out_dir: Path
    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if not o.ok), None)


class Interrupted(RunbookError):
    """Ctrl-C during a run: which step was running, and how to go on."""

    def __init__(self, step: str, state_dir: Path) -> None:
        self.step = step
        where = f" during step {step}" if step else ""
        super().__init__(
            f"Stopped by Ctrl-C{where}. What was done so far is recorded in {state_dir}.",
            advice="Run the same command again to go on: finished steps create nothing twice,"
            " and a step cut short looks up what it had begun before acting.",
        )


OnStep = Callable[[str, Step, "StepOutcome | None"], None]


# ---------------------------------------------------------------- executing notebooks


def _error_text(exc: BaseException, km: Any, log: Path) -> str:
    # PapermillExecutionError carries the kernel's ename/evalue: our safe RunbookError message.
    evalue = getattr(exc, "evalue", None)
    ename = getattr(exc, "ename", None)
    if evalue:
        return f"{ename}: {evalue}" if ename else str(evalue)
    code = _exit_code(km)
    if code is not None:  # nbclient says DeadKernelError, or times out waiting for a reply
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return (
            f"the notebook's kernel {how} before the notebook finished (the executed notebook"
            f" shows the cells that ran; anything the kernel printed is in {log})."
        )
    return f"{type(exc).__name__}: {exc}"


def _exit_code(km: Any) -> int | None:
    """The kernel process's exit code; None while it runs, or when there is none to ask."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return None if process is None else process.poll()


class LiveLines:
    """What a notebook prints while it runs (a message's statuses as Twilio reports them), echoed
    line by line under its step as it arrives: papermill writes each stdout chunk here."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self._echo, self._part = echo, ""

    def write(self, text: str) -> None:
        *lines, self._part = (self._part + text).split("\n")
        for line in lines:
            if line.strip():
                self._echo(f"    {line}")

    def flush(self) -> None:
        """Lines are echoed whole as they complete; nothing is held back but a partial one."""


def _execute(
    papermill: Any,
    notebook: Path,
    output: Path,
    parameters: dict[str, Any],
    km: Any,
    live: LiveLines | None = None,
) -> None:
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=for_notebook(notebook_parameters(notebook), parameters),
        kernel_name="python3",
        km=km,
        cwd=str(notebook.parent),
        progress_bar=False,
        log_output=False,
        stdout_file=live,
        store_widget_state=False,
        # nbclient waits 4 s for a cell's last output by default; under a class's load (30 runs
        # on 2 cores) that was seen to fail a step that had done its work.
        iopub_timeout=30,
    )


def run_notebooks(
    steps: list[Step],
    notebooks_dir: Path,
    out_dir: Path,
    parameters: dict[str, Any],
    *,
    env: dict[str, str] | None = None,
    on_step: OnStep | None = None,
    interrupts: Interrupts | None = None,
    on_line: Callable[[str], None] | None = None,
) -> RunReport:
    """Execute each step's notebook in order with papermill; stop at the first failure.
    ``on_line`` gets each line a notebook prints, as it prints it.

    Each notebook gets a fresh kernel as under plain papermill, but kernels boot ahead of their
    turn (preloading their notebook's imports) and shut down in the background, so a run costs
    less than papermill starting and stopping one kernel after another. ``env`` is the kernels'
    whole environment (default: a copy of this process's).
    """
    make_folder(out_dir, "--out")
    report = RunReport(out_dir)
    if not steps:
        return report
    interrupts = interrupts or Interrupts()
    shield = interrupts.shield
    notebooks = [s.notebook(notebooks_dir) for s in steps]
    log = out_dir / "kernels.log"
    with (
        interrupts.installed(),
        KernelPool(notebooks, notebooks_dir, env=env, shield=shield, log_path=log) as pool,
    ):
        with shield():
            pool.fill(PRESTART - 1)  # the first kernels boot while papermill imports
        papermill = import_papermill()
        for index, step in enumerate(steps):
            if on_step:
                on_step("start", step, None)
            output = out_dir / f"{step.id}.ipynb"
            refuse_link(output, "--out")  # papermill opens it by name: never through a link
            started = time.perf_counter()
            km = None
            error = ""
            try:
                with shield():
                    km = pool.take(index)
                live = LiveLines(on_line) if on_line else None
                _execute(papermill, notebooks[index], output, parameters, km, live)
            except Exception as exc:  # papermill wraps every failure; we report and stop
                if interrupts.requested:  # Ctrl-C, come out of nbclient as something else
                    raise KeyboardInterrupt from None
                error = _error_text(exc, km, log)
            finally:
                if km is not None:
                    with shield():
                        pool.release(km)
            outcome = StepOutcome(step.id, not error, time.perf_counter() - started, output, error)
            report.outcomes.append(outcome)
            if on_step:
                on_step("end", step, outcome)
            if error:
                break
    return report


# ---------------------------------------------------------------- the run's settings


def _absolute(path: str | None) -> str:
    return str(Path(path).expanduser().absolute()) if path else ""


def settings_for_run(
    mode: str,
    env_file: str | None = None,
    state_dir: str | None = None,
    sandbox_dir: str | None = None,
) -> Settings:
    """The run's settings from its arguments (paths relative to the current folder); those not
    given come from the ONBOARDING_* variables or the defaults, as in a notebook."""
    settings = resolve_settings(mode, _absolute(env_file), _absolute(state_dir))
    if sandbox_dir:
        settings = replace(settings, sandbox_dir=Path(_absolute(sandbox_dir)))
    return settings


def kernel_environment(settings: Settings) -> dict[str, str]:
    """The kernels' environment: this process's, plus the run's settings, which notebooks read
    when their own parameters are empty. Kernels that see the runner's pid act under its lock
    and hold the state folder while alive."""
    env = dict(os.environ)
    env.update(
        {
            "ONBOARDING_MODE": settings.mode,
            "ONBOARDING_ENV_FILE": str(settings.env_file),
            "ONBOARDING_STATE_DIR": str(settings.state_dir),
            "ONBOARDING_SANDBOX_DIR": str(settings.sandbox_dir),
            locks.RUNNER_PID_VARIABLE: str(os.getpid()),
        }
    )
    if settings.base_url:
        env[BASE_URL_VARIABLE] = settings.base_url
    else:
        env.pop(BASE_URL_VARIABLE, None)
    # The approved change plan (``run --apply``), never one left in this process's environment.
    plan = {PLAN_VARIABLE: settings.plan, PLAN_SHA_VARIABLE: settings.plan_sha256}
    for name, value in plan.items():
        env.pop(name, None)
        if settings.plan:
            env[name] = value
    return env


def default_out_dir(root: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return root / "runs" / stamp


def _out_folder(out_dir: str | None, root: Path, notebooks_dir: Path) -> Path:
    """Where executed notebooks go; never over the committed notebooks, never onto a file."""
    out = Path(out_dir).expanduser().absolute() if out_dir else default_out_dir(root)
    resolved, notebooks = out.resolve(), notebooks_dir.resolve()
    if resolved == notebooks or notebooks in resolved.parents:
        raise InputError(
            "--out",
            f"{out} is inside {notebooks_dir}: executed copies would overwrite the runbook's own"
            " notebooks.",
            "Leave --out out (runs/<UTC time> is the default) or name a folder elsewhere.",
        )
    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{out} is a file, not a folder.", "Name a folder for --out.")
    return out


@contextmanager
def _private_files() -> Iterator[None]:
    """Everything the run and its kernels write (notebooks, journal, report, folders) is the
    user's alone: umask 077, inherited by the kernels."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _chosen_scenario(mode: str, name: str) -> Scenario | None:
    """The training scenario asked for (None for none); refused in live mode or if unknown."""
    name = name.strip()
    if not name:
        return None
    if mode == "live":
        raise InputError(
            "--scenario",
            "is for the sandbox only: a scenario makes a new practice account and breaks it on"
            " purpose.",
            "Drop --live to practise against the sandbox, or drop --scenario.",
        )
    return get_scenario(name)


# ---------------------------------------------------------------- the run


@dataclass
class _Run:
    """What ``run`` checked and decided before taking the lock."""

    settings: Settings
    steps: list[Step]
    notebooks_dir: Path
    out: Path
    parameters: dict[str, Any]
    scenario: Scenario | None
    echo: Callable[[str], None]
    current: str = ""  # the step under way, for the Ctrl-C message
    # A change plan: made (keep the practice account, never a new one) or applied (``approved``:
    # ``change_plan.apply.Approved``, checked again before the notebooks and reported after).
    keep_account: bool = False
    approved: Any = None


def _checked(
    mode: str,
    paths: tuple[str | None, str | None, str | None, str | None],
    only: Iterable[str],
    parameters: dict[str, Any],
    include_optional: bool,
    scenario: str,
    echo: Callable[[str], None],
) -> _Run:
    """Every check, before anything is provisioned or written: paths, base URL, env file and
    state folder, secrets in parameters, the plan, unknown parameter names, the out folder."""
    out_dir, env_file, state_dir, sandbox_dir = paths
    chosen = _chosen_scenario(mode, scenario or str(parameters.pop("scenario", "") or ""))
    root = project_root()
    notebooks_dir = root / "notebooks"
    settings = settings_for_run(mode, env_file, state_dir, sandbox_dir)
    check_base_url(settings)
    rb = Runbook(settings)
    preflight(rb)
    secrets = rb.store.secrets()
    for name, value in parameters.items():
        check_parameter(name, value, secrets)
    steps = plan(notebooks_dir, only, parameters, include_optional)
    declared = {n for s in steps for n in notebook_parameters(s.notebook(notebooks_dir))}
    check_known(declared, parameters)
    if chosen is not None:  # its suggestions, under the caller's own
        suggested = {k: v for k, v in chosen.parameters.items() if k in declared}
        parameters = {**suggested, **parameters}
    out = _out_folder(out_dir, root, notebooks_dir)
    return _Run(settings, steps, notebooks_dir, out, parameters, chosen, echo)


def _practice(job: _Run, stack: ExitStack) -> None:
    """Sandbox mode: one sandbox server for the whole run, shared by every kernel, and the
    practice account (or the training scenario's new one) in the env file."""
    settings, chosen, echo = job.settings, job.scenario, job.echo
    if settings.is_sandbox and not settings.base_url:
        settings.sandbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        server = SandboxServer(settings.sandbox_dir / "sandbox.sqlite3").start()
        stack.callback(server.stop)
        job.settings = settings = replace(settings, base_url=server.url)
        rb = Runbook(settings)
        if job.keep_account:
            from ..change_plan.survey import kept_practice_account

            started = kept_practice_account(rb)
        elif chosen is not None:
            started = start_scenario(rb, chosen.name, job.parameters)
        else:
            started = prepare_sandbox_account(rb)
        new = "  (new)" if started.provisioned else ""
        echo(f"sandbox: {server.url}  account {started.account_sid}{new}")
        for note in started.notes:
            echo(f"  note: {note}")
    elif chosen is not None:  # a sandbox of the caller's (ONBOARDING_TWILIO_BASE_URL)
        start_scenario(Runbook(settings), chosen.name, job.parameters)
    if chosen is not None:
        echo(
            f"scenario: {chosen.name}  {chosen.title}  (shows at {chosen.bites_at};"
            " trainer's guide: docs/TRAINERS.md)"
        )


def _progress(job: _Run) -> OnStep:
    def progress(event: str, step: Step, outcome: StepOutcome | None) -> None:
        if event == "start":
            job.current = step.id
            job.echo(f"▶ {step.id}  {step.title}")
        elif outcome and outcome.ok:
            job.echo(f"  ✔ done in {outcome.seconds:.1f} s")
        elif outcome:
            job.echo(f"  ✖ failed after {outcome.seconds:.1f} s: {outcome.error}")

    return progress


def after_run_lines(steps: Iterable[Step], report: RunReport, settings: Settings) -> list[str]:
    """What each successful step with an ``after_run`` says after the run: its package's
    ``summary(env_file, state_dir)`` (step 06: the hand-off card)."""
    done = {o.step for o in report.outcomes if o.ok}
    lines: list[str] = []
    for step in steps:
        if step.id not in done or not step.after_run:
            continue
        summary = importlib.import_module(f"{step.module}.summary").summary
        said = list(summary(settings.env_file, settings.state_dir))
        lines += ["", *said] if said else []
    return lines


def _locked(job: _Run) -> RunReport:
    """The run proper, under the lock: sandbox and practice account, notebooks, after-runs."""
    try:
        with ExitStack() as stack:
            _practice(job, stack)
            if job.approved is not None:  # refused before anything is written
                job.approved.begin(job.settings, job.notebooks_dir, job.echo)
            for note in keep_tidy(Runbook(job.settings), START):
                job.echo(f"  note: {note}")
            job.echo(f"mode: {job.settings.mode}   output: {job.out}")
            report = run_notebooks(
                job.steps,
                job.notebooks_dir,
                job.out,
                job.parameters,
                env=kernel_environment(job.settings),
                on_step=_progress(job),
                on_line=job.echo,
            )
            lines = after_run_lines(job.steps, report, job.settings)
            if job.approved is not None:
                lines += ["", *job.approved.outcome(job.settings)]
            for line in lines:
                job.echo(line)
            return report
    except KeyboardInterrupt:
        # nbclient's tasks cut short would report "Task exception was never retrieved".
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        raise Interrupted(job.current, job.settings.state_dir) from None


def run(
    *,
    mode: str,
    out_dir: str | None = None,
    env_file: str | None = None,
    state_dir: str | None = None,
    sandbox_dir: str | None = None,
    only: Iterable[str] = (),
    parameters: dict[str, Any] | None = None,
    include_optional: bool = False,
    scenario: str = "",
    echo: Callable[[str], None] = print,
    approved: Any = None,
) -> RunReport:
    """The headless run behind ``python -m onboarding_helpers run``.

    ``scenario`` (or ``-p scenario NAME``) starts a training scenario on a new sandbox account
    before the notebooks run; its suggested parameters apply under the caller's own. Everything
    is checked (paths, parameters, the base URL) before anything is provisioned or written.
    ``approved``: a change plan to apply (``runner.change``); its kernels allow its changes only.
    """
    paths = (out_dir, env_file, state_dir, sandbox_dir)
    job = _checked(mode, paths, only, dict(parameters or {}), include_optional, scenario, echo)
    if approved is not None:
        job.approved, job.keep_account = approved, True
        plan = str(approved.path)
        job.settings = replace(job.settings, plan=plan, plan_sha256=approved.sha256)
    if job.settings.foreign_base_url:
        echo(f"live mode: Twilio requests go to {job.settings.where_requests_go()}")
    with locks.hold(job.settings.env_file, job.settings.state_dir, "headless run"):
        with _private_files():
            wait_for_kernels(job.settings.state_dir)
            return _locked(job)
