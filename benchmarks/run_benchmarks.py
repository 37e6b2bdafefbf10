"""Benchmark of the headless runbook (issue 9). Run by hand; ``make test`` runs its smoke form.

    .venv/bin/python benchmarks/run_benchmarks.py [--runs 5] [--skip-make-test]
        [--install-runs 1] [--skip-install] [-p NAME VALUE] [--json FILE]
    .venv/bin/python benchmarks/run_benchmarks.py --smoke    # every section, short: ~30 s

Prints medians over ``--runs`` runs taken in this one invocation:

1. the full headless sandbox run (``python -m onboarding_helpers run --sandbox`` on a fresh
   workspace, then a re-run on the same workspace) against **the floor**: a fresh Python process
   that imports papermill and executes the same number of trivial two-cell notebooks one after
   another with ``papermill.execute_notebook``, the runner's IPC kernel manager class and the
   options the runner used before issue 9. Floor and run alternate, so both see the same load;
2. the Twilio requests each step makes (from the sandbox's request log) on the fresh run and the
   re-run, against the minimum each step needs, and what the re-run created;
3. ``import onboarding_helpers`` time, and the sandbox's request latency (p50/p95);
4. the ``make test`` wall time, browser tests included when Chromium is installed (once;
   ``--skip-make-test`` skips it), with the load average before and after;
5. the fresh-clone ``make demo`` time next to a plain ``pip install -r requirements.txt`` of the
   same lock into an empty virtualenv (``install_benchmark.measure_install``: ``--install-runs``
   of each, alternating; ``--skip-install`` skips it), with the load average.

``--smoke`` runs every section in its short form: one run, a smaller latency sample, ``make test``
on one quick test file (linting as make test does, installing nothing), and the install
benchmark's smoke form: its figures prove the script works, not that a target is met. It
exits 1 when a run, ``make test`` or an install failed (a missed target is printed, not fatal).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# papermill_floor is beside this script (its folder is on sys.path when it runs).
from papermill_floor import FloorResult, floor_run, make_trivial_notebook  # noqa: E402

from onboarding_helpers.steps.registry import STEPS  # noqa: E402

# The smoke form (--smoke): the latency sample, and the one quick test file make test runs.
SMOKE_REQUESTS = 40
SMOKE_TESTS = "tests/test_validation.py"
STAMPS = (".venv/.installed", ".venv/.installed-dev")  # make's marks of a done install
# What a make and a pytest above this process leave in its environment for their own children.
NESTED = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
# Parameters a full run needs: a Sender ID for step 04, a phone for the test SMS of 05 and 06.
DEFAULT_PARAMETERS = [("-p", "sender_id", "AGENCYSMS"), ("-r", "test_phone", "+6581234567")]
# The fewest Twilio requests each step can make and still do its job, (fresh, re-run, why), is
# the registry's ``step.requests``.
TARGETS = {"ratio": 0.8, "fresh": 12, "rerun": 8, "import": 0.3, "p95_ms": 20.0, "make": 150.0}
# The browser tests drive Debian's Chromium; make test runs them when it is there.
CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))


def clean_env() -> dict[str, str]:
    """The environment without ONBOARDING_* overrides, as the tests run the CLI."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


# ---------------------------------------------------------------- 1. full run and floor


@dataclass
class RunResult:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds the runner printed


def cli_run(workspace: Path, parameters: list[tuple[str, str, str]]) -> RunResult:
    args = [sys.executable, "-m", "onboarding_helpers", "run", "--sandbox"]
    args += ["--out", str(workspace / "out"), "--env-file", str(workspace / "creds" / ".env")]
    args += ["--state-dir", str(workspace / "state"), "--sandbox-dir", str(workspace / "sandbox")]
    for flag, name, value in parameters:
        args += [flag, name, value]
    (workspace / "creds").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=clean_env(), capture_output=True, text=True)
    result = RunResult(time.perf_counter() - started, done.returncode, done.stdout, done.stderr)
    current = None
    for line in done.stdout.splitlines():
        if line.startswith("▶ "):
            current = line[2:].split()[0]
        found = re.search(r"(?:done in|failed after) ([\d.]+) s", line)
        if found and current:
            result.steps[current] = float(found.group(1))
    return result


