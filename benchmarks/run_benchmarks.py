"""Benchmark of the headless runbook (issue 9). Run by hand, not part of ``make test``.

    .venv/bin/python benchmarks/run_benchmarks.py [--runs 5] [--skip-make-test]
        [--install-runs 1] [--skip-install] [-p NAME VALUE]

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

from onboarding_helpers.steps.registry import STEPS  # noqa: E402

# Parameters a full run needs: a Sender ID for step 04, a phone for the test SMS of 05 and 06.
DEFAULT_PARAMETERS = [("-p", "sender_id", "AGENCYSMS"), ("-r", "test_phone", "+6581234567")]
# The fewest Twilio requests each step can make and still do its job, (fresh, re-run, why), is
# the registry's ``step.requests``.
TARGETS = {"ratio": 0.8, "fresh": 12, "rerun": 8, "import": 0.3, "p95_ms": 20.0, "make": 150.0}
# The browser tests drive Debian's Chromium; make test runs them when it is there.
CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))

FLOOR_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
import papermill
from onboarding_helpers.runner.kernels import ipc_manager_class
imported = time.perf_counter()
notebook, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
manager = ipc_manager_class()
each = []
for i in range(count):
    t = time.perf_counter()
    papermill.execute_notebook(
        notebook, f"{out}/floor-{i}.ipynb", parameters={"headless": True},
        kernel_name="python3", kernel_manager_class=manager, cwd=out,
        progress_bar=False, log_output=False, store_widget_state=False,
    )
    each.append(time.perf_counter() - t)
print(json.dumps({"import": imported - started, "each": each}))
"""


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


def make_trivial_notebook(folder: Path) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("headless = False")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("x = 1")]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "trivial.ipynb"
    nbformat.write(notebook, str(path))
    return path


@dataclass
class FloorResult:
    seconds: float
    import_seconds: float
    each: list[float]


def floor_run(notebook: Path, count: int, folder: Path) -> FloorResult:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", FLOOR_SCRIPT, str(notebook), str(folder), str(count)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"The floor run failed:\n{done.stderr[-2000:]}")
    parts = json.loads(done.stdout.strip().splitlines()[-1])
    return FloorResult(seconds, parts["import"], parts["each"])


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


# ---------------------------------------------------------------- 4. make test


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_test() -> tuple[list[str], float, int, str]:
    """``make test`` as a newcomer types it (browser tests included when Chromium is there):
    the command, its wall time, exit code and pytest's summary line."""
    command = ["make", "test"]
    if not os.access(CHROMIUM, os.X_OK):
        command.append("PYTEST_ARGS=-m 'not browser'")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True)
    lines = (done.stdout + done.stderr).strip().splitlines()
    summary = next((ln for ln in reversed(lines) if re.search(r"passed|failed|error", ln)), "")
    return command, time.perf_counter() - started, done.returncode, summary.strip()


def print_make_test() -> None:
    print(f"   load average before: {load_average()}")
    command, seconds, code, summary = make_test()
    print(
        f"   {' '.join(command)}   {seconds:6.1f} s  exit {code}  ({summary})   target <="
        f" {TARGETS['make']:.0f} s: {mark(seconds <= TARGETS['make'] and code == 0)}"
    )
    print(f"   load average after: {load_average()}  ({os.cpu_count()} cores)")


# ---------------------------------------------------------------- 5. make demo vs plain pip


def print_install(runs: int) -> None:
    """``make demo`` on a fresh clone against a plain venv + pip install of the same lock."""
    from install_benchmark import measure_install, report  # beside this script

    print(f"   load average before: {load_average()}")
    report(measure_install(runs, log=lambda line: print(f"   {line}")), log=print)
    print(f"   load average after: {load_average()}  ({os.cpu_count()} cores)")


