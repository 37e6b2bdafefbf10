"""``python -m onboarding_helpers run``: its arguments, and its exit codes.

0 every step done (``--plan``: the plan written); 1 a step failed (named, with the executed
notebook's path); 2 an input refused, the lock held by someone else, or (``--apply``) a plan that
no longer holds (nothing was changed); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import RunbookError
from .parameters import parse_parameter
from .run import Interrupted, RunReport, run

OK, STEP_FAILED, REFUSED, INTERRUPTED = 0, 1, 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``run`` command's options."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="the built-in fake Twilio (default)")
    where.add_argument("--live", action="store_true", help="your real Twilio account (billable)")
    parser.add_argument(
        "--out", metavar="DIR", help="where executed notebooks go (runs/<UTC time>)"
    )
    parser.add_argument("--env-file", metavar="PATH", help="credential store (default .env)")
    parser.add_argument("--state-dir", metavar="DIR", help="progress record (default .runbook)")
    parser.add_argument(
        "--sandbox-dir", metavar="DIR", help="sandbox's own data (default .sandbox)"
    )
    parser.add_argument(
        "--only", metavar="STEP", action="append", help="run only this step (repeatable), e.g. 01"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="notebook parameter, converted like papermill's -p (never a secret)",
    )
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        help="sandbox training scenario on a new practice account (list: 'scenarios')",
    )
    change = parser.add_mutually_exclusive_group()
    change.add_argument(
        "--plan",
        action="store_true",
        help="read the account (GET only), change nothing, and write what the run would do to"
        " <state dir>/plan-<UTC>.md and .json",
    )
    change.add_argument(
        "--apply",
        metavar="PLAN.json",
        help="run exactly what this approved plan says, with its parameters; refused if the"
        " account changed since it was made",
    )
    parser.add_argument(
        "-r",
        "--raw-parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="notebook parameter passed as text",
    )


def parameters_from(args: Any) -> dict[str, Any]:
    """-p values converted like papermill's, -r values as text; a later one wins."""
    parameters: dict[str, Any] = {}
    for name, raw in args.parameter or []:
        parameters[name] = parse_parameter(raw)
    for name, raw in args.raw_parameter or []:
        parameters[name] = raw
    return parameters


def _plan_only(args: Any) -> None:
    """``--plan``: what the run would do, written down; no notebook runs."""
    from .change import make_plan_files

    if getattr(args, "scenario", None):
        args.parameter = [*(args.parameter or []), ("scenario", args.scenario)]  # refused there
    make_plan_files(
        mode="live" if args.live else "sandbox",
        env_file=args.env_file,
        state_dir=args.state_dir,
        sandbox_dir=args.sandbox_dir,
        only=args.only or (),
        parameters=parameters_from(args),
    )


def _run(args: Any) -> RunReport:
    if getattr(args, "apply", None):
        from .change import apply_plan

        given = {
            "-p": args.parameter,
            "-r": args.raw_parameter,
            "--only": args.only,
            "--scenario": getattr(args, "scenario", None),
        }
        return apply_plan(
            args.apply,
            mode="live" if args.live else "sandbox" if args.sandbox else "",
            out_dir=args.out,
            env_file=args.env_file,
            state_dir=args.state_dir,
            sandbox_dir=args.sandbox_dir,
            refused=[option for option, value in given.items() if value],
        )
    return run(
        mode="live" if args.live else "sandbox",
        out_dir=args.out,
        env_file=args.env_file,
        state_dir=args.state_dir,
        sandbox_dir=args.sandbox_dir,
        only=args.only or (),
        parameters=parameters_from(args),
        scenario=getattr(args, "scenario", None) or "",
    )


def main_run(args: Any) -> int:
    """Run (or plan, or apply a plan), print the outcome, and return the exit code."""
    try:
        if getattr(args, "plan", False):
            _plan_only(args)
            return OK
        report = _run(args)
    except Interrupted as err:
        print(f"\n{err}", file=sys.stderr)
        return INTERRUPTED
    except KeyboardInterrupt:  # before anything ran
        print("\nStopped by Ctrl-C before any step ran; nothing was changed.", file=sys.stderr)
        return INTERRUPTED
    except RunbookError as err:  # a refused input, the lock held ...: the message is safe
        print(f"error: {err}", file=sys.stderr)
        return REFUSED
    failed = report.failed
    if failed:
        print(
            f"\nStopped at step {failed.step}: {failed.error}\n"
            f"The executed notebook, with the advice, is {failed.output}",
            file=sys.stderr,
        )
        return STEP_FAILED
    print(f"\nAll {len(report.outcomes)} steps done. Executed notebooks: {report.out_dir}")
    return OK