@dataclass
class Measured:
    """The runs of one invocation: fresh runs, re-runs, floors, and run 1 as the sandbox saw it."""

    fresh: list[RunResult] = field(default_factory=list)
    reruns: list[RunResult] = field(default_factory=list)
    floors: list[FloorResult] = field(default_factory=list)
    all_rows: list[dict] = field(default_factory=list)  # run 1's requests, fresh and re-run
    rerun_rows: list[dict] = field(default_factory=list)
    snap_before: dict = field(default_factory=dict)  # run 1's account before and after re-run
    snap_after: dict = field(default_factory=dict)
    boundary: str = ""  # when run 1's re-run started


def measure_runs(runs: int, parameters: list[tuple[str, str, str]], built: list) -> Measured:
    """``runs`` fresh runs, each followed by a re-run, alternating with the floor."""
    m = Measured()
    scratch = Path(tempfile.mkdtemp(prefix="bench-runbook-"))
    try:
        trivial = make_trivial_notebook(scratch)
        for i in range(runs):
            workspace, floor_dir = scratch / f"ws-{i}", scratch / f"floor-{i}"
            floor_dir.mkdir()
            # Alternate the order so that neither side always runs on a warmer machine.
            if i % 2 == 0:
                m.floors.append(floor_run(trivial, len(built), floor_dir, ROOT, clean_env()))
            fresh = cli_run(workspace, parameters)
            if i % 2 == 1:
                m.floors.append(floor_run(trivial, len(built), floor_dir, ROOT, clean_env()))
            if fresh.returncode != 0:
                raise SystemExit(f"run {i + 1} failed (exit {fresh.returncode}):\n{fresh.stderr}")
            if i == 0:
                _, m.snap_before = sandbox_view(workspace)
                m.boundary = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            rerun = cli_run(workspace, parameters)
            if rerun.returncode != 0:
                raise SystemExit(f"re-run {i + 1} failed:\n{rerun.stderr}")
            m.fresh.append(fresh)
            m.reruns.append(rerun)
            print(
                f"  run {i + 1}: full {fresh.seconds:5.2f} s   re-run {rerun.seconds:5.2f} s"
                f"   floor {m.floors[-1].seconds:5.2f} s",
                flush=True,
            )
        m.all_rows, _ = sandbox_view(scratch / "ws-0")
        m.rerun_rows, m.snap_after = sandbox_view(scratch / "ws-0", since=m.boundary)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return m


def print_full_run(m: Measured, built: list) -> dict:
    """Section 1: the full run and the re-run against the papermill floor."""
    full, rerun = median([r.seconds for r in m.fresh]), median([r.seconds for r in m.reruns])
    floor = median([f.seconds for f in m.floors])
    floor_import = median([f.import_seconds for f in m.floors])
    floor_each = median([median(f.each) for f in m.floors])
    floor_notebooks = median([sum(f.each) for f in m.floors])
    ratio = full / floor
    print("\n1. Full headless run against the papermill floor")
    print(f"   full run, fresh workspace ({len(built)} steps)   {full:6.2f} s")
    print(f"   re-run, same workspace                  {rerun:6.2f} s")
    print(
        f"   floor: {len(built)} trivial notebooks              {floor:6.2f} s"
        f"   (import papermill {floor_import:.2f} s, {floor_each:.2f} s per notebook,"
        f" notebooks alone {floor_notebooks:.2f} s)"
    )
    print(
        f"   ratio full / floor                       {ratio:6.2f}    target <= "
        f"{TARGETS['ratio']}: {mark(ratio <= TARGETS['ratio'])}"
    )
    print(f"   ratio full / floor's notebooks alone     {full / floor_notebooks:6.2f}")
    for label, runs in (("fresh run", m.fresh), ("re-run   ", m.reruns)):
        seconds = {s.id: median([r.steps[s.id] for r in runs if s.id in r.steps]) for s in built}
        each = "  ".join(f"{name[:2]} {sec:.1f}" for name, sec in seconds.items())
        print(f"   per step, {label} (median s, as the runner prints them): {each}")
    return {"full_s": full, "rerun_s": rerun, "floor_s": floor, "ratio": ratio}