# ---------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--skip-make-test", action="store_true", help="do not time make test")
    parser.add_argument("--install-runs", type=int, default=1, help="runs of make demo vs pip")
    parser.add_argument("--skip-install", action="store_true", help="do not time the install")
    parser.add_argument(
        "-p",
        dest="params",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="extra notebook parameter for the runs (replaces a default of the same name)",
    )
    args = parser.parse_args(argv)
    parameters = list(DEFAULT_PARAMETERS)
    for name, value in args.params or []:
        parameters = [p for p in parameters if p[1] != name] + [("-r", name, value)]

    notebooks = ROOT / "notebooks"
    built = [s for s in STEPS if not s.optional and s.notebook(notebooks).exists()]
    print(f"Headless runbook benchmark: {args.runs} runs, medians; {os.cpu_count()} cores")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"steps with a notebook: {' '.join(s.id for s in built)}  ({len(built)} notebooks)")
    print(f"parameters: {' '.join(f'{f} {n} {v}' for f, n, v in parameters)}\n")

    scratch = Path(tempfile.mkdtemp(prefix="bench-runbook-"))
    try:
        trivial = make_trivial_notebook(scratch)
        floors: list[FloorResult] = []
        fresh: list[RunResult] = []
        reruns: list[RunResult] = []
        first_ws = scratch / "ws-0"
        boundary = ""
        snap_before: dict = {}
        for i in range(args.runs):
            workspace = scratch / f"ws-{i}"
            floor_dir = scratch / f"floor-{i}"
            floor_dir.mkdir()
            # Alternate the order so that neither side always runs on a warmer machine.
            if i % 2 == 0:
                floors.append(floor_run(trivial, len(built), floor_dir))
                fresh.append(cli_run(workspace, parameters))
            else:
                fresh.append(cli_run(workspace, parameters))
                floors.append(floor_run(trivial, len(built), floor_dir))
            if fresh[-1].returncode != 0:
                print(f"run {i + 1} failed (exit {fresh[-1].returncode}):\n{fresh[-1].stderr}")
                return 1
            if i == 0:
                _, snap_before = sandbox_view(workspace)
                boundary = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            reruns.append(cli_run(workspace, parameters))
            if reruns[-1].returncode != 0:
                print(f"re-run {i + 1} failed:\n{reruns[-1].stderr}")
                return 1
            print(
                f"  run {i + 1}: full {fresh[-1].seconds:5.2f} s   re-run {reruns[-1].seconds:5.2f}"
                f" s   floor {floors[-1].seconds:5.2f} s",
                flush=True,
            )
        all_rows, _ = sandbox_view(first_ws)
        rerun_rows, snap_after = sandbox_view(first_ws, since=boundary)
        fresh_rows = [r for r in all_rows if r["time"] < boundary]
        step_seconds = {
            s.id: median([r.steps[s.id] for r in fresh if s.id in r.steps]) for s in built
        }
        rerun_step_seconds = {
            s.id: median([r.steps[s.id] for r in reruns if s.id in r.steps]) for s in built
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    full, rerun = median([r.seconds for r in fresh]), median([r.seconds for r in reruns])
    floor = median([f.seconds for f in floors])
    floor_import = median([f.import_seconds for f in floors])
    floor_each = median([median(f.each) for f in floors])
    floor_notebooks = median([sum(f.each) for f in floors])
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
    for label, seconds in (("fresh run", step_seconds), ("re-run   ", rerun_step_seconds)):
        each = "  ".join(f"{name[:2]} {sec:.1f}" for name, sec in seconds.items())
        print(f"   per step, {label} (median s, as the runner prints them): {each}")

    print("\n2. Twilio requests (sandbox request log, run 1)")
    fresh_by, rerun_by = count_by_step(fresh_rows), count_by_step(rerun_rows)
    print(f"   {'step':24} {'fresh':>5} {'min':>4}   {'re-run':>6} {'min':>4}   minimum because")
    total = {"fresh": 0, "rerun": 0, "fresh_min": 0, "rerun_min": 0}
    for step in [s for s in STEPS if not s.optional]:
        fresh_min, rerun_min, why = step.requests
        if step not in built:
            print(f"   {step.id:24} not built yet")
            continue
        n_fresh, n_rerun = len(fresh_by.get(step.id, [])), len(rerun_by.get(step.id, []))
        total["fresh"] += n_fresh
        total["rerun"] += n_rerun
        total["fresh_min"] += fresh_min
        total["rerun_min"] += rerun_min
        print(f"   {step.id:24} {n_fresh:5} {fresh_min:4}   {n_rerun:6} {rerun_min:4}   {why}")
    for other in sorted(set(fresh_by) | set(rerun_by)):
        if other not in {s.id for s in built}:
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
    before, after = resource_counts(snap_before), resource_counts(snap_after)
    created = {k: after[k] - before[k] for k in before if after[k] != before[k]}
    print(
        "   created by the re-run: "
        + (", ".join(f"{k} +{v}" for k, v in created.items()) or "nothing")
        + f"   target nothing: {mark(not created)}"
    )
    for step_name, calls in sorted(fresh_by.items()):
        print(f"     fresh  {step_name}: {'; '.join(calls)}")
    for step_name, calls in sorted(rerun_by.items()):
        print(f"     re-run {step_name}: {'; '.join(calls)}")

    print("\n3. Package import and sandbox latency")
    imports = [import_seconds() for _ in range(args.runs)]
    imp = median(imports)
    print(
        f"   import onboarding_helpers                {imp:6.3f} s   target <= "
        f"{TARGETS['import']} s: {mark(imp <= TARGETS['import'])}"
    )
    latency, served = sandbox_latency()
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
    in_run = [float(r["duration_ms"]) for r in all_rows if r.get("duration_ms") is not None]
    if in_run:
        print(
            f"   server's handling time during run 1 ({len(in_run)} requests): p50"
            f" {percentile(in_run, 50):.1f} ms  p95 {percentile(in_run, 95):.1f} ms"
        )

    with_browser = "with" if os.access(CHROMIUM, os.X_OK) else "without (no Chromium)"
    print(f"\n4. make test ({with_browser} browser tests)")
    if args.skip_make_test:
        print("   skipped (--skip-make-test)")
    else:
        print_make_test()
    print("\n5. make demo on a fresh clone vs plain venv + pip install -r requirements.txt")
    if args.skip_install:
        print("   skipped (--skip-install)")
    else:
        print_install(args.install_runs)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
