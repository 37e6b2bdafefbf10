"""The credential store never loses a value: duplicates, backups, mode markers, bad paths."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding_helpers import credentials
from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MARKERS,
    CredentialFileMismatch,
    CredentialStore,
    SaveReport,
)
from onboarding_helpers.env_text import format_line
from onboarding_helpers.errors import InputError

SID = "AC" + "1" * 32
KEY = "SK" + "2" * 32
OLD_SECRET = "oldSecret" + "o" * 23
NEW_SECRET = "newSecret" + "n" * 23
BACKUP_NAME = re.compile(r"\.env\.backup-\d{8}T\d{6}Z(-\d+)?")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def every_value(path: Path) -> list[tuple[str, str]]:
    """(name, value) of every line of a file, duplicates included."""
    text = path.read_text(encoding="utf-8")
    return [(b.key, b.value or "") for b in parse_stream(io.StringIO(text)) if b.key]


def lines_named(path: Path, name: str) -> int:
    return sum(1 for key, _ in every_value(path) if key == name)


def env_example() -> str:
    # A fixed copy of the template's shape (the real .env.example changes with the docs).
    return (
        "# Credential store for the Postman SMS onboarding runbook.\n"
        "\n"
        "# Step 01: your Account SID (AC + 32 characters).\n"
        "TWILIO_ACCOUNT_SID=\n"
        "# Step 01: the Auth Token beside it.\n"
        "TWILIO_AUTH_TOKEN=\n"
        "# Step 02: the SID of the Standard API key Postman uses.\n"
        "TWILIO_API_KEY_SID=\n"
        "# Step 02/03: the API key's secret. Twilio shows it ONCE.\n"
        "TWILIO_API_KEY_SECRET=\n"
        "# Step 04: the Messaging Service SID.\n"
        "TWILIO_MESSAGING_SERVICE_SID=\n"
        "\n"
        "# ONBOARDING_MODE=sandbox\n"
    )


@pytest.fixture
def appended(tmp_path: Path) -> CredentialStore:
    """A working .env with .env.example appended after it: an empty duplicate of every name."""
    path = tmp_path / ".env"
    path.write_text(
        f"{ACCOUNT_SID}={SID}\n{API_KEY_SID}={KEY}\n{API_KEY_SECRET}={OLD_SECRET}\n" + env_example()
    )
    os.chmod(path, 0o600)
    return CredentialStore(path)


# ---------------------------------------------------------------- duplicates


def test_empty_duplicate_never_hides_the_secret(appended: CredentialStore) -> None:
    assert appended.values()[API_KEY_SECRET] == OLD_SECRET
    assert appended.get(ACCOUNT_SID) == SID
    assert appended.secrets() == [OLD_SECRET]
    duplicates = appended.duplicates()
    assert duplicates[API_KEY_SECRET][0] == 3
    assert len(duplicates[API_KEY_SECRET]) == 2
    assert set(duplicates) >= {ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET}


def test_new_secret_writes_one_line_and_backs_up_the_old(appended: CredentialStore) -> None:
    before = appended.path.read_bytes()
    report = appended.save({API_KEY_SECRET: NEW_SECRET})
    assert lines_named(appended.path, API_KEY_SECRET) == 1
    assert appended.get(API_KEY_SECRET) == NEW_SECRET
    assert report.replaced == (API_KEY_SECRET,)
    assert report.merged == (API_KEY_SECRET,)
    assert report.backup is not None and report.backup == appended.backups()[-1]
    assert report.backup.read_bytes() == before
    assert (API_KEY_SECRET, OLD_SECRET) in every_value(report.backup)
    assert OLD_SECRET not in appended.path.read_text()
    # The secret line stays where the valid secret was (line 3), not at the template's place.
    assert appended.path.read_text().splitlines()[2] == f"{API_KEY_SECRET}={NEW_SECRET}"
    # Untouched names keep their duplicate lines.
    assert lines_named(appended.path, ACCOUNT_SID) == 2
    assert appended.get(ACCOUNT_SID) == SID


def test_same_secret_again_merges_without_backup(appended: CredentialStore) -> None:
    report = appended.save({API_KEY_SECRET: OLD_SECRET})
    assert report == SaveReport(backup=None, replaced=(), merged=(API_KEY_SECRET,))
    assert appended.backups() == []
    assert lines_named(appended.path, API_KEY_SECRET) == 1
    assert appended.get(API_KEY_SECRET) == OLD_SECRET


def test_duplicates_with_export_spaces_and_comments(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# my notes\n"
        f"export {AUTH_TOKEN}=firstToken\n"
        "\n"
        f"{AUTH_TOKEN} = secondToken # the one from the console\n"
        f"  {AUTH_TOKEN}=   # emptied by hand\n"
        "OTHER=1\n"
    )
    store = CredentialStore(path)
    assert store.values() == {AUTH_TOKEN: "secondToken", "OTHER": "1"}
    assert store.duplicates() == {AUTH_TOKEN: [2, 4, 5]}
    report = store.save({AUTH_TOKEN: "thirdToken"})
    assert report.replaced == (AUTH_TOKEN,) and report.merged == (AUTH_TOKEN,)
    assert path.read_text() == (
        f"# my notes\n\n{AUTH_TOKEN}=thirdToken\nOTHER=1\n"
    )  # one line, where the counting occurrence was; blank line kept
    backed_up = {v for k, v in every_value(report.backup) if k == AUTH_TOKEN}
    assert backed_up == {"firstToken", "secondToken", ""}
    assert store.duplicates() == {}


def test_export_of_the_counting_line_is_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{AUTH_TOKEN}=\nexport {AUTH_TOKEN}=kept\n")
    CredentialStore(path).save({AUTH_TOKEN: "changed"})
    assert path.read_text() == f"export {AUTH_TOKEN}=changed\n"


def test_two_different_values_last_non_empty_counts(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{API_KEY_SECRET}=firstValue\nA=1\n{API_KEY_SECRET}=secondValue\n")
    store = CredentialStore(path)
    assert store.get(API_KEY_SECRET) == "secondValue"
    assert set(store.secrets()) == {"firstValue", "secondValue"}  # audits check both
    report = store.save({API_KEY_SECRET: "thirdValue"})
    assert report.backup is not None
    kept = {v for k, v in every_value(report.backup) if k == API_KEY_SECRET}
    assert kept == {"firstValue", "secondValue"}
    assert path.read_text() == f"A=1\n{API_KEY_SECRET}=thirdValue\n"


def test_dropping_a_different_duplicate_backs_up_even_if_the_count_is_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{API_KEY_SECRET}=olderValue\n{API_KEY_SECRET}=currentValue\n")
    report = CredentialStore(path).save({API_KEY_SECRET: "currentValue"})
    assert report.replaced == () and report.merged == (API_KEY_SECRET,)
    assert report.backup is not None
    assert (API_KEY_SECRET, "olderValue") in every_value(report.backup)


def test_line_numbers_count_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text('NOTE="one\ntwo"\nB=1\n\n# c\nB=2\n')
    assert CredentialStore(path).duplicates() == {"B": [3, 6]}


def test_values_are_literal_no_interpolation(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / ".env")
    tricky = 'pa$$ ${HOME} "d" #x'
    store.save({AUTH_TOKEN: tricky})
    assert store.get(AUTH_TOKEN) == tricky
    # Both kinds of quote and a backslash: no quoting gives python-dotenv and the shell the same
    # value, so the store refuses it rather than write a line readers disagree on.
    with pytest.raises(ValueError):
        store.save({AUTH_TOKEN: "pa$$ 'q' \"d\" \\"})
    assert store.get(AUTH_TOKEN) == tricky
    (tmp_path / ".env").write_text("X=${HOME}\n")
    assert store.get("X") == "${HOME}"


# ---------------------------------------------------------------- backups


def test_backup_is_0600_exact_copy_and_named_by_utc_time(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"# keep me\n{AUTH_TOKEN}=oldToken\n")
    os.chmod(path, 0o644)
    before = path.read_bytes()
    report = CredentialStore(path).save({AUTH_TOKEN: "newToken"})
    assert report.backup is not None
    assert BACKUP_NAME.fullmatch(report.backup.name)
    assert report.backup.parent == tmp_path
    assert mode_of(report.backup) == 0o600
    assert mode_of(path) == 0o600
    assert report.backup.read_bytes() == before
    stamp = report.backup.name.split("backup-")[1][:16]
    taken = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - taken).total_seconds()) < 120


def test_backups_in_the_same_second_get_numbers(tmp_path: Path, monkeypatch) -> None:
    fixed = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    monkeypatch.setattr(credentials, "datetime", Frozen)
    store = CredentialStore(tmp_path / ".env")
    for value in ("v1", "v2", "v3", "v4"):
        store.save({AUTH_TOKEN: value})
    names = [p.name for p in store.backups()]
    assert names == [
        ".env.backup-20240506T070809Z",
        ".env.backup-20240506T070809Z-2",
        ".env.backup-20240506T070809Z-3",
    ]
    held = [dict(every_value(p))[AUTH_TOKEN] for p in store.backups()]
    assert held == ["v1", "v2", "v3"]


def test_backups_sorted_newest_last(tmp_path: Path) -> None:
    for name in (
        ".env.backup-20240101T000000Z-10",
        ".env.backup-20240101T000000Z",
        ".env.backup-20231231T235959Z",
        ".env.backup-20240101T000000Z-2",
        ".env.sandbox.backup-20250101T000000Z",
        ".env.backup-notadate",
    ):
        (tmp_path / name).write_text("")
    assert [p.name for p in CredentialStore(tmp_path / ".env").backups()] == [
        ".env.backup-20231231T235959Z",
        ".env.backup-20240101T000000Z",
        ".env.backup-20240101T000000Z-2",
        ".env.backup-20240101T000000Z-10",
    ]
    assert CredentialStore(tmp_path / "missing" / ".env").backups() == []


def test_no_backup_for_additions_or_filling_empty_lines(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(env_example())
    store = CredentialStore(path)
    report = store.save({ACCOUNT_SID: SID, AUTH_TOKEN: "tokenValue"})
    assert report == SaveReport()
    report = store.save({API_KEY_SID: KEY, API_KEY_SECRET: NEW_SECRET, "EXTRA": "x"})
    assert report == SaveReport()
    assert store.backups() == []
    assert store.get(API_KEY_SECRET) == NEW_SECRET
    assert lines_named(path, API_KEY_SECRET) == 1
    assert "# ONBOARDING_MODE=sandbox" in path.read_text()  # comments survive


def test_emptying_a_value_is_a_replacement(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / ".env")
    store.save({API_KEY_SECRET: NEW_SECRET})
    report = store.save({API_KEY_SECRET: ""})
    assert report.replaced == (API_KEY_SECRET,)
    assert (API_KEY_SECRET, NEW_SECRET) in every_value(report.backup)
    assert store.get(API_KEY_SECRET) is None


def test_remove_is_deliberate_and_says_what_went(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{AUTH_TOKEN}=a\nOTHER=1\n{AUTH_TOKEN}=b\n{API_KEY_SID}={KEY}\n")
    os.chmod(path, 0o644)
    store = CredentialStore(path)
    assert store.remove(AUTH_TOKEN, API_KEY_SECRET, AUTH_TOKEN) == (AUTH_TOKEN,)
    assert path.read_text() == f"OTHER=1\n{API_KEY_SID}={KEY}\n"
    assert mode_of(path) == 0o600
    assert store.backups() == []
    assert CredentialStore(tmp_path / "none").remove(AUTH_TOKEN) == ()


# ---------------------------------------------------------------- mode markers


def test_sandbox_store_marks_a_new_file(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / ".env.sandbox", mode="sandbox")
    assert store.file_mode() is None
    store.check_mode()  # nothing there yet: fine
    store.save({ACCOUNT_SID: SID, AUTH_TOKEN: "tokenValue"})
    assert store.path.read_text().splitlines()[0] == MARKERS["sandbox"]
    assert store.file_mode() == "sandbox"
    assert store.values() == {ACCOUNT_SID: SID, AUTH_TOKEN: "tokenValue"}
    store.save({AUTH_TOKEN: "other"})  # its own file: allowed, marker not repeated
    assert store.path.read_text().count("postman-onboarding-runbook") == 1
    assert "mode='sandbox'" in repr(store)


def test_sandbox_store_refuses_a_live_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    CredentialStore(path, mode="live").save({ACCOUNT_SID: SID, API_KEY_SECRET: OLD_SECRET})
    assert path.read_text().splitlines()[0] == MARKERS["live"]
    before = path.read_bytes()
    sandbox = CredentialStore(path, mode="sandbox")
    with pytest.raises(CredentialFileMismatch) as caught:
        sandbox.save({ACCOUNT_SID: "AC" + "9" * 32})
    err = caught.value
    assert isinstance(err, InputError)
    assert err.field == "env_file" and err.env_file == path
    assert str(path) in str(err) and ".env.sandbox" in str(err)
    assert OLD_SECRET not in str(err)
    assert path.read_bytes() == before
    with pytest.raises(CredentialFileMismatch):
        sandbox.check_mode()
    with pytest.raises(CredentialFileMismatch):
        sandbox.remove(API_KEY_SECRET)
    assert path.read_bytes() == before
    assert sandbox.values()[API_KEY_SECRET] == OLD_SECRET  # reading is still allowed


def test_sandbox_store_refuses_an_unmarked_file_with_values(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{ACCOUNT_SID}={SID}\n{API_KEY_SECRET}={OLD_SECRET}\n")
    before = path.read_bytes()
    store = CredentialStore(path, mode="sandbox")
    with pytest.raises(CredentialFileMismatch) as caught:
        store.save({AUTH_TOKEN: "practice"})
    message = str(caught.value)
    assert str(path) in message and ".env.sandbox" in message
    assert "delete" in message and API_KEY_SECRET in message
    assert SID in message  # the account, to recognise it by: the SID is no secret
    assert "cannot be recovered" in message
    assert OLD_SECRET not in message
    assert path.read_bytes() == before
    with pytest.raises(CredentialFileMismatch):
        store.check_mode()
    # Removing the lines is the way out; then the file is claimed for practice.
    assert store.remove(ACCOUNT_SID, API_KEY_SECRET) == (ACCOUNT_SID, API_KEY_SECRET)
    store.save({AUTH_TOKEN: "practice"})
    assert store.file_mode() == "sandbox"


def test_sandbox_store_claims_an_unmarked_file_without_values(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(env_example())
    store = CredentialStore(path, mode="sandbox")
    store.check_mode()
    store.save({ACCOUNT_SID: SID})
    assert path.read_text().startswith(MARKERS["sandbox"] + "\n# Credential store")
    assert store.file_mode() == "sandbox"


def test_live_store_refuses_a_sandbox_file(tmp_path: Path) -> None:
    path = tmp_path / ".env.sandbox"
    CredentialStore(path, mode="sandbox").save({API_KEY_SECRET: OLD_SECRET})
    before = path.read_bytes()
    live = CredentialStore(path, mode="live")
    with pytest.raises(CredentialFileMismatch) as caught:
        live.save({API_KEY_SECRET: NEW_SECRET})
    assert str(path) in str(caught.value) and OLD_SECRET not in str(caught.value)
    assert NEW_SECRET not in str(caught.value)
    with pytest.raises(CredentialFileMismatch):
        live.check_mode()
    assert path.read_bytes() == before


def test_live_store_keeps_an_existing_unmarked_live_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{ACCOUNT_SID}={SID}\n")
    live = CredentialStore(path, mode="live")
    live.check_mode()
    live.save({AUTH_TOKEN: "tokenValue"})
    assert "postman-onboarding-runbook" not in path.read_text()
    assert live.file_mode() is None


def test_no_mode_means_no_marker_checks(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    CredentialStore(path, mode="sandbox").save({AUTH_TOKEN: "practice"})
    plain = CredentialStore(path)
    plain.check_mode()
    plain.save({AUTH_TOKEN: "whatever"})
    fresh = CredentialStore(tmp_path / "fresh.env")
    fresh.save({AUTH_TOKEN: "x"})
    assert fresh.path.read_text() == f"{AUTH_TOKEN}=x\n"
    assert repr(fresh) == f"CredentialStore({str(fresh.path)!r})"


def test_both_markers_read_as_live(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{MARKERS['sandbox']}\nA=1\n{MARKERS['live']}\nB=2\n")
    assert CredentialStore(path).file_mode() == "live"
    for mode in ("sandbox", "live"):
        with pytest.raises(CredentialFileMismatch):
            CredentialStore(path, mode=mode).check_mode()


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        CredentialStore(tmp_path / ".env", mode="production")


# ---------------------------------------------------------------- bad paths


def assert_names_path(err: InputError, path: Path) -> None:
    assert err.field == "env_file"
    assert str(path) in str(err)
    assert err.fix  # says what to do


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.mkdir()
    store = CredentialStore(path)
    for action in (store.values, store.duplicates, store.file_mode, store.check_mode):
        with pytest.raises(InputError) as caught:
            action()
        assert_names_path(caught.value, path)
        assert "folder" in str(caught.value)
    with pytest.raises(InputError):
        store.get(AUTH_TOKEN)
    with pytest.raises(InputError):
        store.save({AUTH_TOKEN: NEW_SECRET})
    with pytest.raises(InputError):
        store.remove(AUTH_TOKEN)
    assert path.is_dir() and list(path.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temp file, no backup


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    raw = f"OTHER=1\n{API_KEY_SECRET}=".encode() + b"abc\xff\xfeSECRETTAIL\n"
    path.write_bytes(raw)
    store = CredentialStore(path)
    with pytest.raises(InputError) as caught:
        store.values()
    message = str(caught.value)
    assert_names_path(caught.value, path)
    assert "UTF-8" in message and "line 2" in message
    assert "SECRETTAIL" not in message and "abc" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    with pytest.raises(InputError):
        store.save({AUTH_TOKEN: "x"})
    assert path.read_bytes() == raw


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{API_KEY_SECRET}={OLD_SECRET}\n")
    os.chmod(path, 0)
    try:
        store = CredentialStore(path)
        with pytest.raises(InputError) as caught:
            store.values()
        assert_names_path(caught.value, path)
        assert "permission denied" in str(caught.value)
        with pytest.raises(InputError):
            store.save({API_KEY_SECRET: NEW_SECRET})
    finally:
        os.chmod(path, 0o600)
    assert CredentialStore(path).get(API_KEY_SECRET) == OLD_SECRET


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "creds"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        with pytest.raises(InputError) as caught:
            CredentialStore(folder / ".env").save({AUTH_TOKEN: "x"})
        assert_names_path(caught.value, folder / ".env")
    finally:
        os.chmod(folder, 0o700)


def test_permission_denied_is_named_even_as_root(tmp_path: Path, monkeypatch) -> None:
    # The chmod tests above are skipped as root; the mapping itself is checked here.
    path = tmp_path / ".env"
    path.write_text(f"{API_KEY_SECRET}={OLD_SECRET}\n")
    store = CredentialStore(path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(credentials, "read_private", denied)
        with pytest.raises(InputError) as caught:
            store.values()
    assert_names_path(caught.value, path)
    problem = caught.value.problem
    assert "permission denied" in problem and " read " in problem  # which of the two failed
    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "mkstemp", denied)
        with pytest.raises(InputError) as caught:
            store.save({API_KEY_SID: KEY})
    problem = caught.value.problem
    assert "permission denied" in problem and " write " in problem
    assert OLD_SECRET not in str(caught.value)
    assert store.get(API_KEY_SECRET) == OLD_SECRET and store.get(API_KEY_SID) is None


def test_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "creds"
    blocker.write_text("not a folder")
    path = blocker / ".env"
    store = CredentialStore(path)
    with pytest.raises(InputError) as caught:
        store.values()
    assert_names_path(caught.value, path)
    assert f"{blocker} is a file" in str(caught.value)
    with pytest.raises(InputError) as caught:
        store.save({AUTH_TOKEN: "x"})
    assert f"{blocker} is a file" in str(caught.value)
    deeper = CredentialStore(blocker / "a" / "b" / ".env")
    with pytest.raises(InputError) as caught:
        deeper.save({AUTH_TOKEN: "x"})
    assert f"{blocker} is a file" in str(caught.value)
    assert store.exists() is False and store.mode() is None
    assert blocker.read_text() == "not a folder"


def test_missing_folders_are_created_0700(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "a" / "b" / ".env")
    assert store.values() == {} and store.get(AUTH_TOKEN) is None
    store.save({AUTH_TOKEN: "x"})
    assert mode_of(tmp_path / "a") == 0o700
    assert mode_of(tmp_path / "a" / "b") == 0o700
    assert mode_of(store.path) == 0o600


# ---------------------------------------------------------------- nothing leaks


def test_reports_and_reprs_hold_no_secret(appended: CredentialStore) -> None:
    report = appended.save({API_KEY_SECRET: NEW_SECRET})
    for text in (repr(report), str(report), repr(appended), repr(appended.summary())):
        assert OLD_SECRET not in text and NEW_SECRET not in text
    assert repr(appended.duplicates()).count("oldSecret") == 0


# ---------------------------------------------------------------- the property

NAMES = st.sampled_from([AUTH_TOKEN, API_KEY_SECRET, API_KEY_SID, "OTHER"])
VALUES = st.one_of(
    st.just(""),
    st.sampled_from(["alpha", "beta", "gamma"]),
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85"
        ),
        max_size=12,
    ),
)
LINES = st.lists(
    st.tuples(st.sampled_from(["", "export ", "  "]), NAMES, st.sampled_from(["=", " = "]), VALUES),
    max_size=6,
)


def _writable(value: str) -> bool:
    try:
        format_line("X", value)
    except ValueError:
        return False
    return True


# What the store writes: every value that some quoting gives all readers alike.
WRITABLE = VALUES.filter(_writable)


def _initial_text(lines: list[tuple[str, str, str, str]]) -> str:
    out = ["# start\n"]
    for prefix, name, equals, value in lines:
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        out.append(f"{prefix}{name}{equals}'{escaped}'\n")
    return "".join(out)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=LINES,
    saves=st.lists(st.dictionaries(NAMES, WRITABLE, min_size=1, max_size=3), max_size=6),
)
def test_no_value_ever_written_is_lost(
    initial: list[tuple[str, str, str, str]], saves: list[dict[str, str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = CredentialStore(Path(folder) / ".env")
        store.path.write_text(_initial_text(initial), encoding="utf-8")
        ever = {(name, value) for _, name, _, value in initial if value}
        expected = store.values()
        for change in saves:
            report = store.save(change)
            ever |= {(name, value) for name, value in change.items() if value}
            expected = {**expected, **change}
            expected = {k: v for k, v in expected.items() if v}
            assert store.values() == expected
            assert all(lines_named(store.path, name) == 1 for name in change)
            if report.backup is None:
                assert report.replaced == ()
            held = set(every_value(store.path))
            for backup in store.backups():
                assert mode_of(backup) == 0o600
                held |= set(every_value(backup))
            lost = {pair for pair in ever if pair not in held}
            assert not lost


@settings(max_examples=40, deadline=None)
@given(values=st.dictionaries(st.sampled_from([AUTH_TOKEN, API_KEY_SECRET, "OTHER"]), WRITABLE))
def test_python_dotenv_the_shell_and_the_store_read_what_the_store_wrote(
    values: dict[str, str],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = CredentialStore(Path(folder) / ".env")
        store.save(values)
        expected = {k: v for k, v in values.items() if v}
        assert store.values() == expected
        assert {k: v for k, v in dotenv_values(store.path).items() if v} == expected
        shell = subprocess.run(
            ["bash", "-c", 'set -a; . "$1"; env -0', "-", str(store.path)],
            capture_output=True,
            env={"PATH": os.environ["PATH"]},
            check=True,
        ).stdout.decode("utf-8", "surrogateescape")
        seen = dict(entry.split("=", 1) for entry in shell.split("\0") if "=" in entry)
        assert {k: seen.get(k) for k in expected} == expected
