"""Install benchmark: `make demo` on a fresh tree against a plain pip install of the same lock.

    python3 benchmarks/install_benchmark.py [--runs 3] [--source DIR | --overlay PATH...]
                                            [--keep-uv-on-path] [--json FILE] [--keep]
    python3 benchmarks/install_benchmark.py --smoke     # one small package each way: ~10 s

Each run takes a fresh tree of the repository and times, alternating which goes first:

* ``make demo`` in it, with no ``.venv``: the venv, the uv bootstrap (no uv on PATH unless
  ``--keep-uv-on-path``), the hash-checked install of the runtime lock, the project, then the
  headless runbook against the sandbox; the install and the runbook are also timed apart, from
  the moment make starts the runbook;
* the plain way: ``python3 -m venv`` and ``pip install -r requirements.txt`` of the same lock
  into that empty virtualenv (install only, no runbook).

It prints each run, the medians, the ratio make demo / plain pip (target: at most 0.4), the
same ratio for the install part of make demo alone, and whether make demo stays under 25 s, with
the load average: on a shared machine the runbook's own time follows the load.

The fresh tree is ``git clone --local`` of this repository (HEAD: uncommitted work is not in
it); ``--overlay PATH...`` copies those paths of the working tree over the clone (to measure,
say, an uncommitted Makefile and locks on the committed code); ``--source DIR`` copies DIR's
working tree instead of cloning (without .venv, .git and what runs write). ``measure_install()``
is the same measurement as a function, for ``benchmarks/run_benchmarks.py``.

``--smoke`` is the short form the tests run: still a fresh tree and two real, hash-checked
installs into fresh venvs, but of one small package of the tree's runtime lock (pinned and
hashed as the lock has it) instead of all of it, and without the runbook: make's way (a venv
without pip, then uv's ``pip install --require-hashes``, as the Makefile's install recipes do
with uv) against the plain way (``python3 -m venv``, then pip). A whole ``make demo`` takes
minutes; this takes seconds and still fails when an installer, a lock line or the script is
broken. Its times say nothing about the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"ratio": 0.4, "make_demo_s": 25.0}
PYTHON = "python3"  # what the Makefile's PYTHON defaults to, for both sides
# What a working tree holds that a fresh clone does not: venvs, caches, run output, secrets.
NOT_COPIED = {
    ".git", ".venv", "venv", "runs", ".runbook", ".sandbox", "__pycache__", ".pytest_cache",
    ".ruff_cache", ".hypothesis", ".ipynb_checkpoints", "build", "dist", "node_modules",
    "screenshots",
}  # fmt: skip
RUN_LINE = "/bin/python -m onboarding_helpers run"  # make's echo of the demo's last command
# Small pure-Python packages without dependencies, one of which the runtime lock holds: the
# smoke form installs the first one present (as tests/test_install.py's tamper tests do).
SMOKE_PACKAGES = ("six", "webencodings", "fqdn", "defusedxml")


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n in NOT_COPIED
        or n.endswith(".egg-info")
        or (n.startswith(".env") and n != ".env.example")
    }


def fresh_tree(dest: Path, source: Path | None = None, overlay: Iterable[str] = ()) -> str:
    """Lay a fresh tree at dest; return how it was made."""
    if source is None and not (ROOT / ".git").exists():
        source = ROOT  # an exported tree (git archive, a release): nothing to clone from
    if source is not None:
        shutil.copytree(source, dest, ignore=_ignore, symlinks=True)
        return f"copy of the working tree {source}"
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(dest)], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=dest, capture_output=True, text=True
    ).stdout.strip()
    how = f"git clone --local {ROOT} (HEAD {head})"
    for path in overlay:
        src, dst = ROOT / path, dest / path
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=_ignore)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    if overlay:
        how += " + working-tree " + ", ".join(overlay)
    return how


def _env(keep_uv_on_path: bool) -> dict[str, str]:
    """The environment a newcomer's shell would give make: no venv active, no runbook overrides,
    and (unless asked) no uv on PATH, so make bootstraps its pinned uv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ONBOARDING_", "UV_")) and k not in ("VIRTUAL_ENV", "UV", "MAKEFLAGS")
    }
    if not keep_uv_on_path:
        dirs = env.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(d for d in dirs if not (Path(d) / "uv").exists())
    return env