# ---------------------------------------------------------------- 2. Twilio requests


def step_of(user_agent: str | None) -> str:
    found = re.search(r"step/(\S+)", user_agent or "")
    return found.group(1) if found else "(no step tag)"


def sandbox_view(workspace: Path, *, since: str | None = None) -> tuple[list[dict], dict]:
    """Request log rows (optionally only those at or after ``since``) and a snapshot."""
    from onboarding_helpers.credentials import ACCOUNT_SID, CredentialStore
    from onboarding_helpers.sandbox import SandboxServer, request_log, snapshot

    account = CredentialStore(workspace / "creds" / ".env").values().get(ACCOUNT_SID)
    if not account:
        return [], {}
    with SandboxServer(workspace / "sandbox" / "sandbox.sqlite3") as server:
        rows = request_log(server.url, account)
        snap = snapshot(server.url, account)
    if since:
        rows = [r for r in rows if r["time"] >= since]
    return rows, snap


def resource_counts(snap: dict) -> dict[str, int]:
    services = snap.get("services", [])
    return {
        "keys": len(snap.get("keys", [])),
        "services": len(services),
        "alpha senders": sum(len(s["alpha_senders"]) for s in services),
        "numbers in services": sum(len(s["phone_numbers"]) for s in services),
        "incoming numbers": len(snap.get("incoming_phone_numbers", [])),
        "messages": len(snap.get("messages", [])),
    }


def count_by_step(rows: list[dict]) -> dict[str, list[str]]:
    by_step: dict[str, list[str]] = {}
    for row in rows:
        by_step.setdefault(step_of(row.get("user_agent")), []).append(
            f"{row['method']} {row['path']} -> {row['status']}"
        )
    return by_step


def print_requests(m: Measured, built: list) -> dict:
    """Section 2: run 1's Twilio requests by step, fresh and re-run, against the minimum."""
    fresh_rows = [r for r in m.all_rows if r["time"] < m.boundary]
    fresh_by, rerun_by = count_by_step(fresh_rows), count_by_step(m.rerun_rows)
    built_ids = {s.id for s in built}
    print("\n2. Twilio requests (sandbox request log, run 1)")
    print(f"   {'step':24} {'fresh':>5} {'min':>4}   {'re-run':>6} {'min':>4}   minimum because")
    total = {"fresh": 0, "rerun": 0, "fresh_min": 0, "rerun_min": 0}
    for step in [s for s in STEPS if not s.optional]:
        fresh_min, rerun_min, why = step.requests
        if step not in built:
            print(f"   {step.id:24} not built yet")
            continue
        n_fresh, n_rerun = len(fresh_by.get(step.id, [])), len(rerun_by.get(step.id, []))
        for key, n in (("fresh", n_fresh), ("rerun", n_rerun)):
            total[key] += n
        total["fresh_min"] += fresh_min
        total["rerun_min"] += rerun_min
        print(f"   {step.id:24} {n_fresh:5} {fresh_min:4}   {n_rerun:6} {rerun_min:4}   {why}")
    for other in sorted((set(fresh_by) | set(rerun_by)) - built_ids):
        n_fresh, n_rerun = len(fresh_by.get(other, [])), len(rerun_by.get(other, []))
        print(f"   {other:24} {n_fresh:5} {'':4}   {n_rerun:6}")
        total["fresh"] += n_fresh
        total["rerun"] += n_rerun
    print(
        f"   {'total':24} {total['fresh']:5} {total['fresh_min']:4}   {total['rerun']:6}"
        f" {total['rerun_min']:4}   targets: fresh <= {TARGETS['fresh']}:"
        f" {mark(total['fresh'] <= TARGETS['fresh'])}, re-run <= {TARGETS['rerun']}:"
        f" {mark(total['rerun'] <= TARGETS['rerun'])}"
    )
    before, after = resource_counts(m.snap_before), resource_counts(m.snap_after)
    created = {k: after[k] - before[k] for k in before if after[k] != before[k]}
    print(
        "   created by the re-run: "
        + (", ".join(f"{k} +{v}" for k, v in created.items()) or "nothing")
        + f"   target nothing: {mark(not created)}"
    )
    for label, by_step in (("fresh ", fresh_by), ("re-run", rerun_by)):
        for step_name, calls in sorted(by_step.items()):
            print(f"     {label} {step_name}: {'; '.join(calls)}")
    return {**total, "created_by_rerun": created}


