"""What ``jupyterhub_config.py`` sets: the class's JupyterHub, its proxy and its sandbox.

- Logins: PAM, the trainees' system passwords (``add-trainees`` makes them), members of the
  trainees' group only, the trainers as admins; or, for tests, JupyterHub's
  SharedPasswordAuthenticator with one password (``ONBOARDING_HUB_AUTHENTICATOR=shared-password``).
- Servers: ``spawner.ClassSpawner``, JupyterLab opened on notebook 00 in ``~/postman-runbook``.
- The sandbox: one for the class, run by the hub as its managed service ``sandbox`` (restarted if
  it stops) on 127.0.0.1, its data and trainer token in ``<class folder>/sandbox`` (0700).
- The proxy: configurable-http-proxy from npm, on PATH or where ``make hub`` put it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .settings import WORK_FOLDER, ClassSettings, project_root

NOTEBOOK_00 = "00_start_here.ipynb"


def proxy_command(settings: ClassSettings) -> str | None:
    """configurable-http-proxy: on PATH, or installed by ``make hub-proxy`` into the class folder
    (this class's, or the project's default ``.hub``)."""
    found = shutil.which("configurable-http-proxy")
    for folder in (settings.class_dir, project_root() / ".hub"):
        local = folder / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
        found = found or (str(local) if local.exists() else None)
    return found


def _logins(c: Any, settings: ClassSettings) -> None:
    c.Authenticator.admin_users = set(settings.trainers)
    if settings.authenticator == "shared-password":
        # JupyterHub's one-password login (tests, a throwaway demo): anyone may log in with it,
        # but only members of the trainees' group get a server (``trainees.trainee_user``).
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = settings.shared_password
        c.Authenticator.allow_all = True
    else:
        c.JupyterHub.authenticator_class = "pam"
        c.PAMAuthenticator.allowed_groups = {settings.group}
        c.PAMAuthenticator.open_sessions = False  # no login session per server: none is needed


def configure(c: Any, settings: ClassSettings) -> None:
    """Fill in JupyterHub's config object ``c`` for the class."""
    folder = settings.class_dir
    c.JupyterHub.ip = settings.ip
    c.JupyterHub.port = settings.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings.api_port
    c.JupyterHub.db_url = f"sqlite:///{folder / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(folder / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(folder / "jupyterhub.pid")
    if settings.ssl_cert and settings.ssl_key:
        c.JupyterHub.ssl_cert, c.JupyterHub.ssl_key = settings.ssl_cert, settings.ssl_key
    _logins(c, settings)
    c.JupyterHub.spawner_class = "onboarding_helpers.training.hub.spawner.ClassSpawner"
    c.Spawner.cmd = [str(settings.venv_bin / "jupyterhub-singleuser")]
    c.Spawner.notebook_dir = f"~/{WORK_FOLDER}"
    c.Spawner.default_url = f"/lab/tree/notebooks/{NOTEBOOK_00}"
    c.Spawner.start_timeout = 180  # a class logging in at once on a small machine
    c.Spawner.http_timeout = 180
    c.ConfigurableHTTPProxy.pid_file = str(folder / "proxy.pid")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    command = proxy_command(settings)
    if command:
        c.ConfigurableHTTPProxy.command = [command]
    c.JupyterHub.services = [
        {
            "name": "sandbox",
            "command": [
                str(settings.python),
                "-m",
                "onboarding_helpers.sandbox",
                "serve",
                "--dir",
                str(settings.sandbox_dir),
                "--port",
                str(settings.sandbox_port),
            ],
            "environment": {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            "cwd": str(folder),
        }
    ]


def prepare_class_folder(settings: ClassSettings) -> Path:
    """The class folder and its sandbox folder, both 0700 (the hub's user alone)."""
    for path in (settings.class_dir, settings.sandbox_dir):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
    return settings.class_dir