def _size_mb(path: Path) -> float:
    done = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True)
    return float(done.stdout.split()[0]) if done.returncode == 0 else float("nan")


def time_make_demo(tree: Path, env: dict[str, str]) -> dict:
    """`make demo` in tree (no .venv yet): wall time, and the install part apart."""
    started = time.perf_counter()
    install_s = None
    installer = ""
    lines: list[str] = []
    with subprocess.Popen(
        ["make", "demo"], cwd=tree, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if install_s is None and RUN_LINE in line:
                install_s = time.perf_counter() - started
            # make echoes its install recipes: the runtime lock's line names the installer.
            if " pip install " in line and "-r requirements.txt" in line and not installer:
                installer = line.split(" pip install ")[0].removeprefix("+ ")
    total = time.perf_counter() - started
    install = install_s if install_s is not None else total
    return {
        "seconds": total,
        "install_s": install,
        "runbook_s": total - install,
        "exit": proc.returncode,
        "installer": installer,
        "venv_mb": _size_mb(tree / ".venv"),
        "tail": lines[-12:],
    }


def time_plain_pip(tree: Path, work: Path, env: dict[str, str], lock: Path | None = None) -> dict:
    """`python3 -m venv` and `pip install -r` of tree's lock (or `lock`), into work/venv."""
    venv = work / "venv"
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "venv", str(venv)], env=env, capture_output=True, text=True
    )
    if done.returncode == 0:
        pip = [str(venv / "bin" / "pip"), "install", "-q"]
        done = subprocess.run(
            [*pip, "-r", str(lock or tree / "requirements.txt")],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
    total = time.perf_counter() - started
    return {
        "seconds": total,
        "exit": done.returncode,
        "venv_mb": _size_mb(venv),
        "tail": (done.stdout + done.stderr).strip().splitlines()[-12:],
    }


# ------------------------------------------------------------------------------ the smoke form


def smoke_lock(tree: Path, dest: Path) -> str:
    """Write to dest one small package of tree's runtime lock, its pin and hashes as the lock has
    them; return its name."""
    text = (tree / "requirements.txt").read_text()
    for name in SMOKE_PACKAGES:
        # name==version, no marker, then its --hash lines (backslash-continued).
        pin = re.search(rf"^{name}==[^\s;]+(?:\s*\\\n\s*--hash=sha256:[0-9a-f]{{64}})+", text, re.M)
        if pin:
            dest.write_text(pin.group(0) + "\n")
            return name
    raise SystemExit(
        f"None of {', '.join(SMOKE_PACKAGES)} is in {tree / 'requirements.txt'}: name another"
        " small package of the lock in SMOKE_PACKAGES."
    )


def find_uv() -> str:
    """The uv make would use: $UV, a uv on PATH, or the one make put in the project's venv."""
    for candidate in (os.environ.get("UV"), shutil.which("uv"), str(ROOT / ".venv" / "bin" / "uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit(
        "The smoke form installs with uv as make does, and there is none here: run `make test`"
        " once (it puts uv in .venv/bin), or name one: UV=/path/to/uv."
    )


def installed(venv: Path, name: str) -> bool:
    return any(venv.glob(f"lib/python*/site-packages/{name}-*.dist-info"))


def time_uv_install(work: Path, lock: Path, env: dict[str, str], uv: str) -> dict:
    """make's way for one lock: a venv without pip, then uv's hash-checked install into it."""
    venv = work / "make-venv"
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "venv", "--without-pip", str(venv)], env=env, capture_output=True, text=True
    )
    if done.returncode == 0:
        command = [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
        done = subprocess.run(
            [*command, "--require-hashes", "-r", str(lock)], env=env, capture_output=True, text=True
        )
    total = time.perf_counter() - started
    return {
        "seconds": total, "install_s": total, "runbook_s": 0.0, "exit": done.returncode,
        "installer": uv, "venv_mb": _size_mb(venv),
        "tail": (done.stdout + done.stderr).strip().splitlines()[-12:],
    }  # fmt: skip


def smoke_pair(tree: Path, work: Path, env: dict[str, str], uv: str) -> tuple[dict, dict]:
    """One small package of tree's lock, installed make's way and the plain way; each result
    says whether the package really landed in its venv."""
    lock = work / "smoke-lock.txt"
    name = smoke_lock(tree, lock)
    make = time_uv_install(work, lock, env, uv)
    plain = time_plain_pip(tree, work, env, lock)
    make["installed"] = installed(work / "make-venv", name)
    plain["installed"] = installed(work / "venv", name)
    for result in (make, plain):
        result["package"] = name
        if result["exit"] == 0 and not result["installed"]:
            result["exit"] = -1  # the installer said yes, and nothing is there
            result["tail"].append(f"{name} is not in the venv after the install")
    return make, plain


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure_install(
    runs: int = 3,
    source: Path | None = None,
    overlay: Iterable[str] = (),
    keep_uv_on_path: bool = False,
    keep: bool = False,
    log: Callable[[str], None] = print,
    smoke: bool = False,
) -> dict:
    """Time `make demo` on a fresh tree against a plain venv + pip install of the same lock,
    alternating over `runs`; return the runs, the medians, the ratio and the verdicts. With
    `smoke`, one small package of the lock each way instead (see the module's docstring)."""
    env = _env(keep_uv_on_path)
    uv = find_uv() if smoke else ""
    base = Path(tempfile.mkdtemp(prefix="install-bench-"))
    try:
        template = base / "template"
        how = fresh_tree(template, source, list(overlay))
        log(f"fresh trees: {how}")
        make_runs, pip_runs, loads = [], [], []
        for i in range(runs):
            tree, work = base / f"tree-{i}", base / f"pip-{i}"
            shutil.copytree(template, tree, symlinks=True)
            work.mkdir()
            loads.append(os.getloadavg()[0])
            if smoke:
                m, p = smoke_pair(tree, work, env, uv)
            elif i % 2 == 0:  # alternate, so that neither side always runs on a warmer machine
                m, p = time_make_demo(tree, env), time_plain_pip(tree, work, env)
            else:
                p = time_plain_pip(tree, work, env)
                m = time_make_demo(tree, env)
            loads.append(os.getloadavg()[0])
            make_runs.append(m)
            pip_runs.append(p)
            log_run(i, runs, m, p, smoke, log)
            if not keep:
                shutil.rmtree(tree, ignore_errors=True)
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    result = summarise(make_runs, pip_runs, loads)
    what = f"{make_runs[0].get('package')} only" if smoke else "the runtime lock"
    result.update(runs=runs, tree=how, uv_on_path=keep_uv_on_path, smoke=smoke, installs=what)
    result["kept"] = str(base) if keep else None
    return result


def log_run(i: int, runs: int, m: dict, p: dict, smoke: bool, log: Callable[[str], None]) -> None:
    make = "make's install (uv)" if smoke else "make demo"
    log(
        f"run {i + 1}/{runs}: {make} {m['seconds']:6.1f} s (install {m['install_s']:.1f}"
        f" s, runbook {m['runbook_s']:.1f} s, exit {m['exit']}, with {m['installer']})"
        f" | plain venv + pip install {p['seconds']:6.1f} s (exit {p['exit']})"
        f" | load {os.getloadavg()[0]:.1f}"
    )
    for failed, label in ((m, make), (p, "plain pip")):
        if failed["exit"] != 0:
            log(f"  {label} failed:\n    " + "\n    ".join(failed["tail"]))


def summarise(make_runs: list[dict], pip_runs: list[dict], loads: list[float]) -> dict:
    """The medians, the ratios and the verdicts of the runs."""
    make_s = _median([r["seconds"] for r in make_runs])
    pip_s = _median([r["seconds"] for r in pip_runs])
    ratio = make_s / pip_s if pip_s else float("nan")
    install_s = _median([r["install_s"] for r in make_runs])
    return {
        "make_demo": make_runs,
        "plain_pip": pip_runs,
        "median_make_demo_s": make_s,
        "median_make_demo_install_s": install_s,
        "median_make_demo_runbook_s": _median([r["runbook_s"] for r in make_runs]),
        "median_plain_pip_s": pip_s,
        "ratio": ratio,
        "ratio_install": install_s / pip_s if pip_s else float("nan"),
        "median_venv_mb": {
            "make_demo": _median([r["venv_mb"] for r in make_runs]),
            "plain_pip": _median([r["venv_mb"] for r in pip_runs]),
        },
        "loadavg_1min": {"min": min(loads), "median": _median(loads), "max": max(loads)},
        "all_exit_0": all(r["exit"] == 0 for r in make_runs + pip_runs),
        "meets_ratio": ratio <= TARGETS["ratio"],
        "meets_make_demo_s": make_s < TARGETS["make_demo_s"],
    }


def report(result: dict, log: Callable[[str], None] = print) -> None:
    yes = {True: "yes", False: "NO"}
    smoke = result.get("smoke", False)
    make = "make's install (uv)" if smoke else "make demo"
    load = result["loadavg_1min"]
    log(
        f"\nmedians over {result['runs']} runs (each on a fresh tree, no .venv;"
        f" installing {result.get('installs', 'the runtime lock')}):"
    )
    log(
        f"  {make:<31}{result['median_make_demo_s']:6.1f} s"
        f"   (install {result['median_make_demo_install_s']:.1f} s,"
        f" runbook {result['median_make_demo_runbook_s']:.1f} s)"
    )
    log(f"  plain venv + pip install       {result['median_plain_pip_s']:6.1f} s   (install only)")
    ratio = f"ratio {make} / plain pip"
    target = "(smoke form: no target)"
    if not smoke:
        target = f"target <= {TARGETS['ratio']}: {yes[result['meets_ratio']]}"
    log(f"  {ratio:<31}{result['ratio']:6.2f}     {target}")
    if not smoke:
        log(
            f"  ratio of the installs alone    {result['ratio_install']:6.2f}     (make demo up to"
            " the runbook / plain pip)"
        )
        under = f"make demo under {TARGETS['make_demo_s']:.0f} s:"
        log(f"  {under:<31}{yes[result['meets_make_demo_s']]}")
    sizes = result["median_venv_mb"]
    log(
        f"  venv size                      {make} {sizes['make_demo']:.0f} MB,"
        f" plain pip {sizes['plain_pip']:.0f} MB"
    )
    log(
        f"  load average (1 min, {os.cpu_count()} cores)     min {load['min']:.1f},"
        f" median {load['median']:.1f}, max {load['max']:.1f}"
    )
    if not result["all_exit_0"]:
        log("  some runs failed: their times are not comparable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median), alternating")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--source", type=Path, help="copy this working tree instead of cloning")
    where.add_argument(
        "--overlay", nargs="+", default=[], metavar="PATH",
        help="clone, then copy these working-tree paths over the clone",
    )  # fmt: skip
    parser.add_argument(
        "--keep-uv-on-path", action="store_true",
        help="let make use a uv found on PATH (default: hide it, so make bootstraps its own)",
    )  # fmt: skip
    parser.add_argument(
        "--smoke", action="store_true",
        help="the short form: one small package of the lock each way, no runbook (1 run)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the trees and venvs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs = 1
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    result = measure_install(
        args.runs, args.source.resolve() if args.source else None, args.overlay,
        args.keep_uv_on_path, args.keep, smoke=args.smoke,
    )  # fmt: skip
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["all_exit_0"] else 1


if __name__ == "__main__":
    sys.exit(main())
