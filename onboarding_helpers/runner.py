"""Headless runs: the ordered notebooks executed with papermill, copies written to runs/<UTC time>/.

The runner never passes a secret as a parameter (papermill writes parameters into the output
notebook twice); secrets reach the kernels only through the env file.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import InputError
from .progress import STEPS, Step
from .runbook import Runbook, project_root, resolve_settings

_SECRET_NAME = re.compile(r"(token|secret|password|passwd|api_?key_?secret|auth)", re.I)
_SECRET_VALUE = re.compile(r"^[A-Za-z0-9]{32}$")


def check_parameter(name: str, value: Any) -> None:
    """Refuse a parameter whose name or value looks like a secret."""
    if _SECRET_NAME.search(name):
        raise InputError(
            f"parameter {name}",
            "looks like a secret, and papermill would copy it into the output notebook.",
            "Put secrets in the env file (see .env.example), never on the command line.",
        )
    if isinstance(value, str) and _SECRET_VALUE.match(value.strip()):
        raise InputError(
            f"parameter {name}",
            "has a value shaped like a Twilio secret (32 letters and digits).",
            "Put secrets in the env file (see .env.example), never on the command line.",
        )


def parse_parameter(raw: str) -> Any:
    """Like papermill's -p: True/False/None, ints and floats are converted, the rest is text."""
    if raw in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[raw]
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def notebook_path(step: Step, notebooks_dir: Path) -> Path:
    return notebooks_dir / f"{step.name}.ipynb"


def plan(
    notebooks_dir: Path, only: Iterable[str] = (), include_optional: bool = False
) -> list[Step]:
    """The steps to run, in order: those whose notebook exists, optional ones only on request."""
    wanted = set(only)
    unknown = wanted - {s.name for s in STEPS} - {s.name[:3].rstrip("_") for s in STEPS}
    if unknown:
        names = ", ".join(s.name for s in STEPS)
        raise InputError("--only", f"unknown step {sorted(unknown)}.", f"Choose from: {names}.")
    chosen = []
    for step in STEPS:
        if wanted and step.name not in wanted and step.name.split("_")[0] not in wanted:
            continue
        if step.optional and not include_optional and step.name not in wanted:
            continue
        if notebook_path(step, notebooks_dir).exists():
            chosen.append(step)
    return chosen


def _kernel_manager_class() -> type:
    """A kernel manager using IPC sockets: no code or output crosses loopback TCP in clear."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            super().__init__(*args, **kwargs)

    return IPCKernelManager


@dataclass
class StepOutcome:
    step: str
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


def _error_text(exc: BaseException) -> str:
    # PapermillExecutionError carries the kernel's ename/evalue: our safe RunbookError message.
    evalue = getattr(exc, "evalue", None)
    ename = getattr(exc, "ename", None)
    if evalue:
        return f"{ename}: {evalue}" if ename else str(evalue)
    return f"{type(exc).__name__}: {exc}"


def run_notebooks(
    steps: list[Step],
    notebooks_dir: Path,
    out_dir: Path,
    parameters: dict[str, Any],
    *,
    on_step: Callable[[str, Step, StepOutcome | None], None] | None = None,
) -> RunReport:
    """Execute each step's notebook in order; stop at the first failure."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    report = RunReport(out_dir)
    manager = _kernel_manager_class()
    for step in steps:
        if on_step:
            on_step("start", step, None)
        output = out_dir / f"{step.name}.ipynb"
        started = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(notebook_path(step, notebooks_dir)),
                str(output),
                parameters={"headless": True, **parameters},
                kernel_name="python3",
                kernel_manager_class=manager,
                cwd=str(notebooks_dir),
                progress_bar=False,
                log_output=False,
                store_widget_state=False,
            )
        except Exception as exc:  # papermill wraps every failure; we report and stop
            outcome = StepOutcome(step.name, False, time.perf_counter() - started, output)
            outcome.error = _error_text(exc)
            report.outcomes.append(outcome)
            if on_step:
                on_step("end", step, outcome)
            break
        outcome = StepOutcome(step.name, True, time.perf_counter() - started, output)
        report.outcomes.append(outcome)
        if on_step:
            on_step("end", step, outcome)
    return report


