import json
import multiprocessing

import pytest

from onboarding_helpers import locks
from onboarding_helpers.errors import StateLocked
from onboarding_helpers.progress import ProgressRecord, format_board


def test_record_and_read_back(tmp_path):
    progress = ProgressRecord(tmp_path / "state")
    progress.record("01_account_sid", "done", account_sid="AC" + "1" * 32)
    assert progress.step("01_account_sid")["account_sid"] == "AC" + "1" * 32
    assert progress.step("02_api_key") == {}
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700


def test_journal_is_append_only_and_survives_a_torn_line(tmp_path):
    progress = ProgressRecord(tmp_path)
    progress.journal("02_api_key", "created key", key_sid="SK" + "2" * 32)
    with open(progress.journal_path, "a") as f:
        f.write('{"at": "torn')  # a run killed mid-write
    progress.journal("02_api_key", "verified key", key_sid="SK" + "2" * 32)
    entries = progress.journal_entries("02_api_key")
    assert [e["action"] for e in entries] == ["created key", "verified key"]


@pytest.mark.parametrize("where", ["record", "journal"])
def test_secret_looking_values_are_refused(tmp_path, where):
    progress = ProgressRecord(tmp_path)
    secret = "Ab3" * 10 + "xy"
    with pytest.raises(ValueError, match="secret-looking"):
        if where == "record":
            progress.record("02_api_key", "done", note=secret)
        else:
            progress.journal("02_api_key", "created", note=f"secret={secret}")
    assert not any(secret in p.read_text() for p in tmp_path.iterdir() if p.is_file())


def test_board_lists_every_step(tmp_path):
    progress = ProgressRecord(tmp_path)
    progress.record("00_start_here", "done", mode="sandbox")
    rows = progress.board()
    assert rows[0]["status"] == "done"
    assert rows[1]["status"] == "to do"
    assert any(r["status"] == "optional" for r in rows)
    assert "01_account_sid" in format_board(rows)


def _try_lock(state_dir, queue):
    try:
        with locks.hold(state_dir / ".env", state_dir, "second run"):
            queue.put("got it")
    except StateLocked as err:
        queue.put(str(err))


def test_second_run_is_refused_while_the_first_holds_the_lock(tmp_path):
    progress = ProgressRecord(tmp_path)
    queue = multiprocessing.get_context("fork").Queue()
    with locks.hold(tmp_path / ".env", tmp_path, "first run"):
        proc = multiprocessing.get_context("fork").Process(target=_try_lock, args=(tmp_path, queue))
        proc.start()
        proc.join(10)
        message = queue.get(timeout=5)
        assert "Another runbook run" in message and "first run" in message
    proc = multiprocessing.get_context("fork").Process(target=_try_lock, args=(tmp_path, queue))
    proc.start()
    proc.join(10)
    assert queue.get(timeout=5) == "got it"
    json.dumps(progress.all_steps())


def _kernel_like(state_dir, seconds):
    import time

    from onboarding_helpers.progress import hold_for_kernel

    hold_for_kernel(state_dir)
    time.sleep(seconds)


def test_a_new_run_waits_for_the_kernels_of_a_killed_one(tmp_path):
    import time

    from onboarding_helpers.progress import wait_for_kernels

    ctx = multiprocessing.get_context("fork")
    kernel = ctx.Process(target=_kernel_like, args=(tmp_path, 1.0))
    kernel.start()
    time.sleep(0.3)  # the kernel holds the folder now
    with pytest.raises(StateLocked, match="notebook kernel of an earlier run"):
        wait_for_kernels(tmp_path, timeout=0.2)
    started = time.monotonic()
    wait_for_kernels(tmp_path, timeout=10)  # returns once the kernel has exited
    assert not kernel.is_alive() or time.monotonic() - started < 10
    kernel.join(5)
    assert kernel.exitcode == 0
