"""Headless runs: the ordered notebooks executed with papermill, copies written to runs/<UTC time>/.

The runner never passes a secret as a parameter (papermill writes parameters into the output
notebook twice); secrets reach the kernels only through the env file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import locks
from .errors import InputError, RunbookError
from .progress import STEPS, Step
from .runbook import Runbook, Settings, check_base_url, preflight, project_root, resolve_settings

if TYPE_CHECKING:
    from .training.scenarios import Scenario

_SECRET_NAME = re.compile(r"(token|secret|password|passwd|api_?key_?secret|auth)", re.I)
# A Twilio secret is 32 letters and digits; SIDs are 34, so they do not match.
_SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_KEEP_OUT = "Put secrets in the env file (see .env.example), never on the command line."
# Notebook parameters the runner sets itself: passed by hand they would point the notebooks at
# files the runner does not hold the lock on.
RUNNER_OWNED = {
    "env_file": "--env-file PATH",
    "state_dir": "--state-dir DIR",
    "mode": "--sandbox or --live",
    "headless": "nothing: the runner always runs notebooks headless",
}


def check_parameter(name: str, value: Any, secrets: Iterable[str] = ()) -> None:
    """Refuse a parameter the runner owns, or whose name or value holds a secret anywhere.

    ``secrets`` are the env file's secret values; papermill writes every parameter into the
    executed notebook, and steps send names to Twilio and the journal.
    """
    if name in RUNNER_OWNED:
        raise InputError(
            f"parameter {name}",
            "is set by the runner, not by -p/-r.",
            f"Use {RUNNER_OWNED[name]} instead.",
        )
    if _SECRET_NAME.search(name):
        raise InputError(
            f"parameter {name}",
            "looks like a secret, and papermill would copy it into the output notebook.",
            _KEEP_OUT,
        )
    if not isinstance(value, str):
        return
    if any(secret and secret in value for secret in secrets):
        raise InputError(
            f"parameter {name}",
            "contains a secret from the env file (the Auth Token or the API secret).",
            _KEEP_OUT,
        )
    if _SECRET_SHAPE.search(value):
        raise InputError(
            f"parameter {name}",
            "contains something shaped like a Twilio secret (32 letters and digits in a row).",
            _KEEP_OUT,
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


def _step_ids(step: Step) -> set[str]:
    """What --only accepts for a step: its full name or its number ("04a", "04")."""
    return {step.name, step.name.split("_")[0]}


def plan(
    notebooks_dir: Path, only: Iterable[str] = (), include_optional: bool = False
) -> list[Step]:
    """The steps to run, in order: those whose notebook exists, optional ones only on request."""
    wanted = set(only)
    known = set().union(*(_step_ids(s) for s in STEPS))
    unknown = wanted - known
    if unknown:
        names = ", ".join(s.name for s in STEPS)
        raise InputError("--only", f"unknown step {sorted(unknown)}.", f"Choose from: {names}.")
    chosen = []
    for step in STEPS:
        named = bool(wanted & _step_ids(step))
        if wanted and not named:
            continue
        if step.optional and not include_optional and not named:
            continue
        if notebook_path(step, notebooks_dir).exists():
            chosen.append(step)
    return chosen


_PARAMETER_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=", re.M)


def notebook_parameters(path: Path) -> set[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    import json

    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", ""))
            return set(_PARAMETER_LINE.findall(source))
    return set()


def parameters_for(step: Step, notebooks_dir: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters this notebook declares (papermill warns about the others)."""
    declared = notebook_parameters(notebook_path(step, notebooks_dir))
    chosen = {name: value for name, value in parameters.items() if name in declared}
    return {"headless": True, **chosen}


