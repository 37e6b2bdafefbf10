"""A class at once (issue 17): N trainees' full headless runs against one shared sandbox. By hand.

    .venv/bin/python benchmarks/cohort_load.py --trainees 30 [--ramp SECONDS] [--keep DIR]
                                               [--json FILE]
    .venv/bin/python benchmarks/cohort_load.py --trainees 2   # the short form the tests run

As in a class hub: one sandbox for everyone, started first; each trainee gets a practice account
made with the trainer token (the hub's job, friendly name ``trainee-NN``) written into their own
env file; then every trainee's run starts at once, or spread evenly over ``--ramp`` seconds as
a class logs in (``python -m onboarding_helpers run --sandbox``, their own env file, state
folder and output folder), with ``ONBOARDING_CLASS_HUB`` set and no trainer token in reach,
exactly as in a trainee's server: step 00 checks the account with its own credentials. Prints:

- completed/N: runs that exited 0 with the four values Postman needs in their env file;
- wall time, from the first run started to the last one ended;
- the sandbox's latency, p50 and p95, **server-side**: the request log's ``duration_ms`` (from the
  request read to the answer written, as the sandbox measures it) of every Twilio-API request
  of the cohort's accounts; client-side waits add the machine's scheduling on top;
- peak memory of the whole cohort: every ~0.25 s the resident memory (RSS) of the sandbox and of
  every process of every run (runner, papermill kernels and their children) is summed; the
  largest sum;
- cross-account requests: from the request log, requests authenticated as one account whose
  path, query or form names another account or its resource (``sandbox.board.foreign_requests``:
  must be 0), and the trainer's board's view of how far each trainee got.

It exits 1 unless every run completed, no request crossed accounts and p95 met its target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboarding_helpers.credentials import (  # noqa: E402
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    CredentialStore,
)
from onboarding_helpers.runbook import BASE_URL_VARIABLE  # noqa: E402
from onboarding_helpers.training.practice import CLASS_HUB_VARIABLE  # noqa: E402

DEFAULT_PARAMETERS = [("-p", "sender_id", "AGENCYSMS"), ("-r", "test_phone", "+6581234567")]
TARGET_P95_MS = 50.0
SAMPLE_SECONDS = 0.25
RUN_TIMEOUT = 900


@dataclass
class Trainee:
    name: str
    folder: Path
    account_sid: str = ""
    process: subprocess.Popen[str] | None = None
    exit_code: int | None = None
    ended: float = 0.0

    @property
    def env_file(self) -> Path:
        return self.folder / ".env.sandbox"

    def command(self, parameters: list[tuple[str, str, str]]) -> list[str]:
        cmd = [sys.executable, "-m", "onboarding_helpers", "run", "--sandbox"]
        cmd += ["--env-file", str(self.env_file), "--state-dir", str(self.folder / "state")]
        cmd += ["--out", str(self.folder / "runs"), "--sandbox-dir", str(self.folder / "unused")]
        for flag, name, value in parameters:
            cmd += [flag, name, value]
        return cmd

    def completed(self) -> bool:
        values = CredentialStore(self.env_file, mode="sandbox").values()
        needed = (ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET, MESSAGING_SERVICE_SID)
        return self.exit_code == 0 and all(values.get(name) for name in needed)


class MemorySampler(threading.Thread):
    """The summed RSS of the sandbox and every run's process tree, sampled; keeps the peak."""

    def __init__(self, roots: list[int]) -> None:
        super().__init__(daemon=True)
        self.roots, self.peak, self.peak_processes = roots, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._halt.is_set():
            total, seen = 0, set()
            for pid in list(self.roots):
                try:
                    root = psutil.Process(pid)
                    family = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for process in family:
                    if process.pid in seen:
                        continue
                    try:
                        total += process.memory_info().rss
                        seen.add(process.pid)
                    except psutil.Error:
                        pass
            if total > self.peak:
                self.peak, self.peak_processes = total, len(seen)
            self._halt.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def trainee_environment(url: str) -> dict[str, str]:
    """A trainee's run: sandbox mode against the class's sandbox, no trainer token in reach."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env.update({BASE_URL_VARIABLE: url, CLASS_HUB_VARIABLE: "cohort-load", "PYTHONUNBUFFERED": "1"})
    return env


def provision(url: str, trainees: list[Trainee]) -> None:
    from onboarding_helpers.sandbox import provision_account

    for trainee in trainees:
        account = provision_account(url, friendly_name=trainee.name)
        trainee.env_file.parent.mkdir(parents=True, exist_ok=True)
        CredentialStore(trainee.env_file, mode="sandbox").save(
            {ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]}
        )
        trainee.account_sid = account["account_sid"]


def run_cohort(
    url: str,
    trainees: list[Trainee],
    parameters: list[tuple[str, str, str]],
    sandbox_pid: int,
    ramp: float = 0.0,
) -> tuple[float, MemorySampler]:
    env = trainee_environment(url)
    sampler = MemorySampler([sandbox_pid])
    sampler.start()
    started = time.monotonic()
    for index, trainee in enumerate(trainees):
        time.sleep(max(0.0, started + ramp * index / len(trainees) - time.monotonic()))
        log = open(trainee.folder / "run.log", "w")  # noqa: SIM115 - closed when it ends
        trainee.process = subprocess.Popen(
            trainee.command(parameters), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        sampler.roots.append(trainee.process.pid)
    for trainee in trainees:
        assert trainee.process is not None
        try:
            trainee.exit_code = trainee.process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            trainee.process.kill()
            trainee.exit_code = trainee.process.wait()
        trainee.ended = time.monotonic()
    wall = max(t.ended for t in trainees) - started
    sampler.stop()
    return wall, sampler


def sandbox_file(db: Path) -> sqlite3.Connection:
    """The stopped sandbox's own database, its columns by name as the board reads them."""
    conn = sqlite3.connect(db, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def latencies(db: Path, accounts: set[str]) -> list[float]:
    conn = sandbox_file(db)
    try:
        rows = conn.execute("SELECT account_sid, duration_ms FROM request_log").fetchall()
    finally:
        conn.close()
    return sorted(float(r["duration_ms"]) for r in rows if r["account_sid"] in accounts)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def board_lines(db: Path) -> tuple[int, list[str], dict[str, int]]:
    from onboarding_helpers.sandbox.board import cohort_progress, foreign_requests

    conn = sandbox_file(db)
    try:
        foreign = foreign_requests(conn)
        progress = cohort_progress(conn)
    finally:
        conn.close()
    counts: dict[str, int] = {}
    for row in progress:
        for name, done in row.milestones().items():
            counts[name] = counts.get(name, 0) + int(done)
    lines = [f"  {f['request']} as {f['account']} names {', '.join(f['others'])}" for f in foreign]
    return len(foreign), lines, counts


def start_class(
    base: Path, count: int, parameters: list[tuple[str, str, str]], ramp: float
) -> tuple[list[Trainee], float, MemorySampler]:
    """One sandbox, ``count`` practice accounts, every trainee's run; the sandbox stopped after."""
    from onboarding_helpers.sandbox import ensure_running, stop_running
    from onboarding_helpers.sandbox.process import read_info

    sandbox_dir = base / "sandbox"
    trainees = [Trainee(f"trainee-{i:02d}", base / f"trainee-{i:02d}") for i in range(count)]
    url = ensure_running(sandbox_dir)
    try:
        info = read_info(sandbox_dir) or {}
        provision(url, trainees)
        print(f"{len(trainees)} practice accounts on one sandbox at {url}; runs start now.")
        pid = int(info.get("pid", os.getpid()))
        wall, memory = run_cohort(url, trainees, parameters, pid, ramp)
    finally:
        stop_running(sandbox_dir)
    return trainees, wall, memory


def figures(
    trainees: list[Trainee], wall: float, memory: MemorySampler, db: Path, ramp: float
) -> dict:
    """What the class measured, from the runs, the sampler and the sandbox's database."""
    times = latencies(db, {t.account_sid for t in trainees})
    foreign, foreign_lines, milestones = board_lines(db)
    return {
        "trainees": len(trainees),
        "completed": sum(t.completed() for t in trainees),
        "wall_seconds": round(wall, 1),
        "ramp_seconds": ramp,
        "requests": len(times),
        "p50_ms": percentile(times, 0.50),
        "p95_ms": percentile(times, 0.95),
        "peak_rss_mib": round(memory.peak / 2**20),
        "peak_processes": memory.peak_processes,
        "cross_account_requests": foreign,
        "cross_account_lines": foreign_lines,
        "board": milestones,
    }


def print_figures(result: dict, trainees: list[Trainee]) -> None:
    n = result["trainees"]
    print(f"completed: {result['completed']}/{n}")
    print(
        f"wall: {result['wall_seconds']:.1f} s (first run started to last run ended;"
        f" {os.cpu_count()} CPUs; starts spread over {result['ramp_seconds']:.0f} s)"
    )
    print(
        f"sandbox latency, server-side (request log duration_ms, {result['requests']} requests):"
        f" p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms"
        f" (target <= {TARGET_P95_MS:.0f} ms)"
    )
    print(
        f"peak memory of the cohort: {result['peak_rss_mib']} MiB RSS summed over"
        f" {result['peak_processes']} processes (sandbox + every run's process tree)"
    )
    print(f"cross-account requests: {result['cross_account_requests']}")
    for line in result["cross_account_lines"]:
        print(line)
    print("trainer's board: " + ", ".join(f"{k} {v}/{n}" for k, v in result["board"].items()))
    for trainee in trainees:
        if not trainee.completed():
            log = trainee.folder / "run.log"
            tail = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
            print(f"  {trainee.name} exit {trainee.exit_code}: {(tail or [''])[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trainees", type=int, default=30)
    parser.add_argument("--ramp", type=float, default=0.0, help="start runs over SECONDS")
    parser.add_argument("--keep", help="keep every trainee's folder here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"))
    args = parser.parse_args(argv)
    if args.trainees < 1:
        parser.error("--trainees must be at least 1")
    parameters = [("-p", n, v) for n, v in args.parameter] if args.parameter else DEFAULT_PARAMETERS
    base = Path(args.keep or tempfile.mkdtemp(prefix="cohort-load-"))
    trainees, wall, memory = start_class(base, args.trainees, parameters, args.ramp)
    result = figures(trainees, wall, memory, base / "sandbox" / "sandbox.sqlite3", args.ramp)
    print_figures(result, trainees)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    ok = result["completed"] == len(trainees) and result["cross_account_requests"] == 0
    return 0 if ok and result["p95_ms"] <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
