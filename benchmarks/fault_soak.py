"""Fault soak (issue 6): nothing lost, duplicated or leaked on a flaky network. Run by hand.

    .venv/bin/python benchmarks/fault_soak.py [--runs 20] [--rate 0.3] [--parallel 2] [--json F]
    .venv/bin/python benchmarks/fault_soak.py --smoke     # 2 runs, one at a time: ~20 s

Each workspace's env file is a practice one, made as the runbook makes it: the credential
store in sandbox mode writes the account and its marker line.

Each run is the full headless sandbox flow (``python -m onboarding_helpers run --sandbox``,
04a included: a number is bought, two test SMS are sent) on a fresh workspace, with the
sandbox's chaos profile switched on through ``ONBOARDING_SANDBOX_CHAOS``: a share ``--rate`` of
all Twilio requests is answered 429 (with Retry-After), 500 or 503, answered after the client's
timeout, dropped without an answer, or carried out and then dropped (a create whose answer is
lost). The client timeout is shortened (``ONBOARDING_TWILIO_TIMEOUT``) so slow answers cost
seconds, not minutes. A run that fails is run again on the same workspace with chaos off (the
"clean re-run"), as an officer would after reading the advice.

Then, with chaos off, every account is audited from the sandbox's side and the run's files:

- resources duplicated: API keys other than the one in use that the runbook did not report as
  orphans, Messaging Services sharing a name, alpha senders beyond one per service, numbers
  bought beyond one, and test SMS beyond one per send the runbook meant to make;
- secrets lost: the run finished but the env file holds no API key pair that Twilio accepts;
- secrets leaked: the Auth Token or API secret anywhere in the executed notebooks, the state
  folder (progress, journal, report), or the runner's captured stdout/stderr; and the env file
  not at mode 0600.

It prints one line per run, the totals, the actual fault rate measured by the sandbox (its
``chaos_events`` table), for each failed run the step, the advice, and the clean re-run, and a
verdict. It exits 1 when a run made no Twilio request, when fewer runs completed than started
(under chaos or after the clean re-run), when anything was duplicated, lost or leaked, or when
fewer requests were faulted than ``--min-faulted`` (default: half of ``--rate``; chaos that never
fires proves nothing). ``--smoke`` is the short form the tests run: two runs, one at a time, and
chaos must fault at least one request (two runs are too few requests for a share to be sure).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboarding_helpers.credentials import (  # noqa: E402
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.journal import (  # noqa: E402
    KeyCreateAnswerLost,
    MessageNotSent,
    MessageSending,
)
from onboarding_helpers.progress import ProgressRecord  # noqa: E402
from onboarding_helpers.sandbox import (  # noqa: E402
    SandboxServer,
    provision_account,
    request_log,
    set_account,
    snapshot,
)
from onboarding_helpers.sandbox.faults import ENV_VAR, KINDS, chaos_stats  # noqa: E402
from onboarding_helpers.steps.registry import API_KEY  # noqa: E402
from onboarding_helpers.twilio_gateway import make_client  # noqa: E402
from tests.secret_audit import leaks  # noqa: E402

PARAMETERS = [
    ("-p", "sender_id", "GOVTECH"),
    ("-r", "test_phone", "+6581234567"),
    ("-p", "buy_phone_number", "True"),
    ("-p", "confirm_purchase", "True"),
]


@dataclass
class Outcome:
    index: int
    seed: int
    first_rc: int = -1
    rerun_rc: int | None = None
    failed_step: str = ""
    failure: str = ""
    seconds: float = 0.0
    requests: int = 0  # Twilio-API requests the sandbox logged for the run's account
    error: str = ""  # the benchmark's own failure (preparing or auditing), not the run's
    chaos: dict[str, Any] = field(default_factory=lambda: {"seen": 0, "faulted": 0, "injected": {}})
    duplicates: Counter[str] = field(default_factory=Counter)
    orphans_reported: int = 0
    secret_lost: bool = False
    leaked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.first_rc == 0 or self.rerun_rc == 0


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}


def prepare(ws: Path, step_seconds: float) -> None:
    """A sandbox account with quick messages, saved in the env file as step 00 would."""
    (ws / "creds").mkdir(parents=True)
    (ws / "sandbox").mkdir(mode=0o700)
    with SandboxServer(ws / "sandbox" / "sandbox.sqlite3") as server:
        account = provision_account(server.url)
        set_account(server.url, account["account_sid"], message_step_seconds=step_seconds)
    CredentialStore(ws / "creds" / ".env", mode="sandbox").save(
        {ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]}
    )


def run_cli(ws: Path, env: dict[str, str], extra: list[str], timeout: float) -> Any:
    cmd = [
        sys.executable, "-m", "onboarding_helpers", "run", "--sandbox",
        "--out", str(ws / "out"), "--env-file", str(ws / "creds" / ".env"),
        "--state-dir", str(ws / "state"), "--sandbox-dir", str(ws / "sandbox"), *extra,
    ]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


_STOPPED = re.compile(r"Stopped at step (\S+): (.*)")


def audit(ws: Path, outcome: Outcome, texts: list[str]) -> None:
    """Count duplicates, lost and leaked secrets for one workspace, chaos off."""
    db = ws / "sandbox" / "sandbox.sqlite3"
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    outcome.chaos = chaos_stats(conn)
    # Creates whose outcome the client could not know, and those Twilio had carried out.
    rows = (
        conn.execute(
            "SELECT kind, COUNT(*) FROM chaos_events WHERE method = 'POST' AND kind IN"
            " ('500', 'slow', 'drop', 'lost') GROUP BY kind"
        ).fetchall()
        if outcome.chaos["seen"]
        else []
    )
    unknown = {kind: n for kind, n in rows}
    outcome.chaos["unknown_creates"] = sum(unknown.values())
    outcome.chaos["committed_unanswered"] = unknown.get("slow", 0) + unknown.get("lost", 0)
    conn.close()
    store = CredentialStore(ws / "creds" / ".env", mode="sandbox")
    values = store.values()
    progress = ProgressRecord(ws / "state")
    with SandboxServer(db) as server:  # no ONBOARDING_SANDBOX_CHAOS here: chaos is off
        outcome.requests = len(request_log(server.url, values[ACCOUNT_SID]))
        snap = snapshot(server.url, values[ACCOUNT_SID])
        pair_works = False
        if values.get(API_KEY_SID) and values.get(API_KEY_SECRET):
            client = make_client(
                values[ACCOUNT_SID], api_key_sid=values[API_KEY_SID],
                api_secret=values[API_KEY_SECRET], base_url=server.url,
            )  # fmt: skip
            try:
                client.incoming_phone_numbers.list(limit=1)
                pair_works = True
            except Exception:
                pair_works = False

    # Keys: one in use; the rest must be orphans the runbook reported (and offered to revoke).
    in_use = values.get(API_KEY_SID)
    reported = {e.key_sid for e in progress.events(KeyCreateAnswerLost)} | set(
        progress.read(API_KEY).orphans
    )
    extra_keys = [k["sid"] for k in snap["keys"] if k["sid"] != in_use]
    outcome.orphans_reported = len([k for k in extra_keys if k in reported])
    outcome.duplicates["API keys"] = len([k for k in extra_keys if k not in reported])
    names = Counter(s["friendly_name"] for s in snap["services"])
    outcome.duplicates["Messaging Services"] = sum(n - 1 for n in names.values())
    outcome.duplicates["alpha senders"] = sum(
        max(0, len(s["alpha_senders"]) - 1) for s in snap["services"]
    )
    outcome.duplicates["phone numbers"] = max(0, len(snap["incoming_phone_numbers"]) - 1)
    # One SMS per send the runbook meant: an intent journalled, minus intents proved not sent.
    intended = len(progress.events(MessageSending)) - sum(
        1 for e in progress.events(MessageNotSent) if not e.message_sid
    )
    outcome.duplicates["test SMS"] = max(0, len(snap["messages"]) - intended)
    if outcome.completed:
        outcome.secret_lost = not pair_works
    secrets = [values.get(AUTH_TOKEN, ""), values.get(API_KEY_SECRET, "")]
    outcome.leaked = [
        str(Path(p).relative_to(ws)) if p.startswith(str(ws)) else p
        for p in leaks(secrets, [ws / "out", ws / "state"], texts)
    ]
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    if mode != 0o600:
        outcome.leaked.append(f"env file mode {oct(mode)}")


def one_run(index: int, args: argparse.Namespace, base: Path) -> Outcome:
    """One workspace: prepared, run under chaos (and re-run clean if it stopped), audited."""
    outcome = Outcome(index, args.seed + index)
    ws = base / f"run-{index:02d}"
    try:
        soak_workspace(ws, outcome, args)
    except Exception as exc:  # the benchmark's own failure: reported, counted as not completed
        outcome.error = f"{type(exc).__name__}: {exc}"
    if not args.keep:
        shutil.rmtree(ws, ignore_errors=True)
    return outcome


def soak_workspace(ws: Path, outcome: Outcome, args: argparse.Namespace) -> None:
    seed = outcome.seed
    prepare(ws, args.message_step)
    extra = [x for triple in PARAMETERS for x in triple] + ["-p", "wait_seconds", str(args.wait)]
    chaos = (
        f"rate={args.rate};kinds={','.join(args.kinds)};seed={seed};"
        f"slow_seconds={args.slow_seconds};retry_after={args.retry_after}"
    )
    env = {**clean_env(), ENV_VAR: chaos, "ONBOARDING_TWILIO_TIMEOUT": str(args.timeout)}
    started = time.monotonic()
    first = run_cli(ws, env, extra, args.run_timeout)
    outcome.first_rc = first.returncode
    texts = [first.stdout, first.stderr]
    if first.returncode != 0:
        found = _STOPPED.search(first.stderr)
        outcome.failed_step = found.group(1) if found else "?"
        outcome.failure = (found.group(2) if found else first.stderr.strip()[-400:]).strip()
        rerun = run_cli(ws, clean_env(), extra, args.run_timeout)
        outcome.rerun_rc = rerun.returncode
        texts += [rerun.stdout, rerun.stderr]
    outcome.seconds = time.monotonic() - started
    audit(ws, outcome, texts)


def describe_kinds(injected: dict[str, int]) -> str:
    return " ".join(f"{k}x{injected[k]}" for k in KINDS if injected.get(k)) or "-"


def totals(outcomes: list[Outcome], wall: float) -> dict[str, Any]:
    """The soak's figures, summed over its runs."""
    kinds: Counter[str] = Counter()
    duplicates: Counter[str] = Counter()
    for o in outcomes:
        kinds.update(o.chaos["injected"])
        duplicates.update(o.duplicates)
    seen = sum(o.chaos["seen"] for o in outcomes)
    faulted = sum(o.chaos["faulted"] for o in outcomes)
    return {
        "runs": len(outcomes),
        "completed": sum(o.completed for o in outcomes),
        "completed_under_chaos": sum(o.first_rc == 0 for o in outcomes),
        "twilio_requests": sum(o.requests for o in outcomes),
        "requests_under_chaos": seen,
        "faulted": faulted,
        "faulted_share": faulted / seen if seen else 0.0,
        "fault_kinds": dict(kinds),
        "unknown_creates": sum(o.chaos.get("unknown_creates", 0) for o in outcomes),
        "committed_unanswered": sum(o.chaos.get("committed_unanswered", 0) for o in outcomes),
        "duplicated": sum(duplicates.values()),
        "duplicated_by_kind": dict(duplicates),
        "lost": sum(o.secret_lost for o in outcomes),
        "leaked": sum(bool(o.leaked) for o in outcomes),
        "orphans_reported": sum(o.orphans_reported for o in outcomes),
        "wall_seconds": round(wall, 1),
    }


