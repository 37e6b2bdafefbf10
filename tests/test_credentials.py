import os
import stat

import pytest

from onboarding_helpers.credentials import (
    API_KEY_SECRET,
    AUTH_TOKEN,
    CredentialStore,
    SaveReport,
    mask,
)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_is_created_0600(tmp_path):
    store = CredentialStore(tmp_path / ".env")
    store.save({AUTH_TOKEN: "t" * 32})
    assert mode_of(store.path) == 0o600
    assert store.get(AUTH_TOKEN) == "t" * 32


def test_existing_lines_and_comments_survive(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# my notes\nOTHER=1\nTWILIO_AUTH_TOKEN=old\n\n# trailing comment\n")
    os.chmod(path, 0o644)
    store = CredentialStore(path)
    store.save({AUTH_TOKEN: "n" * 32, API_KEY_SECRET: "s" * 32})
    text = path.read_text()
    assert "# my notes\nOTHER=1\n" in text
    assert "# trailing comment" in text
    assert f"TWILIO_AUTH_TOKEN={'n' * 32}\n" in text
    assert "old" not in text
    assert mode_of(path) == 0o600  # tightened on rewrite
    assert store.values()["OTHER"] == "1"


def test_values_needing_quotes_round_trip(tmp_path):
    store = CredentialStore(tmp_path / ".env")
    store.save({"LABEL": "it's a value with spaces #and hash"})
    assert store.get("LABEL") == "it's a value with spaces #and hash"


def test_write_is_atomic_when_interrupted(tmp_path, monkeypatch):
    store = CredentialStore(tmp_path / ".env")
    store.save({AUTH_TOKEN: "a" * 32})
    before = store.path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.save({AUTH_TOKEN: "b" * 32})
    assert store.path.read_bytes() == before
    # No temp file left behind; the backup taken before the failed rename stays (harmless copy).
    (backup,) = store.backups()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", backup.name]
    assert backup.read_bytes() == before


def test_bad_names_and_multiline_values_change_nothing(tmp_path):
    store = CredentialStore(tmp_path / ".env")
    with pytest.raises(ValueError):
        store.save({"lower": "x"})
    with pytest.raises(ValueError):
        store.save({AUTH_TOKEN: "a\nB=c"})
    assert not store.path.exists()


def test_mask_shows_only_the_tail():
    assert mask("0123456789abcdef0123456789ab1a2b") == "••••1a2b"
    assert mask("") == "(not set)"
    assert mask("short") == "••••"


def test_summary_masks_secrets(tmp_path):
    store = CredentialStore(tmp_path / ".env")
    secret = "z" * 28 + "wxyz"
    store.save({API_KEY_SECRET: secret, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32})
    shown = dict(store.summary())
    assert shown[API_KEY_SECRET] == "••••wxyz"
    assert shown["TWILIO_ACCOUNT_SID"] == "AC" + "1" * 32
    assert secret not in repr(store.summary())
    assert store.secrets() == [secret]


def test_remove_deletes_only_named(tmp_path):
    store = CredentialStore(tmp_path / ".env")
    store.save({AUTH_TOKEN: "a" * 32, API_KEY_SECRET: "b" * 32})
    store.remove(API_KEY_SECRET)
    assert store.values() == {AUTH_TOKEN: "a" * 32}
    assert mode_of(store.path) == 0o600


def test_save_reports_what_it_did(tmp_path):
    store = CredentialStore(tmp_path / ".env")
    assert store.save({AUTH_TOKEN: "a" * 32}) == SaveReport()
    report = store.save({AUTH_TOKEN: "b" * 32})
    assert report.replaced == (AUTH_TOKEN,) and report.merged == ()
    assert report.backup == store.backups()[-1]
    assert store.remove(AUTH_TOKEN, API_KEY_SECRET) == (AUTH_TOKEN,)
    assert store.values() == {}
