"""Fixtures for the class hub's test: a real JupyterHub as root, two trainees as real system users,
one class sandbox, and Debian's Chromium (``tests/browser/conftest.py`` launches it).

What the test needs, and why it may be missing: root (servers run as the trainees' own users),
``useradd``, JupyterHub (requirements-dev.txt), its proxy ``configurable-http-proxy`` (npm: ``make
hub-proxy``, or on PATH as ``.ci/run`` installs it), Chromium and Playwright. Without one of them
the test is skipped with the reason on a developer's machine and fails in CI (``CI`` set).

Trainees run the virtualenv's Python. When it is a link into a folder they cannot enter (pyenv
under ``/root``, 0700), ``make hub`` refuses and says to build the virtualenv from a Python every
user can run (``make PYTHON=/usr/bin/python3 hub``); the test instead makes a small virtualenv of
the system's Python of the same version that reads the project's installed packages, so it still
runs the hub exactly as configured.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
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

from onboarding_helpers.training.hub.settings import ClassSettings, unreadable_for_trainees

from ..browser.conftest import CHROMIUM, LAUNCH_ARGS, browser_missing, free_port
from ..ci import cannot_run

ROOT = Path(__file__).resolve().parents[2]
HUB_START_TIMEOUT = 90.0


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the class hub runs servers as trainees' system users: run the test as root"
    if not shutil.which("useradd"):
        return "no useradd on this machine (Debian: apt-get install passwd)"
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "JupyterHub is not installed (make test installs requirements-dev.txt)"
    from onboarding_helpers.training.hub.config import proxy_command

    if proxy_command(ClassSettings(class_dir=ROOT / ".hub")) is None:
        return (
            "no configurable-http-proxy (make hub-proxy, or npm install -g configurable-http-proxy)"
        )
    return browser_missing()


def need_prerequisites() -> None:
    reason = _missing()
    if reason:
        cannot_run(f"hub test: {reason}")


def trainee_bin(base: Path) -> Path:
    """A virtualenv ``bin`` folder trainees can run: the project's, or a bridge to it."""
    project_bin = ROOT / ".venv" / "bin"
    if unreadable_for_trainees((project_bin / "python").resolve()) is None:
        return project_bin
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = Path("/usr/bin") / version
    if not system.exists() or unreadable_for_trainees(system.resolve()):
        cannot_run(f"the virtualenv's Python is closed to other users, and there is no {system}")
    bridge = base / "trainee-venv"
    site = bridge / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (bridge / "bin").mkdir()
    (bridge / "bin" / "python").symlink_to(system)
    (bridge / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    packages = ROOT / ".venv" / "lib" / version / "site-packages"
    (site / "_runbook.pth").write_text(f"import site; site.addsitedir({str(packages)!r})\n{ROOT}\n")
    for name in ("share", "etc"):  # JupyterLab's assets and Jupyter's config, under sys.prefix
        if (ROOT / ".venv" / name).exists():
            (bridge / name).symlink_to(ROOT / ".venv" / name)
    for script, module in (
        ("jupyterhub", "jupyterhub.app"),
        ("jupyterhub-singleuser", "jupyterhub.singleuser"),
    ):
        path = bridge / "bin" / script
        path.write_text(
            f"#!{bridge}/bin/python\nimport sys\nfrom {module} import main\nsys.exit(main())\n"
        )
        path.chmod(0o755)
    for folder in [bridge, *bridge.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)
    return bridge / "bin"


@dataclass
class ClassHub:
    url: str
    settings: ClassSettings
    trainees: list[str]
    password: str
    log: Path
    process: subprocess.Popen[bytes]
    users: list[int] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)  # the trainer's commands run with it

    @property
    def sandbox_url(self) -> str:
        return self.settings.sandbox_url

    def trainer_token(self) -> str:
        return (self.settings.sandbox_dir / "trainer.token").read_text().strip()

    def home(self, trainee: str) -> Path:
        return self.settings.home_root / trainee


def _wait_for_hub(hub: ClassHub) -> None:
    deadline = time.monotonic() + HUB_START_TIMEOUT
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    log = hub.log.read_text(errors="replace")[-3000:]
    pytest.fail(f"the class hub did not start (exit {hub.process.poll()}):\n{log}")


