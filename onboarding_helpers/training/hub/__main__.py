"""``python -m onboarding_helpers.training.hub``: the trainer's commands for a class.

- ``serve``: start the class's JupyterHub (and, as its service, the class's sandbox); ``make hub``.
- ``add-trainees NAME ...``: a system user per trainee, with a password printed once to hand out.
- ``scenario TRAINEE SCENARIO``: start a training scenario on a new practice account for one
  trainee; ``make hub-scenario``.
- ``board``: the trainer's board in the terminal (the sandbox console shows it in a browser).
- ``home prepare|adopt``: run by the hub as a trainee (not for people).

Run them as root: the hub starts servers as the trainees' own users and alone reads the trainer
token. Every option has an ``ONBOARDING_HUB_*`` variable (``settings.py``); ``serve`` exports them
to JupyterHub.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from ...errors import RunbookError
from .settings import PREFIX, ClassSettings, project_root, unreadable_for_trainees

_OPTIONS = (  # (option, variable, help)
    ("--dir", "DIR", "class folder: hub database and secrets, the sandbox (default .hub)"),
    ("--ip", "IP", "address trainees reach the hub on (default 127.0.0.1; 0.0.0.0 for a room)"),
    ("--port", "PORT", "the hub's port (default 8000)"),
    ("--sandbox-port", "SANDBOX_PORT", "the class sandbox's port on 127.0.0.1 (default 8765)"),
    ("--api-port", "API_PORT", "the hub's own API port on 127.0.0.1 (default 8081)"),
    ("--proxy-api-port", "PROXY_API_PORT", "its proxy's API port on 127.0.0.1 (default 8001)"),
    ("--trainers", "TRAINERS", "hub admins: the trainers' user names, comma-separated"),
    ("--name", "NAME", "the class's name, shown to trainees (default postman-class)"),
)


def _settings(args: argparse.Namespace) -> ClassSettings:
    for option, variable, _ in _OPTIONS:
        value = getattr(args, option.lstrip("-").replace("-", "_"), None)
        if value:
            os.environ[PREFIX + variable] = str(value)
    settings = ClassSettings.from_environment()
    # Absolute from here on: JupyterHub, its spawner and services run from the class folder.
    os.environ[PREFIX + "DIR"] = str(settings.class_dir)
    return settings


def _need_root() -> None:
    if os.geteuid() != 0:
        raise RunbookError(
            "The class hub runs each trainee's server as their own system user, which needs root.",
            advice="Run it with sudo (sudo make hub), on the machine that serves the class.",
        )


def _refuse_taken_ports(settings: ClassSettings) -> None:
    """Nobody else may listen on the class's ports first: a trainee's program on the sandbox's
    would be asked for the trainer token, on the hub's it would see logins and API tokens."""
    from .ports import held_by_others

    taken = held_by_others({"the class sandbox's": settings.sandbox_port})
    hub_ports = {
        "the hub's": settings.port,
        "the hub API's": settings.api_port,
        "the hub proxy API's": settings.proxy_api_port,
    }
    # The hub's own user there is an earlier hub's proxy, which JupyterHub stops and replaces.
    taken += held_by_others(hub_ports, trusted_uid=os.geteuid())
    if taken:
        raise RunbookError(
            f"The class cannot start: {'; '.join(taken)}.",
            advice="Stop that program (sudo kill <pid>), then start the class again; or give the"
            " class other ports (--sandbox-port, --port, --api-port, --proxy-api-port).",
        )


