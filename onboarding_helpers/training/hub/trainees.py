"""The hub's side of a trainee: their system user, their practice account, and a helper run as
them. The hub runs as root and alone reads the class sandbox's trainer token.

Files in a trainee's home are only ever written by a process running as that trainee (``home``,
started by ``run_as_trainee``): root writing into a folder its owner controls could be sent
elsewhere by a symbolic link. What the helper needs (a new account's SID and Auth Token) goes to
it on its standard input, never on its command line or in its environment.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import RunbookError
from ...journal import SandboxAccountProvisioned
from ...steps.registry import START
from .settings import TRAINEE_NAME, ClassSettings, project_root

HELPER_TIMEOUT = 120.0


class ClassError(RunbookError):
    """A trainee's server cannot be prepared, or a trainer's command cannot be carried out."""


def check_name(name: str) -> str:
    if not TRAINEE_NAME.match(name):
        raise ClassError(
            f"{name!r} cannot be a trainee's user name.",
            advice="Use 2 to 31 lower-case letters, digits or -, starting with a letter (ana,"
            " ben-tan).",
        )
    return name


def ensure_group(settings: ClassSettings) -> int:
    try:
        return grp.getgrnam(settings.group).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", settings.group], check=True, capture_output=True)
        return grp.getgrnam(settings.group).gr_gid


def create_user(settings: ClassSettings, name: str) -> pwd.struct_passwd:
    """A system user for trainee ``name`` in the trainees' group, home 0700, no password."""
    ensure_group(settings)
    home = settings.home_root / name
    command = ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash"]
    command += ["--user-group", "--groups", settings.group]
    command += ["--comment", f"Postman runbook trainee ({settings.name})", name]
    subprocess.run(command, check=True, capture_output=True, text=True)
    os.chmod(home, 0o700)  # other trainees see nothing of it, whatever the system's default
    return pwd.getpwnam(name)


def trainee_user(settings: ClassSettings, name: str) -> pwd.struct_passwd:
    """The trainee's system user: made if missing (``create_users``), refused unless a member of
    the trainees' group, so no login ever runs a server as root or as the trainer."""
    check_name(name)
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        if not settings.create_users:
            raise ClassError(
                f"There is no system user {name!r} on this machine.",
                advice="The trainer adds trainees with: python -m onboarding_helpers.training.hub"
                f" add-trainees {name}",
            ) from None
        return create_user(settings, name)
    members = set(grp.getgrnam(settings.group).gr_mem) if _group_exists(settings) else set()
    if name not in members or user.pw_uid == 0:
        raise ClassError(
            f"{name!r} is not a trainee of this class (not in the group {settings.group}): only"
            " trainees get a notebook server here.",
            advice="Trainers use the hub's admin page and the board, not a server of their own.",
        )
    return user


def _group_exists(settings: ClassSettings) -> bool:
    try:
        grp.getgrnam(settings.group)
    except KeyError:
        return False
    return True


def as_user(user: pwd.struct_passwd) -> Callable[[], None]:
    """A preexec function: become ``user`` (groups first, then gid, then uid) before exec."""
    groups = os.getgrouplist(user.pw_name, user.pw_gid)

    def demote() -> None:
        os.setgroups(groups)
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
        os.umask(0o077)

    return demote


