"""Command line: ``python -m onboarding_helpers run|status|scenarios``."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m onboarding_helpers",
        description="Postman SMS onboarding runbook: run the notebooks headless, or show progress.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute the runbook's notebooks in order with papermill")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="the built-in fake Twilio (default)")
    where.add_argument("--live", action="store_true", help="your real Twilio account (billable)")
    run.add_argument("--out", metavar="DIR", help="where executed notebooks go (runs/<UTC time>)")
    run.add_argument("--env-file", metavar="PATH", help="credential store (default .env)")
    run.add_argument("--state-dir", metavar="DIR", help="progress record (default .runbook)")
    run.add_argument("--sandbox-dir", metavar="DIR", help="sandbox's own data (default .sandbox)")
    run.add_argument(
        "--only", metavar="STEP", action="append", help="run only this step (repeatable), e.g. 01"
    )
    run.add_argument(
        "-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="notebook parameter, converted like papermill's -p (never a secret)",
    )  # fmt: skip
    run.add_argument(
        "--scenario", metavar="NAME",
        help="sandbox training scenario on a new practice account (list: 'scenarios')",
    )  # fmt: skip
    run.add_argument(
        "-r", "--raw-parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="notebook parameter passed as text",
    )  # fmt: skip

    status = sub.add_parser("status", help="print the progress board")
    status.add_argument("--state-dir", metavar="DIR")
    sub.add_parser("scenarios", help="list the sandbox training scenarios (docs/TRAINERS.md)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from .runner import main_run

        return main_run(args)
    if args.command == "status":
        from .progress import ProgressRecord, format_board
        from .runbook import resolve_settings

        settings = resolve_settings(state_dir=args.state_dir or "")
        print(format_board(ProgressRecord(settings.state_dir).board()))
        return 0
    if args.command == "scenarios":
        from .training.scenarios import scenario_table

        print(scenario_table())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
