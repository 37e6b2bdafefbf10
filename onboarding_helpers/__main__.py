"""Command line: ``python -m onboarding_helpers run|status|scenarios``."""

from __future__ import annotations

import argparse
import sys

from .runner import cli as run_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m onboarding_helpers",
        description="Postman SMS onboarding runbook: run the notebooks headless, or show progress.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the runbook's notebooks in order with papermill")
    run_cli.add_arguments(run)
    status = sub.add_parser("status", help="print the progress board")
    status.add_argument("--state-dir", metavar="DIR")
    sub.add_parser("scenarios", help="list the sandbox training scenarios (docs/TRAINERS.md)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run_cli.main_run(args)
    if args.command == "status":
        from .display import board_panel
        from .progress import ProgressRecord
        from .runbook import resolve_settings

        settings = resolve_settings(state_dir=args.state_dir or "")
        # The same board, icons and columns as the notebooks show, in its text form.
        print(board_panel(ProgressRecord(settings.state_dir)))
        return 0
    if args.command == "scenarios":
        from .training.scenarios import scenario_table

        print(scenario_table())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