def check_parameters_known(steps: list[Step], notebooks_dir: Path, names: Iterable[str]) -> None:
    """A parameter no notebook of this run declares is most likely a typo: refuse it."""
    declared: set[str] = set()
    for step in steps:
        declared |= notebook_parameters(notebook_path(step, notebooks_dir))
    unknown = sorted(set(names) - declared)
    if unknown:
        raise InputError(
            f"parameter {unknown[0]}",
            "is not a parameter of any notebook in this run.",
            "Check the spelling; each notebook's parameters cell lists what it takes: "
            + ", ".join(sorted(declared)),
        )


def _kernel_manager_class() -> type:
    """A kernel manager using IPC sockets: no code or output crosses loopback TCP in clear."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            super().__init__(*args, **kwargs)

    return IPCKernelManager


# How many kernels boot ahead of the notebook that runs. A kernel takes most of a second to
# start, longer than most steps' cells; two booting at once keep both cores of a small machine
# busy without starving the running notebook.
_PRESTART = 2
# Heavy modules that package modules import inside functions (so that importing the package
# stays cheap), by the module that does so. A kernel whose notebook loaded the key module loads
# them while it waits for its turn: the Twilio SDK (~0.2 s at a step's first request) and
# phonenumbers' geocoder (~0.9 s at the first parse_phone).
_LAZY_IMPORTS = {
    "onboarding_helpers.twilio_gateway": (
        "requests",
        "twilio.rest",
        "twilio.http.http_client",
        "twilio.rest.api.v2010.account",
    ),
    "onboarding_helpers.phone": ("phonenumbers.geocoder",),
}
# How long a kernel asked to shut down may take before it gets SIGTERM (then SIGKILL), as
# jupyter_client escalates but sooner: ipykernel usually exits in 0.2-0.4 s, and now and then
# its control thread hangs after replying, which would cost jupyter_client's default 2.5 s.
_SHUTDOWN_GRACE = 0.5


def _import_papermill() -> Any:
    """papermill, without the ~1.6 s that ``rfc3987_syntax`` costs at import.

    jsonschema (through nbformat) imports ``rfc3987_syntax`` when it is installed, as in a
    JupyterLab environment, and that module builds a Lark grammar at import time, for the "iri"
    format checks that notebook validation never uses. A stand-in loads it on first use instead.
    """
    name = "rfc3987_syntax"
    if name not in sys.modules and "jsonschema" not in sys.modules:
        import importlib
        import importlib.util
        import types

        if importlib.util.find_spec(name) is not None:
            stand_in = types.ModuleType(name)

            def load() -> Any:
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
                return importlib.import_module(name)

            def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
                return load().is_valid_syntax(*args, **kwargs)

            def attribute(attr: str) -> Any:
                if attr.startswith("__"):  # the import system probing (__path__ ...): not us
                    raise AttributeError(attr)
                return getattr(load(), attr)

            stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
            stand_in.__getattr__ = attribute  # type: ignore[method-assign]
            sys.modules[name] = stand_in
    import papermill

    return papermill


def _notebook_imports(path: Path) -> list[str]:
    """Modules the notebook imports at the top level of its code cells, in order."""
    import ast
    import json

    modules: list[str] = []
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse("".join(cell.get("source", "")))
        except SyntaxError:  # IPython magics: the kernel will say what is wrong
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.append(node.module)
    return list(dict.fromkeys(modules))


def _preload_line(path: Path) -> str:
    """An IPython exec line that imports what the notebook will need, while the kernel waits.

    It runs through ``exec`` with a throwaway namespace and evaluates to None: nothing lands in
    the notebook's namespace, nothing is displayed, the execution count stays at 0. A failing
    import is left for the notebook's own cell to report.
    """
    code = (
        "import importlib, sys\n"
        "def load(names):\n"
        "    for name in names:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except Exception:\n"
        "            pass\n"
        f"load({_notebook_imports(path)!r})\n"
        f"for module, lazy in {_LAZY_IMPORTS!r}.items():\n"
        "    if module in sys.modules:\n"
        "        load(lazy)\n"
    )
    return f"exec({code!r}, {{}})"


def _quick_ready_client_class() -> type:
    """A kernel client that is ready as soon as IOPub carries its kernel_info request's status.

    jupyter_client's ``wait_for_ready`` ends by draining IOPub until it has been silent for
    0.2 s, a fixed cost per notebook. What the drain guards against is an IOPub subscription
    not yet live (outputs of the first cell lost); the 'idle' status of our own request proves
    it is live.
    """
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class QuickReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (60.0 if timeout is None else timeout)
            while time.monotonic() < deadline:
                msg_id = self.kernel_info()
                try:
                    while True:  # skip replies to earlier attempts
                        reply = await self.shell_channel.get_msg(timeout=1)
                        if reply["parent_header"].get("msg_id") == msg_id:
                            break
                    while True:
                        msg = await self.iopub_channel.get_msg(timeout=0.5)
                        if (
                            msg["parent_header"].get("msg_id") == msg_id
                            and msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"
                        ):
                            self._handle_kernel_info_reply(reply)
                            return
                except Empty:  # no answer yet, or IOPub not subscribed yet: ask again
                    if not await self.is_alive():
                        raise RuntimeError("Kernel died before replying to kernel_info") from None
            raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    return QuickReadyClient


def _blocking(coroutine_function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a kernel manager coroutine from the runner's synchronous code, as nbclient does."""
    from jupyter_core.utils import run_sync

    return run_sync(coroutine_function)(*args, **kwargs)