def _end_processes_of(uids: list[int]) -> None:
    """Stop what the hub started as the test's trainees (kernels, servers), each by its id."""
    import psutil

    for process in psutil.process_iter(["pid", "uids"]):
        if process.info["uids"] and process.info["uids"].real in uids:
            try:
                process.kill()
            except psutil.Error:
                pass


# How long the hub may take to stop on SIGTERM, its sandbox service and trainees' servers with
# it: 2-5 s here. JupyterHub gives each 10 s to answer SIGINT before it sends SIGTERM, so a hub
# whose children ignore SIGINT takes 20 s or more.
STOP_SECONDS = 15


def _end_proxy(pid_file: Path) -> None:
    """Stop the hub's proxy if the hub left it running: JupyterHub starts it in a session of
    its own, so a hub killed before its clean-up (SIGKILL after the wait below) leaves it."""
    import psutil

    try:
        proxy = psutil.Process(int(pid_file.read_text().strip()))
        if "configurable-http-proxy" in " ".join(proxy.cmdline()):
            proxy.kill()
    except (OSError, ValueError, psutil.Error):
        pass


@pytest.fixture(scope="module")
def class_hub() -> Iterator[ClassHub]:
    need_prerequisites()
    from onboarding_helpers.training.hub.trainees import create_user

    tag = secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix="class-hub-test-"))
    base.chmod(0o755)  # the trainees' bridge virtualenv, if any, lives here
    settings = ClassSettings(
        class_dir=base / "class",
        port=free_port(),
        sandbox_port=free_port(),
        api_port=free_port(),
        proxy_api_port=free_port(),
        group=f"hubtest-{tag}",
        name=f"hub-test-{tag}",
        authenticator="shared-password",
        shared_password=secrets.token_urlsafe(12),
        venv_bin=trainee_bin(base),
    )
    trainees = [f"ana-{tag}", f"ben-{tag}"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    environment.update(
        {
            "ONBOARDING_HUB_DIR": str(settings.class_dir),
            "ONBOARDING_HUB_PORT": str(settings.port),
            "ONBOARDING_HUB_SANDBOX_PORT": str(settings.sandbox_port),
            "ONBOARDING_HUB_API_PORT": str(settings.api_port),
            "ONBOARDING_HUB_PROXY_API_PORT": str(settings.proxy_api_port),
            "ONBOARDING_HUB_GROUP": settings.group,
            "ONBOARDING_HUB_NAME": settings.name,
            "ONBOARDING_HUB_AUTHENTICATOR": settings.authenticator,
            "ONBOARDING_HUB_SHARED_PASSWORD": settings.shared_password,
            "ONBOARDING_HUB_VENV_BIN": str(settings.venv_bin),
        }
    )
    users = [create_user(settings, name).pw_uid for name in trainees]
    log = base / "hub.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "-m",
                "onboarding_helpers.training.hub",
                "serve",
            ],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As a shell starts a background job (`sudo make hub &`): SIGINT and SIGQUIT
            # ignored. The hub must still stop all it started, promptly (checked below).
            preexec_fn=_as_a_background_job,
        )
    hub = ClassHub(
        f"http://127.0.0.1:{settings.port}",
        settings,
        trainees,
        settings.shared_password,
        log,
        process,
        users,
        environment,
    )
    try:
        _wait_for_hub(hub)
        yield hub
    finally:
        slow = ""
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the hub stops the servers it started
            process.wait(timeout=STOP_SECONDS)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            slow = f"the class hub took over {STOP_SECONDS} s to stop on SIGTERM:\n{tail}"
        _end_proxy(settings.class_dir / "proxy.pid")
        left = _end_processes_naming(settings.sandbox_dir)  # its sandbox service
        _end_processes_of(users)
        for name in trainees:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        subprocess.run(["groupdel", settings.group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        assert not slow, slow
        assert not left, f"the hub left its sandbox service running: {left}"


def _as_a_background_job() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)


def _end_processes_naming(path: Path, seconds: float = 5) -> list[str]:
    """Processes still running a command line that names ``path`` after ``seconds``: killed,
    and returned (what they ran)."""
    import psutil

    def naming() -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["cmdline", "status"]):
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if str(path) in " ".join(process.info["cmdline"] or []):
                found.append(process)
        return found

    deadline = time.monotonic() + seconds
    while (found := naming()) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = []
    for process in found:
        try:
            left.append(" ".join(process.cmdline()[:4]))
            process.kill()
        except psutil.Error:
            pass
    return left


@pytest.fixture(scope="module")
def chromium():
    need_prerequisites()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
