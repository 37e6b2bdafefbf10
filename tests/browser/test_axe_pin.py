"""The axe-core the accessibility checks put into pages is the one pinned, and a machine without
it is told how to get it: skipped on a laptop, failed in CI. (No browser needed.)"""

from __future__ import annotations

import json

import pytest

from . import accessibility
from .accessibility import AXE_FOLDER, AXE_VERSION, axe_source


@pytest.fixture
def fresh_axe(monkeypatch, tmp_path):
    """axe.min.js looked for in an empty folder no earlier read has seen."""
    monkeypatch.setattr(accessibility, "AXE_FILE", tmp_path / "axe.min.js")
    return tmp_path / "axe.min.js"


def test_the_lock_pins_the_version_the_helper_checks() -> None:
    wanted = json.loads((AXE_FOLDER / "package.json").read_text())["dependencies"]["axe-core"]
    locked = json.loads((AXE_FOLDER / "package-lock.json").read_text())["packages"]
    entry = locked["node_modules/axe-core"]
    assert wanted == entry["version"] == AXE_VERSION
    assert entry["integrity"].startswith("sha512-")  # npm ci refuses any other tarball


def test_without_axe_core_ci_fails_saying_how_to_install(fresh_axe, monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI.*npm ci --ignore-scripts"):
        axe_source()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make test installs it"):
        axe_source()


def test_an_axe_file_that_is_not_the_pinned_one_is_refused(fresh_axe, monkeypatch) -> None:
    fresh_axe.write_text("window.axe = { version: '4.14.1' };")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.fail.Exception, match=f"is not axe-core {AXE_VERSION} as pinned"):
        axe_source()