def verdict(outcomes: list[Outcome], total: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """What makes this soak a failure; empty when it proves what it claims."""
    problems = [
        f"run {o.index}: the benchmark itself failed: {o.error}" for o in outcomes if o.error
    ]
    silent = [str(o.index) for o in outcomes if o.requests == 0]
    if silent:
        runs = f"run{'s' if len(silent) > 1 else ''} {', '.join(silent)}"
        problems.append(f"{runs} made no Twilio request: nothing was tested")
    if total["completed"] < total["runs"]:
        problems.append(f"only {total['completed']} of {total['runs']} runs completed")
    for name in ("duplicated", "lost", "leaked"):
        if total[name]:
            problems.append(f"{total[name]} {name}")
    if args.rate > 0 and total["faulted"] == 0:
        problems.append(f"chaos faulted no request (--rate {args.rate}): nothing was soaked")
    elif total["faulted_share"] < args.min_faulted:
        problems.append(
            f"{total['faulted_share']:.1%} of requests faulted, under --min-faulted"
            f" {args.min_faulted:.1%}: too little chaos to prove anything"
        )
    return problems


def print_runs(outcomes: list[Outcome]) -> None:
    print(f"\n{'run':>3} {'seed':>5} {'result':<22} {'faulted':>9}  {'kinds':<40} dup lost leak")
    for o in outcomes:
        if o.error:
            result = "BENCHMARK ERROR"
        elif o.first_rc == 0:
            result = "completed"
        elif o.rerun_rc == 0:
            result = f"re-run ok ({o.failed_step[:3]})"
        else:
            result = f"FAILED ({o.failed_step[:3]})"
        faulted = f"{o.chaos['faulted']}/{o.chaos['seen']}"
        print(
            f"{o.index:>3} {o.seed:>5} {result:<22} {faulted:>9}  "
            f"{describe_kinds(o.chaos['injected']):<40} {sum(o.duplicates.values()):>3} "
            f"{int(o.secret_lost):>4} {len(o.leaked):>4}"
        )


def print_totals(total: dict[str, Any], args: argparse.Namespace) -> None:
    n, completed, first_try = total["runs"], total["completed"], total["completed_under_chaos"]
    print("\nFault soak totals")
    print(f"  runs                      {n} (full flow incl. 04a; {args.parallel} at a time)")
    print(f"  Twilio requests           {total['twilio_requests']} (sandbox request log)")
    print(
        f"  Twilio requests faulted   {total['faulted']} of {total['requests_under_chaos']}"
        f" under chaos ({100 * total['faulted_share']:.1f}%):"
        f" {describe_kinds(total['fault_kinds'])}"
    )
    print(
        f"  creates, outcome unknown  {total['unknown_creates']} POSTs answered 500, dropped,"
        f" timed out or lost; {total['committed_unanswered']} of them carried out by Twilio all"
        " the same (slow, lost)"
    )
    print(
        f"  runs completed            {completed}/{n} ({first_try} under chaos,"
        f" {completed - first_try} after a clean re-run)"
    )
    detail = ", ".join(f"{k} {v}" for k, v in total["duplicated_by_kind"].items())
    print(f"  resources duplicated      {total['duplicated']} ({detail or 'nothing audited'})")
    print(f"  secrets lost              {total['lost']}")
    print(f"  secrets leaked            {total['leaked']}")
    print(
        f"  orphan keys reported      {total['orphans_reported']} (made by a create whose answer"
        " was lost; their secret never arrived; reported and offered for revoking, not counted"
        " as duplicates)"
    )
    print(f"  wall time                 {total['wall_seconds']:.0f} s")


def print_failures(outcomes: list[Outcome]) -> None:
    failures = [o for o in outcomes if o.first_rc != 0 and not o.error]
    if failures:
        print("\nRuns that stopped under chaos (step, error and advice as printed, clean re-run):")
        for o in failures:
            rerun = "completed" if o.rerun_rc == 0 else f"FAILED (exit {o.rerun_rc})"
            print(f"  run {o.index}: {o.failed_step}: {o.failure}\n    clean re-run: {rerun}")
    for o in outcomes:
        for where in o.leaked:
            print(f"  LEAK run {o.index}: {where}")


def run_record(o: Outcome) -> dict[str, Any]:
    """One run for the JSON output (no secrets: the audit keeps none)."""
    return {
        "index": o.index, "seed": o.seed, "completed": o.completed, "first_rc": o.first_rc,
        "rerun_rc": o.rerun_rc, "failed_step": o.failed_step, "seconds": round(o.seconds, 1),
        "twilio_requests": o.requests, "chaos": o.chaos, "duplicates": dict(o.duplicates),
        "secret_lost": o.secret_lost, "leaked": o.leaked, "error": o.error,
    }  # fmt: skip


def report(outcomes: list[Outcome], args: argparse.Namespace, wall: float) -> int:
    """Print the runs, the totals and the verdict (and the JSON file); the exit code."""
    print_runs(outcomes)
    total = totals(outcomes, wall)
    print_totals(total, args)
    print_failures(outcomes)
    problems = verdict(outcomes, total, args)
    command = " ".join([Path(sys.executable).name, *sys.argv])
    print("\ncommand: " + command)
    print("verdict: " + ("FAILED: " + "; ".join(problems) if problems else "passed"))
    if args.json:
        result = {"command": command, "settings": settings(args), "totals": total,
                  "runs": [run_record(o) for o in outcomes], "problems": problems}  # fmt: skip
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if problems else 0


def settings(args: argparse.Namespace) -> dict[str, Any]:
    names = ("runs", "rate", "kinds", "seed", "parallel", "timeout", "slow_seconds", "min_faulted")
    return {name: getattr(args, name) for name in names}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="full runs (default 20)")
    parser.add_argument("--rate", type=float, default=0.3, help="share of requests faulted")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated fault kinds")
    parser.add_argument("--seed", type=int, default=1000, help="run i uses seed + i")
    parser.add_argument("--parallel", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--timeout", type=float, default=1.5, help="client timeout, seconds")
    parser.add_argument("--slow-seconds", type=float, default=2.5, help="delay of 'slow' answers")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After of 429/503")
    parser.add_argument("--message-step", type=float, default=0.05, help="SMS status step, s")
    parser.add_argument("--wait", type=float, default=30, help="wait_seconds of steps 05/06")
    parser.add_argument("--run-timeout", type=float, default=600, help="per runner call, s")
    parser.add_argument(
        "--min-faulted", type=float, default=None,
        help="fail when a smaller share of requests was faulted (default: half of --rate)",
    )  # fmt: skip
    parser.add_argument(
        "--smoke", action="store_true",
        help="the short form: 2 runs, one at a time (overrides --runs and --parallel); chaos"
        " must fault at least one request",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the workspaces")
    args = parser.parse_args(argv)
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if args.smoke:
        args.runs, args.parallel = 2, 1
        args.min_faulted = 0.0 if args.min_faulted is None else args.min_faulted
    if args.min_faulted is None:
        args.min_faulted = args.rate / 2
    if args.runs < 1 or args.parallel < 1:
        parser.error("--runs and --parallel must be at least 1")
    if args.slow_seconds <= args.timeout and "slow" in args.kinds:
        parser.error("--slow-seconds must exceed --timeout, or 'slow' answers are not slow")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    base = Path(tempfile.mkdtemp(prefix="fault-soak-"))
    print(
        f"Fault soak: {args.runs} runs, {ENV_VAR}='rate={args.rate};kinds={','.join(args.kinds)};"
        f"seed={args.seed}+i;slow_seconds={args.slow_seconds};retry_after={args.retry_after}',"
        f" ONBOARDING_TWILIO_TIMEOUT={args.timeout}; workspaces in {base}"
    )
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        futures = [pool.submit(one_run, i, args, base) for i in range(1, args.runs + 1)]
        outcomes = []
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            if outcome.error:
                state = f"benchmark error: {outcome.error}"
            else:
                state = "ok" if outcome.first_rc == 0 else f"stopped at {outcome.failed_step}"
            print(f"  run {outcome.index:>2}: {state} ({outcome.seconds:.0f} s)", flush=True)
    code = report(outcomes, args, time.monotonic() - started)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
