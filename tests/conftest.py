from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Workspace:
    """The folders one headless run uses, all under a fresh temporary directory."""

    root: Path

    @property
    def env_file(self) -> Path:
        return self.root / "creds" / ".env"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def sandbox_dir(self) -> Path:
        return self.root / "sandbox"

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``python -m onboarding_helpers run --sandbox`` on this workspace."""
        cmd = [
            sys.executable, "-m", "onboarding_helpers", "run", "--sandbox",
            "--out", str(self.out_dir), "--env-file", str(self.env_file),
            "--state-dir", str(self.state_dir), "--sandbox-dir", str(self.sandbox_dir), *args,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
        return subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    ws.env_file.parent.mkdir()
    return ws


@pytest.fixture
def sandbox(tmp_path: Path):
    """A sandbox server on its own database, stopped after the test."""
    from onboarding_helpers.sandbox import SandboxServer

    with SandboxServer(tmp_path / "sandbox-db" / "sandbox.sqlite3") as server:
        yield server
