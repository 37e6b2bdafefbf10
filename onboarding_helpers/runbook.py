"""Where a run's settings come from and the objects every step shares.

A notebook's first cell calls ``open_runbook(mode, env_file, state_dir)``; empty arguments fall back
to the environment (``ONBOARDING_MODE``, ``ONBOARDING_ENV_FILE``, ``ONBOARDING_STATE_DIR``,
``ONBOARDING_SANDBOX_DIR``, ``ONBOARDING_TWILIO_BASE_URL``) and then to defaults beside the project.

Sandbox and live never share a credential file: by default live uses ``.env`` and the sandbox
``.env.sandbox``, and the store refuses to write one mode's values into a file marked for the
other (see ``credentials``). In live mode the credentials go only to Twilio: a base URL that is
not https is refused unless ``ONBOARDING_ALLOW_INSECURE_BASE_URL=1``, and any base URL in effect
is named wherever the run reports where its requests go.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from . import locks
from .credential_copies import keep_tidy
from .credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    VARIABLES,
    CredentialStore,
)
from .errors import InputError, StepBlocked
from .journal import AuthTokenRemoved
from .progress import ProgressRecord
from .steps import registry
from .steps.registry import ACCOUNT, API_KEY, HANDOFF, START
from .validation import SID_KINDS, validate_auth_token

if TYPE_CHECKING:
    from twilio.rest import Client

    from .twilio_gateway import Guard

MODES = ("sandbox", "live")
# Each mode's own credential file, so practice never touches a real account's values.
DEFAULT_ENV_FILES = {"live": ".env", "sandbox": ".env.sandbox"}
INSECURE_VARIABLE = "ONBOARDING_ALLOW_INSECURE_BASE_URL"
BASE_URL_VARIABLE = "ONBOARDING_TWILIO_BASE_URL"
# The change plan a headless run applies, and its sha256: the runner tells its kernels.
PLAN_VARIABLE, PLAN_SHA_VARIABLE = "ONBOARDING_PLAN", "ONBOARDING_PLAN_SHA256"
F = TypeVar("F", bound=Callable[..., Any])
# The fields whose value a step reads from the env file when the officer gives none.
ENV_FILE_FIELDS = frozenset(
    {*VARIABLES, *(SID_KINDS[p][0] for p in ("AC", "SK", "MG")), "Auth Token", "API secret"}
)


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
    # A change plan being applied (``run --apply``): its file and sha256, from the runner
    # (ONBOARDING_PLAN, ONBOARDING_PLAN_SHA256). Every client then allows its changes only.
    plan: str = ""
    plan_sha256: str = ""

    @property
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    @property
    def foreign_base_url(self) -> str | None:
        """The base URL live requests go to instead of Twilio (None: Twilio, or sandbox mode)."""
        if self.is_sandbox or not self.base_url:
            return None
        host = (urlsplit(self.base_url).hostname or "").lower()
        return None if host == "twilio.com" or host.endswith(".twilio.com") else self.base_url

    def where_requests_go(self) -> str:
        if self.is_sandbox:
            where = f" ({self.base_url})" if self.base_url else ""
            return f"the sandbox Twilio on this computer{where}"
        if self.base_url:
            return f"{self.base_url} ({BASE_URL_VARIABLE}), not Twilio itself"
        return "Twilio (https://api.twilio.com)"


def check_base_url(settings: Settings) -> None:
    """In live mode the Auth Token must not travel in clear: refuse a base URL that is not https."""
    if settings.is_sandbox or not settings.base_url:
        return
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            BASE_URL_VARIABLE,
            f"{settings.base_url!r} is not a URL.",
            f"Unset {BASE_URL_VARIABLE} to reach Twilio, or give a full https:// URL.",
        )
    if parts.scheme == "https" or os.environ.get(INSECURE_VARIABLE) == "1":
        return
    raise InputError(
        BASE_URL_VARIABLE,
        f"is {settings.base_url}, which is not https: in live mode your Account SID and Auth"
        " Token would be sent in clear to whatever listens there, not to Twilio. Nothing was"
        " sent.",
        f"Unset it (unset {BASE_URL_VARIABLE}) so that requests go to Twilio. Only to test"
        f" against a local mock on purpose, also set {INSECURE_VARIABLE}=1.",
    )


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
        env_file=pick(env_file, "ONBOARDING_ENV_FILE", DEFAULT_ENV_FILES[mode]),
        state_dir=pick(state_dir, "ONBOARDING_STATE_DIR", ".runbook"),
        sandbox_dir=pick("", "ONBOARDING_SANDBOX_DIR", ".sandbox"),
        base_url=os.environ.get(BASE_URL_VARIABLE) or None,
        plan=os.environ.get(PLAN_VARIABLE, ""),
        plan_sha256=os.environ.get(PLAN_SHA_VARIABLE, ""),
    )


class Runbook:
    """Settings, credential store, progress record and Twilio clients for one notebook."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = CredentialStore(settings.env_file, mode=settings.mode)
        self.progress = ProgressRecord(settings.state_dir)
        # An Auth Token typed in a form for one action (``with_typed_token``): memory only.
        self._typed_token: str | None = None
        # What every Twilio client may send (``twilio_gateway.Guard``): anything; a change plan's
        # approved changes only while it is applied; GET only while one is made (change_plan).
        self.guard: Guard | None = None
        if settings.plan:
            from .change_plan.apply import install_plan_guard

            install_plan_guard(self)

    def __repr__(self) -> str:
        s = self.settings
        return f"<Runbook mode={s.mode} env_file={s.env_file} state_dir={s.state_dir}>"

    @cached_property
    def base_url(self) -> str | None:
        """Where Twilio requests go: the sandbox (started if needed), an override, or Twilio."""
        if self.settings.base_url:
            check_base_url(self.settings)
            return self.settings.base_url
        if self.settings.is_sandbox:
            from .sandbox import ensure_running

            return ensure_running(self.settings.sandbox_dir)
        return None

    def client_with_token(self, account_sid: str, auth_token: str, step: str) -> Client:
        from .twilio_gateway import make_client

        return make_client(
            account_sid,
            auth_token=auth_token,
            base_url=self.base_url,
            step=step,
            not_twilio=self.settings.foreign_base_url is not None,
            guard=self.guard,
        )

    def client_with_key(self, account_sid: str, key_sid: str, secret: str, step: str) -> Client:
        from .twilio_gateway import make_client

        return make_client(
            account_sid,
            api_key_sid=key_sid,
            api_secret=secret,
            base_url=self.base_url,
            step=step,
            not_twilio=self.settings.foreign_base_url is not None,
            guard=self.guard,
        )

    @contextmanager
    def exclusive(self, kind: str, wait: float | None = None) -> Iterator[None]:
        """Hold the credentials and the state folder (``locks``) while a step acts, waiting
        ``locks.ACTION_WAIT`` seconds (read at each call) for another action to finish."""
        wait = locks.ACTION_WAIT if wait is None else wait
        with locks.hold(self.settings.env_file, self.settings.state_dir, kind, wait):
            yield

    def refuse_secrets(self, field: str, value: object) -> None:
        """Refuse a typed value that holds one of the env file's secrets anywhere in it: names
        are sent to Twilio and written to the journal and the notebook."""
        if not isinstance(value, str) or not value:
            return
        secrets = [*self.store.secrets(), self._typed_token or ""]
        if any(secret and secret in value for secret in secrets):
            raise InputError(
                field,
                "contains a secret from the env file (the Auth Token or the API secret).",
                "Type a plain descriptive name; secrets stay in the env file only.",
            )

    def saved_account(self) -> tuple[str, str]:
        """Account SID from the store and the Auth Token (typed for this action, else the
        store's), or a StepBlocked: no Account SID says to do step 01; no Auth Token names
        ``TWILIO_AUTH_TOKEN``, whether it was put away on purpose, and how to give it back for
        one action. Changes nothing."""
        account_sid = self.store.values().get(ACCOUNT_SID)
        if not account_sid:
            raise StepBlocked(
                "No checked Account SID and Auth Token are saved yet.",
                advice=f"Run {ACCOUNT.id} first.",
            )
        return account_sid, self.auth_token()

    def auth_token(self) -> str:
        """The Auth Token for the action under way: the one typed for it (``with_typed_token``),
        else the env file's; a StepBlocked naming ``TWILIO_AUTH_TOKEN`` when there is neither."""
        token = self._typed_token or self.store.values().get(AUTH_TOKEN)
        if token:
            return token
        raise self.missing_auth_token()

    def auth_token_put_away(self) -> AuthTokenRemoved | None:
        """The journal's record that the officer removed the Auth Token from this env file on
        purpose (step 06), if it is still away; None when the env file holds one."""
        if self.store.values().get(AUTH_TOKEN):
            return None
        mine = str(self.settings.env_file)
        removals = [
            event
            for event in self.progress.events(AuthTokenRemoved)
            if event.env_file in ("", mine)
        ]
        return removals[-1] if removals else None

    def missing_auth_token(self) -> StepBlocked:
        """The refusal for an action that needs the Auth Token when none is at hand."""
        env_file = self.settings.env_file
        removed = self.auth_token_put_away()
        form = (
            "In the step's form, type the Auth Token (Twilio console dashboard, Account Info,"
            " 'Show') in its password field: it is used for this action only and not saved."
        )
        if removed is not None:
            when = f" on {removed.at}" if removed.at else ""
            why = (
                f"it was put away on purpose{when} (step {HANDOFF.number}), since Postman never"
                " needs it."
            )
            headless = (
                f" Headless, add the line {AUTH_TOKEN}=<your Auth Token> back to {env_file} for"
                f" this action, run it, then put the token away again with step"
                f" {HANDOFF.number}'s forget_auth_token (run --only {HANDOFF.number}"
                " -p forget_auth_token True)."
            )
        else:
            why = "it is missing."
            headless = (
                f" Headless, add the line {AUTH_TOKEN}=<your Auth Token> to {env_file} (step"
                f" {ACCOUNT.number}'s form saves it there when it checks the account)."
            )
        return StepBlocked(
            f"This action needs the account's Auth Token ({AUTH_TOKEN}), and the env file"
            f" {env_file} holds none: {why} Nothing was changed.",
            advice=form + headless,
            field=AUTH_TOKEN,
        )

    @contextmanager
    def with_typed_token(self, token: str | None) -> Iterator[None]:
        """Let the actions inside the block use ``token``, an Auth Token typed in a form, in
        place of the env file's.

        For an env file whose token was put away: the officer types it for one action. It stays
        in this object's memory for the block only (never written to the env file, the progress
        record, a widget or an output) and is forgotten when the block ends, also on error. An
        empty ``token`` changes nothing: the env file's token is used, or the refusal naming
        ``TWILIO_AUTH_TOKEN`` comes. A malformed one is refused (field "Auth Token") first.
        """
        if not token:
            yield
            return
        typed = validate_auth_token(token)
        previous, self._typed_token = self._typed_token, typed
        try:
            yield
        finally:
            self._typed_token = previous

    def needs_typed_token(self) -> bool:
        """Whether a form should offer a password field for the Auth Token: the env file holds
        none (put away on purpose, or never saved)."""
        return not self.store.values().get(AUTH_TOKEN)

    def auth_token_client(self, step: str, typed_token: str | None = None) -> Client:
        """A client signed with the Auth Token: ``typed_token`` (typed in a form for this action,
        never saved) if given, else as ``saved_account``. Raises StepBlocked naming
        ``TWILIO_AUTH_TOKEN`` when there is no token."""
        with self.with_typed_token(typed_token):
            account_sid, token = self.saved_account()
        return self.client_with_token(account_sid, token, step)

    def name_missing_env_file(self, step: str, exc: InputError | StepBlocked) -> None:
        """When a value the env file would hold is missing because the file itself does not exist
        (a typo in ``env_file``, a relative path counted from elsewhere, step 00 not run yet), say
        so in ``exc`` with the file's full path: "Account SID: is empty" alone hides the cause.
        Not in the step that writes the file first (00 in the sandbox, 01 live)."""
        first = START if self.settings.is_sandbox else ACCOUNT
        if step == first.id or self.store.exists():
            return
        if isinstance(exc, InputError) and exc.field not in ENV_FILE_FIELDS:
            return
        path = self.settings.env_file
        note = f" The env file {path} does not exist, so nothing saved in it could be read."
        fix = (
            f"Run step {first.number} first (it saves the account's values there), or give"
            f" env_file the full path of the env file an earlier step wrote (a relative path counts"
            f" from the project folder {project_root()})."
        )
        exc.message += note
        if isinstance(exc, InputError):
            exc.problem += note
        exc.advice = f"{fix} {exc.advice}".strip()
        exc.args = (str(exc),)

    def api_key_client(self, step: str) -> Client:
        """Client authenticated the way Postman does: API key + secret, scoped to the account."""
        values = self.store.values()
        account_sid = values.get(ACCOUNT_SID)
        key, secret = values.get(API_KEY_SID), values.get(API_KEY_SECRET)
        if not (account_sid and key and secret):
            raise StepBlocked(
                "No API key SID and secret are saved yet.", advice=f"Run {API_KEY.id} first."
            )
        return self.client_with_key(account_sid, key, secret, step)