def default_out_dir(root: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return root / "runs" / stamp


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
    echo: Callable[[str], None] = print,
) -> RunReport:
    """The headless run behind ``python -m onboarding_helpers run``."""
    parameters = dict(parameters or {})
    for name, value in parameters.items():
        check_parameter(name, value)
    root = project_root()
    notebooks_dir = root / "notebooks"
    # Kernels inherit these; notebooks read them when their own parameters are empty.
    env = {"ONBOARDING_MODE": mode}
    if env_file:
        env["ONBOARDING_ENV_FILE"] = str(Path(env_file).expanduser().absolute())
    if state_dir:
        env["ONBOARDING_STATE_DIR"] = str(Path(state_dir).expanduser().absolute())
    if sandbox_dir:
        env["ONBOARDING_SANDBOX_DIR"] = str(Path(sandbox_dir).expanduser().absolute())
    os.environ.update(env)
    settings = resolve_settings(mode)
    env.setdefault("ONBOARDING_ENV_FILE", str(settings.env_file))
    env.setdefault("ONBOARDING_STATE_DIR", str(settings.state_dir))
    os.environ.update(env)
    rb = Runbook(settings)
    steps = plan(notebooks_dir, only, include_optional or bool(parameters.get("buy_phone_number")))
    out = Path(out_dir).absolute() if out_dir else default_out_dir(root)

    server = None
    with rb.progress.lock():
        try:
            if settings.is_sandbox and not settings.base_url:
                # One sandbox server for the whole run, shared by every kernel.
                from .sandbox import SandboxServer
                from .steps.start import prepare_sandbox_account

                settings.sandbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                server = SandboxServer(settings.sandbox_dir / "sandbox.sqlite3").start()
                os.environ["ONBOARDING_TWILIO_BASE_URL"] = server.url
                rb = Runbook(resolve_settings(mode))
                started = prepare_sandbox_account(rb)
                echo(
                    f"sandbox: {server.url}  account {started.account_sid}"
                    + ("  (new)" if started.provisioned else "")
                )

            def progress(event: str, step: Step, outcome: StepOutcome | None) -> None:
                if event == "start":
                    echo(f"▶ {step.name}  {step.title}")
                elif outcome and outcome.ok:
                    echo(f"  ✔ done in {outcome.seconds:.1f} s")
                elif outcome:
                    echo(f"  ✖ failed after {outcome.seconds:.1f} s: {outcome.error}")

            echo(f"mode: {mode}   output: {out}")
            report = run_notebooks(steps, notebooks_dir, out, parameters, on_step=progress)
        finally:
            if server is not None:
                server.stop()
                os.environ.pop("ONBOARDING_TWILIO_BASE_URL", None)
    return report


def main_run(args: Any) -> int:
    parameters = {}
    for name, raw in args.parameter or []:
        parameters[name] = parse_parameter(raw)
    for name, raw in args.raw_parameter or []:
        parameters[name] = raw
    try:
        report = run(
            mode="live" if args.live else "sandbox",
            out_dir=args.out,
            env_file=args.env_file,
            state_dir=args.state_dir,
            sandbox_dir=args.sandbox_dir,
            only=args.only or (),
            parameters=parameters,
        )
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # RunbookError (e.g. lock held) and friends: message is safe
        from .errors import RunbookError

        if isinstance(err, RunbookError):
            print(f"error: {err}", file=sys.stderr)
            return 2
        raise
    failed = report.failed
    if failed:
        print(
            f"\nStopped at step {failed.step}: {failed.error}\n"
            f"The executed notebook, with the advice, is {failed.output}",
            file=sys.stderr,
        )
        return 1
    print(f"\nAll {len(report.outcomes)} steps done. Executed notebooks: {report.out_dir}")
    return 0