def run_as_trainee(
    settings: ClassSettings, user: pwd.struct_passwd, action: str, handover: Any = None
) -> dict[str, Any]:
    """Run ``python -m onboarding_helpers.training.hub home ACTION`` as the trainee; returns its
    JSON answer. ``handover`` goes in on standard input."""
    home = Path(user.pw_dir)
    done = subprocess.run(
        [str(settings.python), "-m", "onboarding_helpers.training.hub", "home", action],
        input=json.dumps(handover or {}),
        capture_output=True,
        text=True,
        cwd=str(home),
        env=settings.trainee_environment(home, user.pw_name),
        preexec_fn=as_user(user),  # the helper runs as the trainee, never as root
        timeout=HELPER_TIMEOUT,
    )
    if done.returncode != 0:
        said = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""])[-1]
        raise ClassError(f"Preparing {user.pw_name}'s runbook failed: {said}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# ---------------------------------------------------------------- practice accounts


def trainer_token(settings: ClassSettings) -> str:
    from ...sandbox.admin import read_token_file

    token = read_token_file(settings.sandbox_dir)
    if not token:
        raise ClassError(
            f"The class's sandbox has no trainer token yet in {settings.sandbox_dir}.",
            advice="Start the class first (make hub): its sandbox makes the token.",
        )
    return token


def wait_for_sandbox(settings: ClassSettings, timeout: float = 20.0) -> str:
    """Wait until the class's sandbox answers and has proved it holds the trainer token (the
    token itself is not sent); returns the token. Whatever else answers on the sandbox's port
    is refused, naming who holds the port."""
    from ...sandbox import SandboxError, health, verify_sandbox
    from ...sandbox.admin import read_token_file

    deadline = time.monotonic() + timeout
    while True:
        try:
            health(settings.sandbox_url)
            break
        except SandboxError:
            if time.monotonic() > deadline:
                raise ClassError(
                    f"The class's sandbox does not answer at {settings.sandbox_url}.",
                    advice="See the hub's log: it starts the sandbox as its service 'sandbox'.",
                ) from None
            time.sleep(0.2)
    # The sandbox makes its token before it listens: an answer without one is not the sandbox.
    token = read_token_file(settings.sandbox_dir)
    try:
        if token and verify_sandbox(settings.sandbox_url, token=token):
            return token
    except SandboxError:
        pass
    raise _not_the_sandbox(settings)


def _not_the_sandbox(settings: ClassSettings) -> ClassError:
    from .ports import listeners

    port = settings.sandbox_port
    who = " and ".join(held.describe() for held in listeners(port)) or "a program not found"
    return ClassError(
        f"Port {port}, where the class's sandbox should answer, is held by {who}, which did not"
        " prove it is the class's sandbox: the hub sent it no trainer token and made no practice"
        " account.",
        advice="Stop that program, then restart the hub (sudo make hub), or start the class on"
        " another port (--sandbox-port). Only the class's sandbox may hold that port.",
    )


def new_account_handover(settings: ClassSettings, trainee: str) -> dict[str, Any]:
    """A fresh practice account named after the trainee (the board shows the name)."""
    from ...credentials import ACCOUNT_SID, AUTH_TOKEN
    from ...sandbox import provision_account

    token = trainer_token(settings)
    account = provision_account(settings.sandbox_url, friendly_name=trainee, token=token)
    event = SandboxAccountProvisioned(account_sid=account["account_sid"])
    return {
        "values": {ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]},
        "events": [{**event.to_json(), "step": START.id}],
        "start": None,
        "scenario": "",
    }


def prepare_trainee(settings: ClassSettings, name: str) -> Path:
    """Before a trainee's server starts: their user, their home (notebooks copied in at first
    login), and a practice account the sandbox knows. Returns their home."""
    from ...sandbox import account_exists

    user = trainee_user(settings, name)
    token = wait_for_sandbox(settings)
    saved = run_as_trainee(settings, user, "prepare").get("account_sid", "")
    if not saved or not account_exists(settings.sandbox_url, saved, token=token):
        run_as_trainee(settings, user, "adopt", new_account_handover(settings, name))
    return Path(user.pw_dir)


def add_trainees(settings: ClassSettings, names: list[str]) -> list[tuple[str, str]]:
    """The trainer's command: a system user per trainee, each with a new password to hand out
    (printed once by the command line, kept nowhere). Existing trainees get a new password."""
    made = []
    for name in names:
        check_name(name)
        try:
            pwd.getpwnam(name)
            trainee_user(settings, name)  # refused unless already a trainee
        except KeyError:
            create_user(settings, name)
        password = "-".join(secrets.token_hex(2) for _ in range(3))
        subprocess.run(
            ["chpasswd"], input=f"{name}:{password}\n", text=True, check=True, capture_output=True
        )
        made.append((name, password))
    return made


def notebooks_source() -> Path:
    return project_root() / "notebooks"