def step_action(step: str) -> Callable[[F], F]:
    """Make a step function hold the runbook's lock (``Runbook.exclusive``) while it acts, so a
    form in a notebook and a headless run never act on the same credentials at once; once it
    succeeded, the env file and its copies are kept tidy (``credential_copies.keep_tidy``)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(rb: Runbook, *args: Any, **kwargs: Any) -> Any:
            with rb.exclusive(f"step {step}"):
                try:
                    result = function(rb, *args, **kwargs)
                except (InputError, StepBlocked) as exc:
                    rb.name_missing_env_file(step, exc)
                    raise
                # A key this action revoked leaves every backup now, not at some later run.
                keep_tidy(rb, registry.find(step) or START)
                return result

        return wrapper  # type: ignore[return-value]

    return decorate


def open_runbook(mode: str = "", env_file: str = "", state_dir: str = "") -> Runbook:
    """The shared objects for a notebook; empty arguments use the environment or defaults.

    Refuses at once what would fail later: an insecure live base URL, an env file that cannot be
    read or belongs to the other mode, a state folder that is a file or holds a corrupt record.
    """
    rb = Runbook(resolve_settings(mode, env_file, state_dir))
    check_base_url(rb.settings)
    preflight(rb)
    runner_pid = os.environ.get(locks.RUNNER_PID_VARIABLE)
    if runner_pid and runner_pid != str(os.getpid()):
        # A kernel of a headless run: the next run waits until this kernel is gone.
        from .progress import hold_for_kernel

        hold_for_kernel(rb.settings.state_dir)
    return rb


def preflight(rb: Runbook) -> None:
    """Check the env file and the state folder before anything is provisioned or written.

    Each problem comes out as an InputError naming the path and the fix.
    """
    rb.store.values()  # a folder, bytes that are not UTF-8, no permission: named by the store
    rb.store.check_mode()
    rb.progress.check()
