"""Where a run's settings come from and the objects every step shares.

A notebook's first cell calls ``open_runbook(mode, env_file, state_dir)``; empty arguments fall back
to the environment (``ONBOARDING_MODE``, ``ONBOARDING_ENV_FILE``, ``ONBOARDING_STATE_DIR``,
``ONBOARDING_SANDBOX_DIR``, ``ONBOARDING_TWILIO_BASE_URL``) and then to defaults beside the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, AUTH_TOKEN, CredentialStore
from .errors import InputError, StepBlocked
from .progress import ProgressRecord

if TYPE_CHECKING:
    from twilio.rest import Client

MODES = ("sandbox", "live")


def project_root(start: Path | None = None) -> Path:
    """The folder holding ``notebooks/`` (notebooks run with their own folder as cwd)."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "onboarding_helpers").is_dir():
            return folder
    return here


@dataclass(frozen=True)
class Settings:
    mode: str
    env_file: Path
    state_dir: Path
    sandbox_dir: Path
    base_url: str | None  # None: Twilio itself

    @property
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"


def resolve_settings(mode: str = "", env_file: str = "", state_dir: str = "") -> Settings:
    root = project_root()
    mode = (mode or os.environ.get("ONBOARDING_MODE") or "sandbox").strip().lower()
    if mode not in MODES:
        raise InputError("mode", f"{mode!r} is not a mode.", "Use 'sandbox' or 'live'.")

    def pick(value: str, variable: str, default: str) -> Path:
        chosen = value or os.environ.get(variable) or default
        path = Path(chosen).expanduser()
        return path if path.is_absolute() else (root / path)

    return Settings(
        mode=mode,
        env_file=pick(env_file, "ONBOARDING_ENV_FILE", ".env"),
        state_dir=pick(state_dir, "ONBOARDING_STATE_DIR", ".runbook"),
        sandbox_dir=pick("", "ONBOARDING_SANDBOX_DIR", ".sandbox"),
        base_url=os.environ.get("ONBOARDING_TWILIO_BASE_URL") or None,
    )


class Runbook:
    """Settings, credential store, progress record and Twilio clients for one notebook."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = CredentialStore(settings.env_file)
        self.progress = ProgressRecord(settings.state_dir)

    def __repr__(self) -> str:
        s = self.settings
        return f"<Runbook mode={s.mode} env_file={s.env_file} state_dir={s.state_dir}>"

    @cached_property
    def base_url(self) -> str | None:
        """Where Twilio requests go: the sandbox (started if needed), an override, or Twilio."""
        if self.settings.base_url:
            return self.settings.base_url
        if self.settings.is_sandbox:
            from .sandbox import ensure_running

            return ensure_running(self.settings.sandbox_dir)
        return None

    def client_with_token(self, account_sid: str, auth_token: str, step: str) -> Client:
        from .twilio_gateway import make_client

        return make_client(account_sid, auth_token=auth_token, base_url=self.base_url, step=step)

    def client_with_key(self, account_sid: str, key_sid: str, secret: str, step: str) -> Client:
        from .twilio_gateway import make_client

        return make_client(
            account_sid, api_key_sid=key_sid, api_secret=secret, base_url=self.base_url, step=step
        )

    def saved_account(self) -> tuple[str, str]:
        """Account SID and Auth Token from the store, or a StepBlocked saying to do step 01."""
        values = self.store.values()
        if not values.get(ACCOUNT_SID) or not values.get(AUTH_TOKEN):
            raise StepBlocked(
                "No checked Account SID and Auth Token are saved yet.",
                advice="Run 01_account_sid first.",
            )
        return values[ACCOUNT_SID], values[AUTH_TOKEN]

    def auth_token_client(self, step: str) -> Client:
        account_sid, token = self.saved_account()
        return self.client_with_token(account_sid, token, step)

    def api_key_client(self, step: str) -> Client:
        """Client authenticated the way Postman does: API key + secret, scoped to the account."""
        values = self.store.values()
        account_sid = values.get(ACCOUNT_SID)
        key, secret = values.get(API_KEY_SID), values.get(API_KEY_SECRET)
        if not (account_sid and key and secret):
            raise StepBlocked(
                "No API key SID and secret are saved yet.", advice="Run 02_api_key first."
            )
        return self.client_with_key(account_sid, key, secret, step)


def open_runbook(mode: str = "", env_file: str = "", state_dir: str = "") -> Runbook:
    """The shared objects for a notebook; empty arguments use the environment or defaults."""
    rb = Runbook(resolve_settings(mode, env_file, state_dir))
    runner_pid = os.environ.get("ONBOARDING_RUNNER_PID")
    if runner_pid and runner_pid != str(os.getpid()):
        # A kernel of a headless run: the next run waits until this kernel is gone.
        from .progress import hold_for_kernel

        hold_for_kernel(rb.settings.state_dir)
    return rb