def _serve(settings: ClassSettings) -> int:
    from .config import prepare_class_folder, proxy_command

    _need_root()
    _refuse_taken_ports(settings)
    closed = unreadable_for_trainees(project_root() / "onboarding_helpers")
    closed = closed or unreadable_for_trainees(settings.venv_bin / "jupyterhub-singleuser")
    # The virtualenv's Python is often a link (pyenv under /root): trainees run what it names.
    closed = closed or unreadable_for_trainees(settings.python.resolve())
    if closed:
        raise RunbookError(
            f"Trainees run the runbook from {project_root()}, but {closed} is closed to them.",
            advice=f"Open it (chmod o+rx '{closed}'), or clone the runbook to a shared place such"
            " as /opt/postman-runbook and run make PYTHON=/usr/bin/python3 hub there (a Python"
            " every user can run).",
        )
    if proxy_command(settings) is None:
        raise RunbookError(
            "configurable-http-proxy (JupyterHub's proxy, from npm) is not installed.",
            advice="make hub installs it into the class folder with npm; or: npm install -g"
            " configurable-http-proxy",
        )
    folder = prepare_class_folder(settings)
    config = project_root() / "onboarding_helpers" / "training" / "hub" / "jupyterhub_config.py"
    hub = str(settings.venv_bin / "jupyterhub")
    os.chdir(folder)
    print(f"Class hub: http://{settings.ip}:{settings.port}/ (class folder {folder})", flush=True)
    # A hub started in the background (`make hub &`, nohup, a script) inherits SIGINT ignored,
    # and so would all it starts. JupyterHub stops its sandbox service and each trainee's server
    # with SIGINT, then waits 10 s before SIGTERM: Ctrl-C took 20-30 s and could leave the
    # sandbox running. What the hub starts gets SIGINT's default back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execv(hub, [hub, "-f", str(config)])
    return 0  # not reached: execv replaces this process


def _home(action: str) -> int:
    from . import home
    from .trainees import notebooks_source

    os.umask(0o077)
    handover: Any = json.loads(sys.stdin.read() or "{}")
    answer = home.prepare(notebooks_source()) if action == "prepare" else home.adopt(handover)
    print(json.dumps(answer))
    return 0


def _board(settings: ClassSettings) -> int:
    from ...sandbox import _db
    from ...sandbox.board import cohort_progress

    conn = _db.connect(settings.sandbox_dir / "sandbox.sqlite3")
    try:
        rows = cohort_progress(conn)
    finally:
        conn.close()
    for p in rows:
        done = ", ".join(name for name, ok in p.milestones().items() if ok) or "nothing yet"
        error = f"  last error {p.last_error.code}: {p.last_error.message}" if p.last_error else ""
        scenario = f" [{p.scenario}]" if p.scenario else ""
        print(f"{p.trainee}{scenario} {p.account_sid}: {done}{error}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m onboarding_helpers.training.hub")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "serve": sub.add_parser("serve", help="start the class's JupyterHub and sandbox"),
        "add-trainees": sub.add_parser("add-trainees", help="system users with passwords"),
        "scenario": sub.add_parser("scenario", help="start a scenario for one trainee"),
        "board": sub.add_parser("board", help="every practice account's progress"),
    }
    for command in commands.values():
        for option, _, text in _OPTIONS:
            command.add_argument(option, help=text)
    commands["add-trainees"].add_argument("names", nargs="+", metavar="NAME")
    commands["scenario"].add_argument("trainee")
    commands["scenario"].add_argument("scenario_name", metavar="SCENARIO")
    home = sub.add_parser("home", help="run by the hub as a trainee")
    home.add_argument("action", choices=("prepare", "adopt"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "home":
            return _home(args.action)
        settings = _settings(args)
        if args.command == "serve":
            return _serve(settings)
        _need_root()
        if args.command == "board":
            return _board(settings)
        if args.command == "scenario":
            from .scenario import start_for

            started = start_for(settings, args.trainee, args.scenario_name)
            print(f"{started.trainee}: scenario {started.scenario} on {started.account_sid}.")
            print("They run notebook 00 again (no scenario) to read the story.")
            return 0
        from .trainees import add_trainees

        for name, password in add_trainees(settings, args.names):
            print(f"{name}\t{password}")
        print("Hand each trainee their line; the passwords are kept nowhere else.", file=sys.stderr)
        return 0
    except RunbookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
