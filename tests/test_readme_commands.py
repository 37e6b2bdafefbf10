"""The README's commands work as written (issue 16).

The commands are read out of README.md's inline code and code blocks, so the test follows the
README: the plain-papermill example, ``status``, ``scenarios`` and a ``run --only``. They run in a
copy of the project (never in the checkout's own files), after ``make demo`` ran there: make is
told to take the install as done (``-o .venv/.installed``, the copy's ``.venv`` is a link to the
checkout's), so the demo's own recipe runs but nothing is installed into the shared virtualenv.
Bare ``python`` resolves to the virtualenv's, as with ``. .venv/bin/activate``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onboarding_helpers.credentials import API_KEY_SECRET, AUTH_TOKEN, CredentialStore
from onboarding_helpers.errors import InputError, StepBlocked
from onboarding_helpers.runbook import open_runbook
from onboarding_helpers.sandbox import stop_running
from onboarding_helpers.steps.account import check_account
from onboarding_helpers.steps.api_key import set_up_api_key

from .secret_audit import leaks

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# What a run writes, a checkout's private files and caches: not part of a fresh copy.
NOT_COPIED = shutil.ignore_patterns(
    *(".git", ".venv", ".hub", ".spec", ".hypothesis", ".ruff_cache", "__pycache__"),
    *("*.egg-info", "node_modules", "screenshots", "runs", ".runbook", ".sandbox"),
    *(".env", ".env.backup-*", ".env.sandbox*"),
)
TIMEOUT = 600


def readme_commands() -> list[str]:
    """Every command the README shows: inline code spans (which may wrap across lines) and the
    lines of its shell blocks, comments dropped, whitespace as a shell reads it."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        commands += [line.split("  #")[0] for line in block.splitlines()]
    without_blocks = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    commands += re.findall(r"`([^`]+)`", without_blocks)
    return [" ".join(c.split()) for c in commands if c.strip()]


def the_command(wanted: str, test: Callable[[list[str]], bool]) -> str:
    """The README's one command that ``test`` picks out (by its words), or a clear failure."""
    found = [c for c in readme_commands() if test(c.split())]
    assert found, f"the README shows no {wanted} command any more"
    return found[0]


def is_cli(words: list[str], *subcommand: str) -> bool:
    n = len(subcommand)
    return (
        len(words) >= 3 + n
        and words[0] in ("python", ".venv/bin/python")
        and words[1:3] == ["-m", "onboarding_helpers"]
        and tuple(words[3 : 3 + n]) == subcommand
        and not any(w.startswith("[") or w.endswith("...") for w in words)  # a synopsis
    )


def papermill_example() -> str:
    return the_command("plain papermill", lambda w: w[0] in ("papermill", ".venv/bin/papermill"))


