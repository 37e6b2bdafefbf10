"""Nothing the runbook writes can take the secret with it: no write through a link it did not
make, no file that is not an env file taken for one, nothing kept that was meant to be forgotten
(issue "The file system and the class cannot take the secret"). In-process, each at the cheapest
level that shows it; the headless-run cases are in tests/test_adversarial.py.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dotenv import dotenv_values

from onboarding_helpers import locks
from onboarding_helpers.credential_copies import keep_tidy, tidy_copies
from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.errors import InputError
from onboarding_helpers.files import UnsafePath
from onboarding_helpers.journal import CredentialCopiesTidied, CredentialLinesMerged, KeyRevoked
from onboarding_helpers.progress import ProgressRecord, hold_for_kernel
from onboarding_helpers.report import write_report
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.steps.handoff import remove_auth_token
from onboarding_helpers.steps.registry import API_KEY, ROTATE_KEY

from .conftest import ROOT

ACCOUNT = "AC" + "a" * 32
TOKEN = "t0ken" * 6 + "xy"
OLD_KEY, OLD_SECRET = "SK" + "1" * 32, "oldSecretOldSecretOldSecret12345"
NEW_KEY, NEW_SECRET = "SK" + "2" * 32, "newSecretNewSecretNewSecret12345"


def _env(folder: Path, text: str) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / ".env"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def _state(path: Path) -> tuple[bytes, int, int]:
    info = os.stat(path)
    return path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_nlink


def _runbook(tmp_path: Path, env_file: Path) -> Runbook:
    # Live mode: the store then takes an unmarked file as it is (sandbox mode would refuse it).
    return Runbook(Settings("live", env_file, tmp_path / "state", tmp_path / "sandbox", None))


# ---------------------------------------------------------------- links where the runbook writes


@pytest.mark.parametrize("which", ["env lock", "state lock"])
def test_a_link_where_a_lock_goes_is_refused_and_the_env_file_keeps_its_secret(tmp_path, which):
    env = _env(tmp_path / "creds", f"{API_KEY_SECRET}={OLD_SECRET}\n")
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    before = _state(env)
    lock = locks.lock_files(env, state)[0 if which == "env lock" else 1]
    lock.symlink_to(env)  # `ln -s .env ..env.lock`: a typo, a dotfile manager
    with pytest.raises(UnsafePath) as caught, locks.hold(env, state, "headless run"):
        pass
    assert str(lock) in str(caught.value) and "symbolic link" in str(caught.value)
    assert _state(env) == before


def test_a_hard_link_where_a_lock_goes_is_refused(tmp_path):
    env = _env(tmp_path / "creds", f"{API_KEY_SECRET}={OLD_SECRET}\n")
    before = _state(env)
    os.link(env, locks.lock_files(env, tmp_path / "state")[0])
    with pytest.raises(UnsafePath, match="hard links"), locks.hold(env, tmp_path / "state", "x"):
        pass
    assert env.read_bytes() == before[0]


def test_the_lock_still_names_its_holder_and_refuses_a_second_one(tmp_path):
    env = _env(tmp_path / "creds", "")
    script = (
        "import sys, time; from onboarding_helpers import locks;"
        "cm = locks.hold(sys.argv[1], sys.argv[2], 'headless run'); cm.__enter__();"
        "print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(env), str(tmp_path / "state")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(locks.StateLocked) as caught, locks.hold(env, tmp_path / "state", "y"):
            pass
        message = caught.value.message  # the holder: its pid, and what it said it is
        assert f"pid {holder.pid}" in message and "headless run" in message
    finally:
        holder.kill()
        holder.wait()
    with locks.hold(env, tmp_path / "state", "step 02"):  # free again once the holder is gone
        pass


def test_a_folder_other_users_can_write_is_named_as_unsafe(tmp_path):
    shared = tmp_path / "shared"
    env = _env(shared, f"{API_KEY_SECRET}={OLD_SECRET}\n")
    os.chmod(shared, 0o777)
    with pytest.raises(UnsafePath) as caught, locks.hold(env, tmp_path / "state", "x"):
        pass
    assert str(shared) in str(caught.value) and "every user" in str(caught.value)
    with pytest.raises(UnsafePath):
        CredentialStore(env).check_mode()
    assert not locks.lock_files(env, tmp_path / "state")[0].exists()


def test_the_journal_the_progress_record_and_the_report_refuse_links(tmp_path):
    victim = _env(tmp_path / "creds", f"{API_KEY_SECRET}={OLD_SECRET}\n")
    before = _state(victim)
    progress = ProgressRecord(tmp_path / "state")
    (tmp_path / "state").mkdir(mode=0o700)
    progress.journal_path.symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        progress.log(API_KEY, KeyRevoked(key_sid=OLD_KEY))
    progress.journal_path.unlink()
    progress.progress_path.symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        progress.all_steps()
    progress.progress_path.unlink()
    (tmp_path / "state" / "kernels.lock").symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        hold_for_kernel(tmp_path / "state")
    report = tmp_path / "state" / "report.md"
    report.symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        write_report(_runbook(tmp_path, victim), report)
    assert _state(victim) == before


# ---------------------------------------------------------------- the env file itself


def test_a_linked_env_file_is_written_through_and_the_link_kept(tmp_path):
    vault = _env(tmp_path / "vault", f"{API_KEY_SID}={OLD_KEY}\n{API_KEY_SECRET}={OLD_SECRET}\n")
    link = tmp_path / "project" / ".env"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(vault)
    store = CredentialStore(link)
    report = store.save({API_KEY_SID: NEW_KEY, API_KEY_SECRET: NEW_SECRET})
    assert link.is_symlink() and link.resolve() == vault.resolve()
    assert dotenv_values(vault)[API_KEY_SECRET] == NEW_SECRET
    assert report.backup is not None and report.backup.parent == vault.parent  # beside the target
    assert OLD_SECRET in report.backup.read_text()
    assert store.backups() == [report.backup]
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600


def test_a_link_to_nothing_or_to_another_users_file_is_refused(tmp_path):
    link = tmp_path / "project" / ".env"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(tmp_path / "vault" / "missing.env")
    with pytest.raises(UnsafePath, match="does not exist"):
        CredentialStore(link).save({ACCOUNT_SID: ACCOUNT})
    assert not (tmp_path / "vault").exists()
    theirs = _env(tmp_path / "theirs", f"{ACCOUNT_SID}={ACCOUNT}\n")
    os.chown(theirs, 65534, 65534)  # nobody's (the tests run as root where this matters)
    link.unlink()
    link.symlink_to(theirs)
    if os.geteuid() == 0:
        with pytest.raises(UnsafePath, match="belongs to"):
            CredentialStore(link).save({API_KEY_SID: NEW_KEY})
        assert theirs.read_text() == f"{ACCOUNT_SID}={ACCOUNT}\n"


def test_a_file_that_is_not_an_env_file_is_refused_unchanged(tmp_path):
    passwd = tmp_path / "passwd-copy"
    shutil.copyfile("/etc/passwd", passwd)
    os.chmod(passwd, 0o644)
    os.link(passwd, tmp_path / "second-name")
    before = _state(passwd)
    store = CredentialStore(passwd, mode="sandbox")
    for action in (store.values, store.check_mode, lambda: store.save({ACCOUNT_SID: ACCOUNT})):
        with pytest.raises(InputError) as caught:
            action()
        err = caught.value
        assert err.field == "env_file" and str(passwd) in err.problem and "line 1 " in err.problem
        assert ":0:0:" not in str(caught.value)  # a line number, never the line itself
    assert _state(passwd) == before
    assert not list(tmp_path.glob("*.backup-*"))


def test_a_fifo_as_the_env_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / ".env"
    os.mkfifo(fifo, 0o600)
    errors: list[BaseException] = []
    reader = threading.Thread(
        target=lambda: errors.extend(_raised(CredentialStore(fifo).values)), daemon=True
    )
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO waits for a writer that never comes"
    assert isinstance(errors[0], UnsafePath) and "not a regular file" in str(errors[0])


def _raised(action) -> list[BaseException]:
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - handed to the test thread
        return [exc]
    return []


def test_a_hard_linked_env_file_is_refused_before_it_is_replaced(tmp_path):
    env = _env(tmp_path / "creds", f"{API_KEY_SECRET}={OLD_SECRET}\n")
    os.link(env, tmp_path / "creds" / "vault.env")
    with pytest.raises(UnsafePath, match="hard links"):
        CredentialStore(env).save({API_KEY_SECRET: NEW_SECRET})
    assert os.stat(env).st_nlink == 2 and env.read_text() == f"{API_KEY_SECRET}={OLD_SECRET}\n"


# ---------------------------------------------------------------- one line per name


def test_an_empty_duplicate_line_is_merged_so_every_reader_reads_the_secret(tmp_path):
    env = _env(
        tmp_path / "creds",
        f"{ACCOUNT_SID}={ACCOUNT}\n{API_KEY_SECRET}={OLD_SECRET}\n{API_KEY_SECRET}=\n",
    )
    rb = _runbook(tmp_path, env)
    said = keep_tidy(rb, API_KEY)
    assert env.read_text().count(f"{API_KEY_SECRET}=") == 1
    assert dotenv_values(env)[API_KEY_SECRET] == OLD_SECRET
    sourced = subprocess.run(
        ["bash", "-c", f'set -a; . "$1"; printf %s "${API_KEY_SECRET}"', "-", str(env)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sourced.stdout == OLD_SECRET
    assert said and API_KEY_SECRET in said[0] and OLD_SECRET not in said[0]
    assert rb.progress.events(CredentialLinesMerged)[0].names == [API_KEY_SECRET]
    assert not rb.store.backups()  # only an empty value went


def test_a_duplicate_with_another_value_is_merged_with_a_backup(tmp_path):
    env = _env(
        tmp_path / "creds", f"{API_KEY_SECRET}={OLD_SECRET}\n{API_KEY_SECRET}={NEW_SECRET}\n"
    )
    rb = _runbook(tmp_path, env)
    keep_tidy(rb, API_KEY)
    assert dotenv_values(env)[API_KEY_SECRET] == NEW_SECRET
    assert OLD_SECRET in rb.store.backups()[0].read_text()


# ---------------------------------------------------------------- copies keep only what is needed


def _rotated(tmp_path: Path) -> tuple[Runbook, Path]:
    """An env file whose key was replaced: its backup holds the old pair and the Auth Token."""
    env = _env(
        tmp_path / "creds",
        f"{ACCOUNT_SID}={ACCOUNT}\n{AUTH_TOKEN}={TOKEN}\n"
        f"{API_KEY_SID}={OLD_KEY}\n{API_KEY_SECRET}={OLD_SECRET}\n",
    )
    rb = _runbook(tmp_path, env)
    backup = rb.store.save({API_KEY_SID: NEW_KEY, API_KEY_SECRET: NEW_SECRET}).backup
    assert backup is not None
    return rb, backup


def test_an_unrevoked_old_secret_stays_in_its_backup(tmp_path):
    rb, backup = _rotated(tmp_path)
    assert not tidy_copies(rb.store, revoked_keys=[NEW_KEY])
    assert OLD_SECRET in backup.read_text()  # Postman may still use the old key


def test_a_revoked_keys_secret_leaves_every_backup(tmp_path):
    rb, backup = _rotated(tmp_path)
    rb.progress.log(ROTATE_KEY, KeyRevoked(key_sid=OLD_KEY, reason="rotated"))
    keep_tidy(rb, ROTATE_KEY)
    # What is left (account and token) is in the env file too: the backup went altogether.
    assert not backup.exists()
    event = rb.progress.events(CredentialCopiesTidied)[0]
    assert event.deleted == [str(backup)]


def test_forgetting_the_auth_token_takes_it_out_of_every_copy_and_says_which(tmp_path):
    rb, backup = _rotated(tmp_path)
    rescue = rb.store.rescue_file(NEW_KEY)
    rescue.write_text(f"{AUTH_TOKEN}={TOKEN}\n{API_KEY_SID}={NEW_KEY}\n")
    removal = remove_auth_token(rb)
    assert removal.removed and rb.store.get(AUTH_TOKEN) is None
    assert removal.from_copies == (str(backup),)  # the old pair stays: not revoked
    assert removal.deleted_copies == (str(rescue),)  # nothing else in it the env file lacks
    for copy in rb.store.copies():
        assert TOKEN not in copy.read_text()
    assert OLD_SECRET in backup.read_text()


def test_gitignore_covers_every_file_the_runbook_writes_beside_an_env_file(tmp_path):
    # The project's .gitignore in a repository of its own: the checkout may be an export.
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    for env in (ROOT / ".env.sandbox", ROOT / ".env", ROOT / "creds" / "postman.env"):
        store = CredentialStore(env)
        written = [
            *locks.lock_files(env, ROOT / ".runbook"),
            store.rescue_file(NEW_KEY),
            env.with_name(f"{env.name}.backup-20261205T000000Z"),
        ]
        written += [env] if env.parent == ROOT else []  # the defaults; another name is yours
        for path in written:
            relative = path.relative_to(ROOT)
            found = subprocess.run(
                ["git", "check-ignore", "-q", "--no-index", relative], cwd=tmp_path
            )
            assert found.returncode == 0, f"git would not ignore {relative}"
