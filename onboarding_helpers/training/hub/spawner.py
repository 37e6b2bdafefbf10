"""Each trainee's notebook server: JupyterHub's LocalProcessSpawner, as the trainee's own system
user, prepared first (``trainees.prepare_trainee``: user, home, notebooks, practice account) and
started with the class's environment (sandbox mode, their env file and state folder).

Real system users keep trainees apart on one machine: each server and each of its kernels runs
with the trainee's uid, in a 0700 home, so one trainee cannot read another's files, env file or
kernels' connection files, and the hub's folder (trainer token, database) is root's alone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner

from .settings import ClassSettings
from .trainees import prepare_trainee


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner that prepares the trainee's runbook before their server starts."""

    _home: Path | None = None

    @property
    def class_settings(self) -> ClassSettings:
        return ClassSettings.from_environment()

    async def start(self) -> Any:
        settings = self.class_settings
        # Blocking work (useradd, the helper run as the trainee, the sandbox's admin API) off the
        # hub's event loop: other trainees log in meanwhile.
        self._home = await asyncio.to_thread(prepare_trainee, settings, self.user.name)
        return await super().start()

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        home = self._home or Path(env.get("HOME", "/nonexistent"))
        env.update(self.class_settings.trainee_environment(home, self.user.name))
        return env