# ---------------------------------------------------------------- 3. import and latency


def import_seconds() -> float:
    code = (
        "import time; t = time.perf_counter(); import onboarding_helpers; "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True
    )
    return float(done.stdout.strip())


def sandbox_latency(requests: int = 400) -> tuple[list[float], list[float]]:
    """Milliseconds per request to a sandbox in its own process, keep-alive: as the client
    sees them, and as the server logged them (its own handling time)."""
    from onboarding_helpers.sandbox import (
        ensure_running,
        provision_account,
        request_log,
        stop_running,
    )

    folder = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        url = ensure_running(folder)
        account = provision_account(url)
        sid, token = account["account_sid"], account["auth_token"]
        auth = "Basic " + b64encode(f"{sid}:{token}".encode()).decode()
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        base = f"/2010-04-01/Accounts/{sid}"
        calls = [
            ("GET", f"{base}.json", None),
            ("GET", f"{base}/Keys.json", None),
            ("POST", f"{base}/Keys.json", "FriendlyName=bench"),
            ("GET", "/v1/Services", None),
        ]
        millis = []
        for i in range(requests):
            method, path, body = calls[i % len(calls)]
            headers = {"Authorization": auth}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            millis.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                raise SystemExit(f"sandbox answered {response.status} to {method} {path}")
        conn.close()
        served = [float(r["duration_ms"]) for r in request_log(url, sid)]
        return millis, served
    finally:
        stop_running(folder)
        shutil.rmtree(folder, ignore_errors=True)


def print_import_and_latency(m: Measured, args: argparse.Namespace) -> dict:
    """Section 3: the package's import time, and the sandbox's latency."""
    print("\n3. Package import and sandbox latency")
    imp = median([import_seconds() for _ in range(args.runs)])
    print(
        f"   import onboarding_helpers                {imp:6.3f} s   target <= "
        f"{TARGETS['import']} s: {mark(imp <= TARGETS['import'])}"
    )
    latency, served = sandbox_latency(SMOKE_REQUESTS if args.smoke else 400)
    p50, p95 = percentile(latency, 50), percentile(latency, 95)
    print(
        f"   sandbox latency, client side, {len(latency)} requests (GET account, GET keys,"
        f" POST key, GET services):  p50 {p50:.1f} ms  p95 {p95:.1f} ms   target p95 <="
        f" {TARGETS['p95_ms']:.0f} ms: {mark(p95 <= TARGETS['p95_ms'])}"
    )
    print(
        f"   the same requests, server's own handling time:  p50 {percentile(served, 50):.1f}"
        f" ms  p95 {percentile(served, 95):.1f} ms"
    )
    in_run = [float(r["duration_ms"]) for r in m.all_rows if r.get("duration_ms") is not None]
    if in_run:
        print(
            f"   server's handling time during run 1 ({len(in_run)} requests): p50"
            f" {percentile(in_run, 50):.1f} ms  p95 {percentile(in_run, 95):.1f} ms"
        )
    return {"import_s": imp, "latency_requests": len(latency), "p50_ms": p50, "p95_ms": p95}


# ---------------------------------------------------------------- 4. make test


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_test(smoke: bool = False) -> tuple[list[str], float, int, str]:
    """``make test`` as a newcomer types it (browser tests included when Chromium is there):
    the command, its wall time, exit code and pytest's summary line. The smoke form lints as
    make test does, then runs one quick test file, one by one, installing nothing."""
    command = ["make", "test"]
    if smoke:
        command[1:1] = ["-o", STAMPS[0], "-o", STAMPS[1]]
        command += ["PYTEST_WORKERS=0", f"PYTEST_ARGS={SMOKE_TESTS}"]
    elif not os.access(CHROMIUM, os.X_OK):
        command.append("PYTEST_ARGS=-m 'not browser'")
    # Not a make or a pytest this one runs under (make test runs the smoke test): their
    # jobserver and worker settings would confuse the make and pytest started here.
    env = {k: v for k, v in clean_env().items() if k not in NESTED}
    env = {k: v for k, v in env.items() if not k.startswith(("PYTEST_", "RUNBOOK_TEST_"))}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = (done.stdout + done.stderr).strip().splitlines()
    summary = next((ln for ln in reversed(lines) if re.search(r"passed|failed|error", ln)), "")
    return command, time.perf_counter() - started, done.returncode, summary.strip()


