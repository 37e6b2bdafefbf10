"""Command line: ``python -m onboarding_helpers.sandbox serve|provision|token|stop --dir DIR``."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType


def _serve(directory: str, port: int) -> int:
    import os

    from . import process
    from ._http import TokenFileError
    from .server import SandboxServer

    path = process.make_dir(directory)
    running = process.live_url(path)
    if running:
        print(f"A sandbox already serves {path}: {running}", file=sys.stderr)
        return 1
    try:
        server = SandboxServer(path / process.DB_NAME, port=port).bind()
    except TokenFileError as err:
        print(err, file=sys.stderr)
        return 1

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C, or a SIGINT from whoever started us (JupyterHub stops services so), stops the
    # server, even when started in the background, which leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:  # from here on, an interrupt (even one while we print) stops us cleanly
        process.write_info(path, server.url, os.getpid())
        print(f"Twilio sandbox listening on {server.url} (database {server.db_path})")
        # Where the token is, never the token: this output goes to server.log.
        print(
            f"Trainer token (admin API, console trainer mode) in {server.token_path};"
            f" print it with: python -m onboarding_helpers.sandbox token --dir {path}",
            flush=True,
        )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        process.remove_info(path, os.getpid())
        server.stop()
    return 0


def _provision(directory: str, account_type: str, friendly_name: str) -> int:
    from . import admin, process

    url = process.ensure_running(directory)
    account = admin.provision_account(url, friendly_name=friendly_name, type=account_type)
    print(f"Sandbox URL:  {url}")
    print(f"Account SID:  {account['account_sid']}")
    print(f"Auth Token:   {account['auth_token']}")
    return 0


def _token(directory: str) -> int:
    from . import process
    from ._http import TOKEN_NAME, TokenFileError, ensure_token_file

    path = process.make_dir(directory)
    try:
        # Made here if the sandbox never ran: the server then uses this very token.
        print(ensure_token_file(path / TOKEN_NAME))
    except TokenFileError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


def _stop(directory: str) -> int:
    from . import process

    stopped = process.stop_running(directory)
    print("Sandbox stopped." if stopped else "No sandbox was running.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m onboarding_helpers.sandbox", description="Fake Twilio for training."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox in the foreground")
    serve.add_argument("--dir", required=True, help="folder holding sandbox.sqlite3")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    provision = sub.add_parser("provision", help="create a fake account; prints SID and token")
    provision.add_argument("--dir", required=True)
    provision.add_argument("--type", choices=("Full", "Trial"), default="Full")
    provision.add_argument("--friendly-name", default="Sandbox agency")
    token = sub.add_parser("token", help="print the trainer token (admin API, console unlock)")
    token.add_argument("--dir", required=True)
    stop = sub.add_parser("stop", help="stop the background sandbox of --dir")
    stop.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.dir, args.port)
    if args.command == "provision":
        return _provision(args.dir, args.type, args.friendly_name)
    if args.command == "token":
        return _token(args.dir)
    return _stop(args.dir)


if __name__ == "__main__":
    sys.exit(main())
