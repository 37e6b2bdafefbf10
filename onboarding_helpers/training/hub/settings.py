"""The class's settings: where the hub keeps its files, which ports, who is a trainee.

Read from ``ONBOARDING_HUB_*`` variables (``make hub`` and the command line set them), so the
JupyterHub config file, the spawner and the trainer's commands agree. The class folder (default
``.hub/`` in the project) holds JupyterHub's database and secrets, and ``sandbox/``: the class's
sandbox with its trainer token. It is 0700 and owned by the hub's user (root): no trainee reads it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ...runbook import BASE_URL_VARIABLE
from ..practice import CLASS_HUB_VARIABLE

PREFIX = "ONBOARDING_HUB_"
# A trainee's system user name, as useradd takes it and JupyterHub keeps it: no path tricks.
TRAINEE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
# Inside each trainee's home: what they see in JupyterLab, and their private files.
WORK_FOLDER = "postman-runbook"
ENV_FILE = ".env.sandbox"
STATE_FOLDER = ".runbook"


def project_root() -> Path:
    """The runbook's folder (holding ``notebooks/`` and the package), wherever this runs from."""
    return Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ClassSettings:
    class_dir: Path
    name: str = "postman-class"  # shown to trainees in advice, set as ONBOARDING_CLASS_HUB
    ip: str = "127.0.0.1"  # where trainees reach the hub: 0.0.0.0 for a room
    port: int = 8000
    sandbox_port: int = 8765
    # On 127.0.0.1 only: the hub's own API and its proxy's REST API (JupyterHub's defaults).
    # Two hubs on one machine need different ones, as for the ports above.
    api_port: int = 8081
    proxy_api_port: int = 8001
    group: str = "postman-trainees"  # the system group of trainees; nobody else gets a server
    home_root: Path = Path("/home")
    create_users: bool = False  # the hub makes missing trainees' system users (useradd)
    authenticator: str = "pam"  # "pam" (system passwords) or "shared-password" (tests)
    shared_password: str = ""
    trainers: frozenset[str] = field(default_factory=frozenset)  # hub admins
    ssl_cert: str = ""
    ssl_key: str = ""
    venv_bin: Path = field(default_factory=lambda: project_root() / ".venv" / "bin")

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> ClassSettings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, default).strip()

        trainers = frozenset(t for t in re.split(r"[,\s]+", get("TRAINERS")) if t)
        return cls(
            class_dir=Path(get("DIR", str(project_root() / ".hub"))).expanduser().absolute(),
            name=get("NAME", "postman-class"),
            ip=get("IP", "127.0.0.1"),
            port=int(get("PORT", "8000")),
            sandbox_port=int(get("SANDBOX_PORT", "8765")),
            api_port=int(get("API_PORT", "8081")),
            proxy_api_port=int(get("PROXY_API_PORT", "8001")),
            group=get("GROUP", "postman-trainees"),
            home_root=Path(get("HOME_ROOT", "/home")),
            create_users=get("CREATE_USERS", "0") == "1",
            authenticator=get("AUTHENTICATOR", "pam"),
            shared_password=get("SHARED_PASSWORD"),
            trainers=trainers,
            ssl_cert=get("SSL_CERT"),
            ssl_key=get("SSL_KEY"),
            venv_bin=Path(get("VENV_BIN", str(project_root() / ".venv" / "bin"))),
        )

    @property
    def sandbox_dir(self) -> Path:
        return self.class_dir / "sandbox"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def python(self) -> Path:
        return self.venv_bin / "python"

    def work_folder(self, home: Path) -> Path:
        return home / WORK_FOLDER

    def trainee_environment(self, home: Path, user: str) -> dict[str, str]:
        """What a trainee's server, its kernels and the home helper run with: sandbox mode, their
        own env file and state folder, the class's sandbox. No trainer token, ever."""
        work = self.work_folder(home)
        return {
            "ONBOARDING_MODE": "sandbox",
            "ONBOARDING_ENV_FILE": str(work / ENV_FILE),
            "ONBOARDING_STATE_DIR": str(work / STATE_FOLDER),
            "ONBOARDING_SANDBOX_DIR": str(work / ".sandbox"),  # unused: the base URL wins
            BASE_URL_VARIABLE: self.sandbox_url,
            CLASS_HUB_VARIABLE: self.name,
            "HOME": str(home),
            "USER": user,
            "PATH": f"{self.venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHONNOUSERSITE": "1",  # trainees' own packages never shadow the runbook's
        }


def unreadable_for_trainees(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot enter (trainees run the
    runbook's code and virtualenv from here), or None when they all can."""
    for folder in [*reversed(path.parents), path]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return folder
        if not mode & stat.S_IXOTH or (folder == path and not mode & stat.S_IROTH):
            return folder
    return None
