"""Kernel provisioner benchmark: a Jupyter server's kernels forked (``onboarding-forks``) against
started the usual way (``local-provisioner``), as JupyterLab, Voila and the class hub start them.

    .venv/bin/python benchmarks/kernel_provisioner.py [--kernels 6] [--rounds 3]

Each round runs, in a fresh process for each provisioner and alternating which goes first,
what a Jupyter server does when an officer opens notebooks one after another: jupyter_client's
KernelManager starts a python3 kernel, a client waits until it answers, then the kernel is shut
down; ``--kernels`` times. It prints, per provisioner, the CPU the process and its children used
(kernels, and the fork server with its imports: it is stopped at the end so that its CPU counts),
how long the first kernel took to answer and the median of the others, then the medians over the
rounds, with the load average (a shared machine's load moves the seconds, less the ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from onboarding_helpers.kernel_forks import PROVISIONER, PROVISIONER_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
LOCAL = "local-provisioner"  # jupyter_client's own
PROVISIONERS = (LOCAL, PROVISIONER)

ONE_ROUND = """
import json, os, resource, sys, time
from jupyter_client.manager import KernelManager
from onboarding_helpers.runner import provisioner

def cpu():
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)

before, ready = cpu(), []
for _ in range(int(sys.argv[1])):
    km = KernelManager(kernel_name="python3")
    started = time.perf_counter()
    km.start_kernel()
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    ready.append(time.perf_counter() - started)
    client.stop_channels()
    km.shutdown_kernel()
if provisioner._server is not None:
    provisioner._server.close()
print(json.dumps({"cpu": cpu() - before, "ready": ready}))
"""


def one_round(name: str, kernels: int) -> dict[str, float]:
    env = {**os.environ, PROVISIONER_VARIABLE: name}
    done = subprocess.run(
        [sys.executable, "-c", ONE_ROUND, str(kernels)],
        env=env,
        cwd=ROOT / "benchmarks",  # not the project root: its stale egg-info could hide ours
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    ready = figures["ready"]
    return {
        "cpu": figures["cpu"],
        "first": ready[0],
        "others": statistics.median(ready[1:]) if len(ready) > 1 else ready[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in PROVISIONERS}
    for index in range(args.rounds):
        order = PROVISIONERS if index % 2 == 0 else PROVISIONERS[::-1]
        for name in order:
            figures = one_round(name, args.kernels)
            results[name].append(figures)
            print(
                f"round {index + 1} {name:18} {args.kernels} kernels: {figures['cpu']:.2f} CPU-s,"
                f" first ready in {figures['first']:.2f} s, the others {figures['others']:.2f} s"
            )
    medians = {
        name: {key: statistics.median(r[key] for r in rounds) for key in ("cpu", "first", "others")}
        for name, rounds in results.items()
    }
    for name, figures in medians.items():
        print(
            f"median {name:18} {figures['cpu']:.2f} CPU-s, first {figures['first']:.2f} s,"
            f" others {figures['others']:.2f} s"
        )
    forks, local = medians[PROVISIONER], medians[LOCAL]
    print(
        f"forked / usual: CPU {forks['cpu'] / local['cpu']:.2f},"
        f" readiness after the first {forks['others'] / local['others']:.2f}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