class _Interrupts:
    """Ctrl-C, held back while kernels start or stop.

    A KeyboardInterrupt in the middle of starting a kernel leaves a kernel nobody can stop (it
    prints warnings after the runner is gone), and one inside nbclient's event loop comes out
    as some other exception. So the handler only notes the request while ``shielded`` and raises
    once the kernel work is done; the run loop checks ``requested`` after a failed step.
    """

    def __init__(self) -> None:
        self.requested = False
        self.shielded = 0

    def handler(self, signum: int, frame: Any) -> None:
        self.requested = True
        if not self.shielded:
            raise KeyboardInterrupt

    @contextmanager
    def shield(self) -> Iterator[None]:
        self.shielded += 1
        try:
            yield
        finally:
            self.shielded -= 1
        if not self.shielded and self.requested:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[None]:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; nothing to hold back here
            return
        previous = signal.signal(signal.SIGINT, self.handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


_interrupts = _Interrupts()

_KERNEL_DIR_PREFIX = "onboarding-kernels-"


def _sweep_kernel_dirs(temp: Path) -> None:
    """Remove the kernel folders of runs that were killed: SIGKILL leaves no chance to clean up.

    A folder is named after the runner's pid; its kernels exit on their own once that runner is
    gone (they watch their parent), so a folder whose runner is gone is litter.
    """
    import shutil

    for folder in temp.glob(f"{_KERNEL_DIR_PREFIX}*"):
        found = re.match(rf"{_KERNEL_DIR_PREFIX}(\d+)-", folder.name)
        if not found:
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, another user's
            pass


class _KernelPool:
    """One fresh kernel per notebook, as under plain papermill, started ahead of its turn.

    Kernels start after the runner has set the ONBOARDING_* variables (they inherit them), in
    a private 0700 directory holding their connection files and IPC sockets. A used kernel is
    asked to shut down and reaped later, off the critical path; ``close`` reaps the rest, kills
    kernels never used, and runs on failure and Ctrl-C too.
    """

    def __init__(
        self,
        notebooks: list[Path],
        cwd: Path,
        shield: Callable[[], AbstractContextManager[None]] = nullcontext,
        log_path: Path | None = None,
    ) -> None:
        import tempfile

        self._notebooks = notebooks
        self._cwd = cwd
        self._shield = shield
        temp = Path(tempfile.gettempdir())
        if os.name == "posix":
            _sweep_kernel_dirs(temp)
        prefix = f"{_KERNEL_DIR_PREFIX}{os.getpid()}-"
        self._dir = Path(tempfile.mkdtemp(prefix=prefix, dir=temp))  # 0700
        self._log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self._manager = _pooled_manager_class()
        self._started: list[Any] = []
        self._unused: set[int] = set()
        self._stopping: list[tuple[float, Any]] = []  # (when asked to shut down, manager)

    def __enter__(self) -> _KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._shield():
            self.close()

    def fill(self, upto: int) -> None:
        """Start kernels for every notebook up to index ``upto`` (bounded by their number)."""
        while len(self._started) <= min(upto, len(self._notebooks) - 1):
            index = len(self._started)
            km = self._manager(
                kernel_name="python3",
                connection_file=str(self._dir / f"kernel-{index}.json"),
                ip=str(self._dir / f"kernel-{index}-ipc"),
            )
            self._started.append(km)
            self._unused.add(index)
            arguments = [
                "--HistoryManager.hist_file=:memory:",  # as nbclient starts kernels
                f"--IPKernelApp.exec_lines={_preload_line(self._notebooks[index])}",
            ]
            _blocking(
                km.start_kernel,
                extra_arguments=arguments,
                cwd=str(self._cwd),
                # A kernel's own stderr (ipykernel warnings, a kernel stopped mid-cell) is not
                # the officer's business: it goes to a log beside the executed notebooks.
                stdout=self._log,
                stderr=self._log,
            )

    def take(self, index: int) -> Any:
        """The kernel for notebook ``index``; kernels for the next notebooks start booting."""
        self.fill(index + _PRESTART)
        self._unused.discard(index)
        self._reap(wait=False)
        return self._started[index]

    def release(self, km: Any) -> None:
        """Close the notebook's client and ask its kernel to shut down, without waiting."""
        for client in km.clients:
            client.stop_channels()
        km.clients.clear()
        try:
            if _blocking(km.is_alive):
                # request_shutdown, not shutdown_kernel: that one interrupts the kernel first,
                # which makes it print "KeyboardInterrupt caught in kernel" on our stderr.
                _blocking(km.request_shutdown)
        finally:
            self._stopping.append((time.monotonic(), km))

    def _reap(self, wait: bool) -> None:
        for item in list(self._stopping):
            asked, km = item
            try:
                if wait:
                    grace = max(0.05, asked + _SHUTDOWN_GRACE - time.monotonic())
                    # Waits ``grace``, then SIGTERM, waits as long again, then SIGKILL.
                    _blocking(km.finish_shutdown, waittime=2 * grace, pollinterval=0.02)
                elif _blocking(km.is_alive):
                    continue  # still exiting (or hung): close() deals with it
                _blocking(km.cleanup_resources)
            except Exception:  # one kernel's trouble must not keep the others running
                if not wait:
                    raise
            self._stopping.remove(item)

    def close(self) -> None:
        import shutil
        import signal

        try:
            for index in sorted(self._unused):
                km = self._started[index]
                # Never ran a notebook's cells: nothing to lose by killing it. (shutdown_kernel
                # would interrupt it first, and a kernel interrupted while booting prints a
                # traceback on our stderr.)
                if hasattr(signal, "SIGKILL"):
                    _blocking(km.signal_kernel, signal.SIGKILL)
                    self._stopping.append((0.0, km))
                else:
                    _blocking(km.shutdown_kernel, now=True)
            self._unused.clear()
            self._reap(wait=True)
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
            if not isinstance(self._log, int):
                self._log.close()
                log = Path(self._log.name)
                if log.stat().st_size == 0:
                    log.unlink()  # kernels said nothing: leave no empty file behind


def _pooled_manager_class() -> type:
    """The IPC kernel manager, with the quick-ready client, remembering the clients it made.

    nbclient leaves its client's channels open on a kernel manager it did not create; the pool
    closes them.
    """
    base = _kernel_manager_class()
    client_class = _quick_ready_client_class()

    class PooledKernelManager(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("client_factory", client_class)
            super().__init__(*args, **kwargs)
            self.clients: list[Any] = []

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

    return PooledKernelManager


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
    """Execute each step's notebook in order with papermill; stop at the first failure.

    Each notebook gets a fresh kernel as under plain papermill, but kernels boot ahead of their
    turn (preloading their notebook's imports) and shut down in the background, so a run costs
    less than papermill starting and stopping one kernel after another.
    """
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    report = RunReport(out_dir)
    if not steps:
        return report
    shield = _interrupts.shield
    notebooks = [notebook_path(s, notebooks_dir) for s in steps]
    log = out_dir / "kernels.log"
    with _interrupts.installed(), _KernelPool(notebooks, notebooks_dir, shield, log) as pool:
        with shield():
            pool.fill(_PRESTART - 1)  # the first kernels boot while papermill imports
        papermill = _import_papermill()
        for index, step in enumerate(steps):
            if on_step:
                on_step("start", step, None)
            output = out_dir / f"{step.name}.ipynb"
            started = time.perf_counter()
            km = None
            try:
                with shield():
                    km = pool.take(index)
                papermill.execute_notebook(
                    str(notebook_path(step, notebooks_dir)),
                    str(output),
                    parameters=parameters_for(step, notebooks_dir, parameters),
                    kernel_name="python3",
                    km=km,
                    cwd=str(notebooks_dir),
                    progress_bar=False,
                    log_output=False,
                    store_widget_state=False,
                )
            except Exception as exc:  # papermill wraps every failure; we report and stop
                if _interrupts.requested:  # Ctrl-C, come out of nbclient as something else
                    raise KeyboardInterrupt from None
                outcome = StepOutcome(step.name, False, time.perf_counter() - started, output)
                outcome.error = _error_text(exc)
                report.outcomes.append(outcome)
                if on_step:
                    on_step("end", step, outcome)
                break
            finally:
                if km is not None:
                    with shield():
                        pool.release(km)
            outcome = StepOutcome(step.name, True, time.perf_counter() - started, output)
            report.outcomes.append(outcome)
            if on_step:
                on_step("end", step, outcome)
    return report


def default_out_dir(root: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return root / "runs" / stamp


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
    from .training.scenarios import get_scenario

    return get_scenario(name)


def _with_scenario_parameters(
    scenario: Scenario, steps: list[Step], notebooks_dir: Path, parameters: dict[str, Any]
) -> dict[str, Any]:
    """The scenario's suggested parameters under the caller's own, for the notebooks of this run."""
    declared: set[str] = set()
    for step in steps:
        declared |= notebook_parameters(notebook_path(step, notebooks_dir))
    suggested = {k: v for k, v in scenario.parameters.items() if k in declared}
    return {**suggested, **parameters}


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


def _settings_for_run(
    mode: str, env_file: str | None, state_dir: str | None, sandbox_dir: str | None
) -> Settings:
    # Kernels inherit these; notebooks read them when their own parameters are empty.
    # Kernels that see the runner's pid act under its lock and hold the state folder while alive.
    env = {"ONBOARDING_MODE": mode, locks.RUNNER_PID_VARIABLE: str(os.getpid())}
    if env_file:
        env["ONBOARDING_ENV_FILE"] = str(Path(env_file).expanduser().absolute())
    if state_dir:
        env["ONBOARDING_STATE_DIR"] = str(Path(state_dir).expanduser().absolute())
    if sandbox_dir:
        env["ONBOARDING_SANDBOX_DIR"] = str(Path(sandbox_dir).expanduser().absolute())
    os.environ.update(env)
    settings = resolve_settings(mode)
    os.environ["ONBOARDING_ENV_FILE"] = str(settings.env_file)
    os.environ["ONBOARDING_STATE_DIR"] = str(settings.state_dir)
    return settings


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
) -> RunReport:
    """The headless run behind ``python -m onboarding_helpers run``.

    ``scenario`` (or ``-p scenario NAME``) starts a training scenario on a new sandbox account
    before the notebooks run; its suggested parameters apply under the caller's own. Everything
    is checked (paths, parameters, the base URL) before anything is provisioned or written.
    """
    parameters = dict(parameters or {})
    chosen = _chosen_scenario(mode, scenario or str(parameters.pop("scenario", "") or ""))
    root = project_root()
    notebooks_dir = root / "notebooks"
    settings = _settings_for_run(mode, env_file, state_dir, sandbox_dir)
    check_base_url(settings)
    rb = Runbook(settings)
    preflight(rb)
    secrets = rb.store.secrets()
    for name, value in parameters.items():
        check_parameter(name, value, secrets)
    steps = plan(notebooks_dir, only, include_optional or bool(parameters.get("buy_phone_number")))
    check_parameters_known(steps, notebooks_dir, parameters)
    if chosen is not None:
        parameters = _with_scenario_parameters(chosen, steps, notebooks_dir, parameters)
    out = _out_folder(out_dir, root, notebooks_dir)
    if settings.foreign_base_url:
        echo(f"live mode: Twilio requests go to {settings.where_requests_go()}")

    server = None
    with locks.hold(settings.env_file, settings.state_dir, "headless run"), _private_files():
        from .progress import wait_for_kernels

        wait_for_kernels(settings.state_dir)
        current: list[str] = [""]
        try:
            if settings.is_sandbox and not settings.base_url:
                # One sandbox server for the whole run, shared by every kernel.
                from .sandbox import SandboxServer
                from .training.practice import prepare_sandbox_account, start_scenario

                settings.sandbox_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                server = SandboxServer(settings.sandbox_dir / "sandbox.sqlite3").start()
                os.environ["ONBOARDING_TWILIO_BASE_URL"] = server.url
                rb = Runbook(resolve_settings(mode))
                if chosen is not None:
                    started = start_scenario(rb, chosen.name, parameters)
                else:
                    started = prepare_sandbox_account(rb)
                echo(
                    f"sandbox: {server.url}  account {started.account_sid}"
                    + ("  (new)" if started.provisioned else "")
                )
                for note in started.notes:
                    echo(f"  note: {note}")
            elif chosen is not None:  # a sandbox of the caller's (ONBOARDING_TWILIO_BASE_URL)
                from .training.practice import start_scenario

                started = start_scenario(rb, chosen.name, parameters)
            if chosen is not None:
                echo(
                    f"scenario: {chosen.name}  {chosen.title}  (shows at {chosen.bites_at};"
                    " trainer's guide: docs/TRAINERS.md)"
                )

            def progress(event: str, step: Step, outcome: StepOutcome | None) -> None:
                if event == "start":
                    current[0] = step.name
                    echo(f"▶ {step.name}  {step.title}")
                elif outcome and outcome.ok:
                    echo(f"  ✔ done in {outcome.seconds:.1f} s")
                elif outcome:
                    echo(f"  ✖ failed after {outcome.seconds:.1f} s: {outcome.error}")

            echo(f"mode: {mode}   output: {out}")
            report = run_notebooks(steps, notebooks_dir, out, parameters, on_step=progress)
            if any(o.step == "06_postman_handoff" and o.ok for o in report.outcomes):
                from .report import handoff_summary

                echo("")
                for line in handoff_summary(settings.env_file, settings.state_dir):
                    echo(line)
        except KeyboardInterrupt:
            import logging

            # nbclient's tasks cut short would report "Task exception was never retrieved".
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            raise Interrupted(current[0], settings.state_dir) from None
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
            scenario=getattr(args, "scenario", None) or "",
        )
    except Interrupted as err:
        print(f"\n{err}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # before anything ran
        print("\nStopped by Ctrl-C before any step ran; nothing was changed.", file=sys.stderr)
        return 130
    except RunbookError as err:  # a refused input, the lock held ...: the message is safe
        print(f"error: {err}", file=sys.stderr)
        return 2
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
