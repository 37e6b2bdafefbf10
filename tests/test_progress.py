import json
import multiprocessing

import pytest

from onboarding_helpers import locks
from onboarding_helpers.display import board_panel
from onboarding_helpers.errors import StateLocked
from onboarding_helpers.journal import (
    AccountRecord,
    ApiKeyRecord,
    KeyCreated,
    KeyRevoked,
    KeyVerified,
    SandboxAccountProvisioned,
    StartRecord,
    UnknownEvent,
)
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.steps.registry import ACCOUNT, API_KEY, SECRET_KEY, START

KEY = "SK" + "2" * 32


def test_record_and_read_back(tmp_path):
    progress = ProgressRecord(tmp_path / "state")
    progress.save(ACCOUNT, AccountRecord(status="done", account_sid="AC" + "1" * 32))
    record = progress.read(ACCOUNT)
    assert record.done and record.account_sid == "AC" + "1" * 32 and record.at
    assert progress.read(API_KEY) == ApiKeyRecord()  # never ran: an empty record
    assert not progress.read(API_KEY).done
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700


def test_a_step_keeps_only_its_own_kind_of_record(tmp_path):
    progress = ProgressRecord(tmp_path)
    with pytest.raises(TypeError, match="AccountRecord"):
        progress.save(ACCOUNT, StartRecord(status="done"))
    assert not progress.progress_path.exists()


def test_journal_is_append_only_and_survives_a_torn_line(tmp_path):
    progress = ProgressRecord(tmp_path)
    logged = progress.log(API_KEY, KeyCreated(key_sid=KEY))
    assert (logged.step, logged.key_sid) == (API_KEY.id, KEY) and logged.at
    with open(progress.journal_path, "a") as f:
        f.write('{"at": "torn')  # a run killed mid-write
    progress.log(API_KEY, KeyVerified(key_sid=KEY))
    events = progress.events(step=API_KEY)
    assert [type(e) for e in events] == [KeyCreated, KeyVerified]


def test_events_are_read_back_by_kind_and_step(tmp_path):
    progress = ProgressRecord(tmp_path)
    progress.log(START, SandboxAccountProvisioned(account_sid="AC" + "1" * 32))
    progress.log(API_KEY, KeyCreated(key_sid=KEY))
    progress.log(SECRET_KEY, KeyVerified(key_sid=KEY))
    progress.log(API_KEY, KeyRevoked(key_sid=KEY, reason="replaced"))
    assert [type(e) for e in progress.events(KeyCreated, KeyRevoked)] == [KeyCreated, KeyRevoked]
    assert [type(e) for e in progress.events(KeyVerified, step=API_KEY)] == []
    steps = [e.step for e in progress.events()]
    assert steps == [step.id for step in (START, API_KEY, SECRET_KEY, API_KEY)]


def test_a_journal_written_by_an_earlier_version_reads_back_typed(tmp_path):
    # Lines as earlier versions wrote them: matched by the action's text, once, on reading.
    lines = [
        {"at": "t1", "step": API_KEY.id, "action": "created key", "key_sid": KEY, "extra": 1},
        {"at": "t2", "step": API_KEY.id, "action": "a newer version's action", "n": 2},
    ]
    progress = ProgressRecord(tmp_path)
    progress.journal_path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    created, unknown = progress.events(step=API_KEY)
    assert isinstance(created, KeyCreated) and created.key_sid == KEY and created.at == "t1"
    assert isinstance(unknown, UnknownEvent) and unknown.to_json()["n"] == 2
    assert progress.events(KeyCreated, KeyRevoked) == [created]  # an unknown kind matches none


@pytest.mark.parametrize("where", ["record", "journal"])
def test_secret_looking_values_are_refused(tmp_path, where):
    progress = ProgressRecord(tmp_path)
    secret = "Ab3" * 10 + "xy"
    with pytest.raises(ValueError, match="secret-looking"):
        if where == "record":
            progress.save(API_KEY, ApiKeyRecord(status="done", friendly_name=secret))
        else:
            progress.log(API_KEY, KeyCreated(friendly_name=f"secret={secret}"))
    assert not any(secret in p.read_text() for p in tmp_path.iterdir() if p.is_file())


def test_board_lists_every_step(tmp_path):
    progress = ProgressRecord(tmp_path)
    progress.save(START, StartRecord(status="done", mode="sandbox"))
    rows = progress.board()
    assert rows[0]["status"] == "done"
    assert rows[1]["status"] == "to do"
    assert any(r["status"] == "optional" for r in rows)
    text = str(board_panel(progress))  # what ``status`` prints
    assert ACCOUNT.id in text and "Status" in text and "✔ done" in text


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
    with pytest.raises(StateLocked) as caught:
        wait_for_kernels(tmp_path, timeout=0.2)
    assert "kernel" in caught.value.message and str(tmp_path) in caught.value.message
    started = time.monotonic()
    wait_for_kernels(tmp_path, timeout=10)  # returns once the kernel has exited
    assert not kernel.is_alive() or time.monotonic() - started < 10
    kernel.join(5)
    assert kernel.exitcode == 0
