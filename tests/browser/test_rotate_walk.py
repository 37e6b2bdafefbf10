"""An officer rotates the API key in JupyterLab, in a real Chromium, against the sandbox Twilio.

The onboarding (steps 00-06) is done headless first on this module's own work folder, as it would
have been months earlier. Then the officer opens 07_rotate_key from the file browser, runs it,
types a mobile number and presses **Make and check the new key**: the new key's panel (secret
masked) and where its values go in Postman appear, and the old key still works. Once "Postman uses
it", the officer ticks **Postman uses the new key** and presses **Revoke the old key**: the old key
is revoked. The notebook is saved with its widget state; it, the page's HTML and the whole work
folder (except the env file and the sandbox) are searched for every secret, old ones included.

Run only these tests: ``make test PYTEST_ARGS="-m browser"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID
from onboarding_helpers.sandbox import SandboxServer, snapshot

from ..secret_audit import leaks
from .conftest import ROOT, Server, WorkFolder
from .test_lab_walk import LabWalker
from .walk import Check, Press, Shows, Type, masked, saved, visible_errors

pytestmark = pytest.mark.browser

NOTEBOOK = "07_rotate_key"
BOX = "Postman uses the new key (revoke the old one)"


def _onboard(work: WorkFolder) -> None:
    """Steps 00-06 headless on the work folder, with the check SMS to the officer's mobile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    done = subprocess.run(
        [
            sys.executable, "-m", "onboarding_helpers", "run", "--sandbox",
            "--out", str(work.root / "runs"), "--env-file", str(work.env_file),
            "--state-dir", str(work.state_dir), "--sandbox-dir", str(work.sandbox_dir),
            "-p", "sender_id", "MYAGENCY", "-r", "test_phone", "+6581234567",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _keys(work: WorkFolder) -> list[str]:
    with SandboxServer(work.sandbox_dir / "sandbox.sqlite3") as server:
        return [k["sid"] for k in snapshot(server.url, work.saved(ACCOUNT_SID))["keys"]]


def test_officer_rotates_the_key_in_two_phases(page, lab: Server, screenshots) -> None:
    work = lab.work
    _onboard(work)
    old_sid, old_secret = work.saved(API_KEY_SID), work.saved(API_KEY_SECRET)
    walker = LabWalker(page, lab, screenshots)
    desk = walker.desk
    opened = time.time()
    notebook = walker.open(NOTEBOOK)
    desk.scope = notebook
    walker.run_all(notebook, NOTEBOOK)
    assert visible_errors(notebook) == [], "Run All showed errors"
    desk.assert_no_secret_on_page("07: after Run All")

    for action in (
        Type("Your mobile number", "+65 8123 4567"),
        Press("Make and check the new key"),
        Shows(
            "ok",
            "New API key made",
            rows=(
                ("API Key SID", saved(API_KEY_SID)),
                ("API Secret", masked(API_KEY_SECRET)),
                ("Account SID", saved(ACCOUNT_SID)),
                ("Old API key", old_sid),
            ),
            text=("as Postman sends", "delivered"),
            shot="new-key",
        ),
        Shows("info", "Where the new values go", text=("Settings > Credentials",), shot="where"),
        Check("the env file holds the new key", lambda w: w.saved(API_KEY_SID) != old_sid),
        Check("the old key still exists", lambda w: old_sid in _keys(w)),
    ):
        desk.do(action, NOTEBOOK)

    notebook.get_by_label(BOX, exact=True).check()
    for action in (
        Press("Revoke the old key"),
        Shows(
            "ok",
            "Rotation finished",
            rows=(("API Key SID", saved(API_KEY_SID)), ("Old API key", old_sid)),
            text=("revoked",),
            shot="finished",
        ),
        Check("only the new key is left", lambda w: _keys(w) == [w.saved(API_KEY_SID)]),
    ):
        desk.do(action, NOTEBOOK)
    assert not notebook.get_by_label(BOX, exact=True).is_checked(), "the box stayed ticked"
    assert visible_errors(notebook) == [], "the form showed errors"
    walker.save(NOTEBOOK, opened)
    walker.close(NOTEBOOK)

    secrets = sorted({*work.secrets(), old_secret})
    assert len(secrets) == 3  # the Auth Token, the new secret and the old one
    found = leaks(secrets, work.audit_roots(), texts=desk.seen_html)
    assert found == [], f"secrets found in: {found}"