def shell(project: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` as typed at a shell in the project folder, with the virtualenv active."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONBOARDING_", "PYTEST_"))}
    venv = project / ".venv"
    env |= {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    run = ["bash", "-c", command]
    return subprocess.run(
        run, cwd=project, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


def said(done: subprocess.CompletedProcess[str]) -> str:
    out, err = done.stdout[-4000:], done.stderr[-4000:]
    return f"exit {done.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the project where ``make demo`` ran; its background sandbox stopped after."""
    copy = tmp_path_factory.mktemp("readme") / "project"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    # A fresh clone's view: what git tracks before the demo, to compare with after it.
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for words in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "clone"]):
        subprocess.run([*git, *words], cwd=copy, check=True, capture_output=True)
    try:
        done = shell(copy, "make -o .venv/.installed demo")
        assert done.returncode == 0, said(done)
        assert (copy / ".env.sandbox").is_file() and (copy / "runs").is_dir()
        yield copy
    finally:
        stop_running(copy / ".sandbox")  # the demo's kernels started it, detached


def secrets_of(project: Path) -> list[str]:
    values = CredentialStore(project / ".env.sandbox").values()
    return [values[AUTH_TOKEN], values[API_KEY_SECRET]]


def test_the_commands_the_readme_needs_are_there_and_not_synopses() -> None:
    assert "../.env" not in papermill_example()
    for wanted, subcommand in (("status", ("status",)), ("scenarios", ("scenarios",))):
        the_command(wanted, lambda w, s=subcommand: is_cli(w, *s))
    run_only = the_command("run --only", lambda w: is_cli(w, "run") and "--only" in w)
    assert "--sandbox" in run_only.split()


def test_make_demo_leaves_nothing_git_would_pick_up(demo: Path) -> None:
    # Lock files, rescue files, backups, runs: all ignored, so `git add -A` stages no secret.
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=demo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [line for line in status.stdout.splitlines() if ".venv" not in line] == []


@pytest.mark.notebook
def test_the_papermill_example_runs_as_written_after_make_demo(demo: Path) -> None:
    command = papermill_example()
    done = shell(demo, command)
    assert done.returncode == 0, said(done)
    output = demo / shlex.split(command)[2]
    text = output.read_text(encoding="utf-8")
    assert "Account SID" in text and "ename" not in text  # the step ran and raised nothing
    assert leaks(secrets_of(demo), [demo / "runs"], [done.stdout, done.stderr]) == []


@pytest.mark.notebook
@pytest.mark.parametrize(
    ("wanted", "subcommand", "says"),
    [("status", "status", "06"), ("scenarios", "scenarios", "trial"), ("run --only", "run", "01")],
)
def test_the_cli_commands_run_as_written_after_make_demo(
    demo: Path, wanted: str, subcommand: str, says: str
) -> None:
    def test(words: list[str]) -> bool:
        return is_cli(words, subcommand) and (wanted != "run --only" or "--only" in words)

    done = shell(demo, the_command(wanted, test))
    assert done.returncode == 0, said(done)
    assert says in done.stdout.lower(), said(done)
    assert leaks(secrets_of(demo), [], [done.stdout, done.stderr]) == []


@pytest.mark.notebook
def test_with_no_env_file_the_papermill_example_names_its_full_path(demo: Path) -> None:
    env_file = demo / ".env.sandbox"
    aside = demo.parent / "env-file-aside"
    shutil.move(env_file, aside)
    try:
        done = shell(demo, papermill_example())
        assert not env_file.exists()  # nothing half-written in its place
    finally:
        shutil.move(aside, env_file)
    assert done.returncode != 0, said(done)
    words = " ".join((done.stdout + done.stderr).split())
    assert f"The env file {env_file} does not exist" in words, said(done)
    assert "Run step 00 first" in words and "give env_file the full path" in words, said(done)


# ---------------------------------------------------------------- the message itself, in-process


def test_a_missing_env_file_is_named_where_a_value_from_it_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / ".env.sandbox"
    rb = open_runbook("sandbox", str(missing), str(tmp_path / "state"))
    with pytest.raises(InputError) as caught:
        check_account(rb)  # step 01: the Account SID comes from the env file
    assert caught.value.field == "Account SID"
    assert f"is empty. The env file {missing} does not exist" in str(caught.value)
    assert "Run step 00 first" in caught.value.advice
    assert not missing.exists()  # nothing written in its place


def test_live_names_step_01_and_step_01_itself_says_only_what_is_wrong(tmp_path: Path) -> None:
    missing = tmp_path / ".env"
    rb = open_runbook("live", str(missing), str(tmp_path / "state"))
    with pytest.raises(StepBlocked) as blocked:
        set_up_api_key(rb)  # step 02: needs the account saved by 01
    assert f"The env file {missing} does not exist" in str(blocked.value)
    assert "Run step 01 first" in blocked.value.advice
    with pytest.raises(InputError) as caught:
        check_account(rb)  # step 01 writes the file: "is empty" is the whole story there
    assert caught.value.field == "Account SID" and "does not exist" not in str(caught.value)
    assert not missing.exists()


def test_an_env_file_that_exists_adds_nothing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.sandbox"
    env_file.write_text("")
    rb = open_runbook("sandbox", str(env_file), str(tmp_path / "state"))
    with pytest.raises(InputError) as caught:
        check_account(rb)
    assert str(caught.value).startswith("Account SID: is empty.")
    assert "env file" not in str(caught.value)
