"""Fixtures for the browser tests: a work folder, JupyterLab and Voila servers, and Chromium.

Each test module gets its own work folder under pytest's tmp dir: a copy of ``notebooks/``, an
empty env file location, a state dir and a sandbox dir. The servers run with
``ONBOARDING_MODE=sandbox`` and those paths in their environment, which every kernel inherits, so
nothing touches the project's own ``.env``, ``.runbook/`` or ``.sandbox/``.

Chromium is Debian's (``/usr/bin/chromium``, or ``$BROWSER_TESTS_CHROMIUM``) driven by Python
Playwright; Playwright's own browser download is never used. Without Chromium the tests are
skipped on a developer's machine and fail in CI (``CI`` set), so CI cannot go green without them.
Pages may read and write the clipboard (the hand-off card's copy buttons are tested).

Screenshots of every step go to each module's folder under pytest's temporary folder
(``/tmp/pytest-of-$USER/pytest-current/``, one per worker under ``-n``), or under
``$BROWSER_TESTS_SCREENSHOTS/<module>`` when that is set. With ``BROWSER_TESTS_DOCS=1`` the tests
also refresh the README's pictures in ``docs/screenshots/`` (run them alone, without ``-n``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from onboarding_helpers.credentials import SECRET_VARIABLES, CredentialStore

from ..ci import cannot_run

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's own sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Where screenshots go when the developer names a folder (else pytest's temporary folder).
SCREENSHOTS = os.environ.get("BROWSER_TESTS_SCREENSHOTS", "")
# The README's pictures, refreshed by the tests themselves when asked.
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
WRITE_DOCS = os.environ.get("BROWSER_TESTS_DOCS", "") == "1"
VIEWPORT = {"width": 1280, "height": 900}
# The copy buttons are checked by reading the clipboard back.
PERMISSIONS = ["clipboard-read", "clipboard-write"]
START_TIMEOUT = 120.0  # a server starts slowly while other test workers run (pytest -n)

# JupyterLab user settings for the test server. The news toast would cover controls; widget state
# is saved into notebooks (off by default) so the secret audit also covers the widgets' values;
# closing a notebook shuts its kernel down so the walk leaves one kernel running at a time.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
    "@jupyterlab/notebook-extension/tracker": {"kernelShutdown": True},
}
LAB_PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (make test installs requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@dataclass
class WorkFolder:
    """One officer's folder: notebooks, env file, state, sandbox, and Jupyter's own config."""

    root: Path
    # Unix sockets (IPC kernels) allow ~100-character paths: pytest's tmp paths are too long.
    runtime: Path
    seen: set[str] = field(default_factory=set)  # every secret the env file has held so far

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def env_file(self) -> Path:
        return self.root / "creds" / ".env"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def sandbox_dir(self) -> Path:
        return self.root / "sandbox"

    @property
    def jupyter(self) -> Path:
        return self.root / "jupyter"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @classmethod
    def create(cls, root: Path) -> WorkFolder:
        work = cls(root, Path(tempfile.mkdtemp(prefix="jrt-")))
        shutil.copytree(ROOT / "notebooks", work.notebooks)
        for folder in (work.env_file.parent, work.state_dir, work.logs):
            folder.mkdir(parents=True)
        for name, values in LAB_SETTINGS.items():
            path = work.jupyter / "settings" / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        labconfig = work.jupyter / "config" / "labconfig"
        labconfig.mkdir(parents=True)
        (labconfig / "page_config.json").write_text(json.dumps(LAB_PAGE_CONFIG))
        return work

    def server_env(self) -> dict[str, str]:
        """The server's environment; kernels inherit it, so they run in sandbox mode here."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ONBOARDING_", "JUPYTER", "PLAYWRIGHT"))
        }
        env.update(
            ONBOARDING_MODE="sandbox",
            ONBOARDING_ENV_FILE=str(self.env_file),
            ONBOARDING_STATE_DIR=str(self.state_dir),
            ONBOARDING_SANDBOX_DIR=str(self.sandbox_dir),
            JUPYTER_CONFIG_DIR=str(self.jupyter / "config"),
            JUPYTER_DATA_DIR=str(self.jupyter / "data"),
            JUPYTERLAB_SETTINGS_DIR=str(self.jupyter / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.jupyter / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.runtime),
            PYTHONUNBUFFERED="1",
        )
        return env

    def saved(self, name: str) -> str:
        """A value from the env file now, as the officer would copy it from the console."""
        value = CredentialStore(self.env_file).get(name)
        assert value, f"{name} is not in the env file {self.env_file}"
        if name in SECRET_VARIABLES:
            self.seen.add(value)
        return value

    def secrets(self) -> list[str]:
        """The env file's secrets, and every secret it held earlier in the walk (the Auth Token
        is put away at the end): the audits look for all of them."""
        self.seen.update(s for s in CredentialStore(self.env_file).secrets() if s)
        return sorted(self.seen)

    def audit_roots(self) -> list[Path]:
        """The work folder less the env file's folder and the sandbox (Twilio's side)."""
        skip = {self.env_file.parent, self.sandbox_dir}
        return sorted(p for p in self.root.iterdir() if p not in skip) + [self.runtime]

    def cleanup(self) -> None:
        from onboarding_helpers.sandbox import stop_running

        stop_running(self.sandbox_dir)  # the kernels started it, detached; it outlives them
        shutil.rmtree(self.runtime, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A Jupyter server process (JupyterLab or Voila) on 127.0.0.1 with a token."""

    name: str
    url: str
    token: str
    work: WorkFolder
    process: subprocess.Popen[bytes]
    log: Path

    def link(self, path: str) -> str:
        return f"{self.url}{path}?token={self.token}"

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            # Jupyter servers shut their kernels down on SIGTERM.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(name: str, args: list[str], work: WorkFolder, ready_path: str) -> Server:
    """Start ``python -m <args>`` with a fresh port and token; return once it answers."""
    import secrets as _secrets

    port, token = free_port(), _secrets.token_urlsafe(18)
    log = work.logs / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        *[a.format(port=port, token=token) for a in args],
        "--KernelManager.transport=ipc",  # no code or output on loopback TCP in plain text
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=work.notebooks,
            env=work.server_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", token, work, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.link(ready_path), timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {START_TIMEOUT:.0f} s:\n{server.log_tail()}")


def lab_args(work: WorkFolder) -> list[str]:
    return [
        "jupyterlab",
        "--allow-root",  # CI runs as root
        "--no-browser",
        "--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work.notebooks}",
    ]


def voila_args(work: WorkFolder) -> list[str]:
    # The same options `make voila` uses, on a fixed port and token for the test.
    return [
        "voila",
        str(work.notebooks),
        "--no-browser",
        "--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--Voila.token={token}",
    ]


@pytest.fixture(scope="module")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's screenshots folder: its own, so parallel workers never share one."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if not SCREENSHOTS:
        return tmp_path_factory.mktemp(f"screenshots-{module}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    folder = Path(SCREENSHOTS) / "-".join(n for n in (module, worker) if n)
    shutil.rmtree(folder, ignore_errors=True)  # this module's last run only
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright; one per test module."""
    reason = browser_missing()
    if reason:
        cannot_run(f"browser tests: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, permissions=PERMISSIONS)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """JupyterLab on a copy of the runbook, in sandbox mode."""
    work = WorkFolder.create(tmp_path_factory.mktemp("lab"))
    try:
        server = start_server("jupyterlab", lab_args(work), work, "/api/status")
        try:
            yield server
        finally:
            server.stop()
    finally:
        work.cleanup()


@pytest.fixture(scope="module")
def voila(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Voila (code hidden, as trainees see it) on another copy of the runbook, in sandbox mode."""
    work = WorkFolder.create(tmp_path_factory.mktemp("voila"))
    try:
        server = start_server("voila", voila_args(work), work, "/")
        try:
            yield server
        finally:
            server.stop()
    finally:
        work.cleanup()