def print_make_test(smoke: bool = False) -> dict:
    print(f"   load average before: {load_average()}")
    command, seconds, code, summary = make_test(smoke)
    target = f"target <= {TARGETS['make']:.0f} s: {mark(seconds <= TARGETS['make'] and code == 0)}"
    print(
        f"   {' '.join(command)}   {seconds:6.1f} s  exit {code}  ({summary})"
        f"   {'(smoke form: no target)' if smoke else target}"
    )
    print(f"   load average after: {load_average()}  ({os.cpu_count()} cores)")
    return {"command": command, "seconds": seconds, "exit": code, "summary": summary}


# ---------------------------------------------------------------- 5. make demo vs plain pip


def print_install(runs: int, smoke: bool = False) -> dict:
    """``make demo`` on a fresh clone against a plain venv + pip install of the same lock."""
    from install_benchmark import measure_install, report  # beside this script

    print(f"   load average before: {load_average()}")
    result = measure_install(runs, log=lambda line: print(f"   {line}"), smoke=smoke)
    report(result, log=print)
    print(f"   load average after: {load_average()}  ({os.cpu_count()} cores)")
    return result


# ---------------------------------------------------------------- report


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--skip-make-test", action="store_true", help="do not time make test")
    parser.add_argument("--install-runs", type=int, default=1, help="runs of make demo vs pip")
    parser.add_argument("--skip-install", action="store_true", help="do not time the install")
    parser.add_argument(
        "--smoke", action="store_true",
        help=f"the short form: 1 run, {SMOKE_REQUESTS} latency requests, make test on"
        f" {SMOKE_TESTS} only, the install benchmark's smoke form",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument(
        "-p", dest="params", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="extra notebook parameter for the runs (replaces a default of the same name)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs = args.install_runs = 1
    if args.runs < 1 or args.install_runs < 1:
        parser.error("--runs and --install-runs must be at least 1")
    args.parameters = list(DEFAULT_PARAMETERS)
    for name, value in args.params or []:
        args.parameters = [p for p in args.parameters if p[1] != name] + [("-r", name, value)]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    built = [s for s in STEPS if not s.optional and s.notebook(ROOT / "notebooks").exists()]
    print(f"Headless runbook benchmark: {args.runs} runs, medians; {os.cpu_count()} cores")
    print(f"load average at start: {load_average()}")
    print(f"steps with a notebook: {' '.join(s.id for s in built)}  ({len(built)} notebooks)")
    print(f"parameters: {' '.join(f'{f} {n} {v}' for f, n, v in args.parameters)}\n")
    measured = measure_runs(args.runs, args.parameters, built)
    figures = {"runs": args.runs, "smoke": args.smoke}
    figures["full_run"] = print_full_run(measured, built)
    figures["requests"] = print_requests(measured, built)
    figures["import_and_latency"] = print_import_and_latency(measured, args)
    with_browser = "with" if os.access(CHROMIUM, os.X_OK) else "without (no Chromium)"
    print(f"\n4. make test ({'smoke form' if args.smoke else with_browser + ' browser tests'})")
    if args.skip_make_test:
        print("   skipped (--skip-make-test)")
    else:
        figures["make_test"] = print_make_test(args.smoke)
    print("\n5. make demo on a fresh clone vs plain venv + pip install -r requirements.txt", end="")
    print(" (smoke form: one small package each way, no runbook)" if args.smoke else "")
    if args.skip_install:
        print("   skipped (--skip-install)")
    else:
        figures["install"] = print_install(args.install_runs, args.smoke)
    print(f"\nload average at end: {load_average()}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    # A failed run stopped the script already; a failed make test or install fails it too.
    failed = figures.get("make_test", {}).get("exit", 0) != 0
    return 1 if failed or not figures.get("install", {}).get("all_exit_0", True) else 0


if __name__ == "__main__":
    sys.exit(main())
