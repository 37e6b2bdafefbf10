"""A trainee takes the hand-off card in Voila: tables that read from the left, a status per step
on the board, and copy buttons that put each value, the API secret included, on the clipboard.

Steps 00-05 are done headless first on this module's own work folder (Postman v2, Sender ID
MYAGENCY). Then the trainee opens 06_postman_handoff in Voila, checks like Postman and presses
the copy buttons: each value is read back from the clipboard; the secret is never on the page.
Then the board (step 00's page) shows every step with its status. At the end the page's HTML
as seen at every check, the server's log and the whole work folder (except the env file and the
sandbox) are searched for the secrets.

With ``BROWSER_TESTS_DOCS=1`` the card and the board are the README's pictures.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    MESSAGING_SERVICE_SID,
)
from onboarding_helpers.steps import registry

from ..secret_audit import leaks
from .conftest import ROOT, Server, WorkFolder
from .walk import Copy, Desk, Press, Shows, Type, masked, saved

pytestmark = pytest.mark.browser

SENDER_ID = "MYAGENCY"
# Every step before the hand-off that a plain onboarding runs.
HEADLESS_STEPS = [
    s.id for s in registry.STEPS[: registry.STEPS.index(registry.HANDOFF)] if not s.optional
]
# Colours of the board's statuses as the browser computes them (display.STATUS_BADGES).
GREEN, GREY = "rgb(30, 126, 52)", "rgb(95, 99, 104)"


def _onboard_until_handoff(work: WorkFolder) -> None:
    """Steps 00-05 headless on the work folder, for Postman v2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    command = [sys.executable, "-m", "onboarding_helpers", "run", "--sandbox"]
    command += ["--out", str(work.root / "runs"), "--env-file", str(work.env_file)]
    command += ["--state-dir", str(work.state_dir), "--sandbox-dir", str(work.sandbox_dir)]
    command += ["-r", "postman", "v2", "-p", "sender_id", SENDER_ID]
    command += ["-r", "test_phone", "+6581234567"]
    for step in HEADLESS_STEPS:
        command += ["--only", step]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


CARD = Shows(
    "ok",
    "Postman-equivalent check passed",
    rows=(
        ("Account SID", saved(ACCOUNT_SID)),
        ("API Key SID", saved(API_KEY_SID)),
        ("API Secret", masked(API_KEY_SECRET)),
        ("Messaging Service ID", saved(MESSAGING_SERVICE_SID)),
        ("Expected Sender Name", SENDER_ID),
    ),
    shot="handoff-card",
)
COPIES = (
    Copy("Account SID", saved(ACCOUNT_SID)),
    Copy("API Key SID", saved(API_KEY_SID)),
    Copy("Messaging Service ID", saved(MESSAGING_SERVICE_SID)),
    Copy("Expected Sender Name", SENDER_ID),
    Copy("API Secret", saved(API_KEY_SECRET)),
)
BOARD = Shows(
    "info",
    "Progress",
    rows=(
        (registry.START.id, "done"),
        (registry.HANDOFF.id, "done"),
        (registry.PHONE_NUMBER.id, "optional"),
    ),
    shot="board",
)


def _open(page, voila: Server, step: registry.Step) -> None:
    page.goto(voila.link(f"/voila/render/{step.id}.ipynb"), timeout=60_000)
    page.locator("button.jupyter-button").first.wait_for(timeout=60_000)


def test_card_copies_each_value_and_the_board_shows_statuses_in_voila(
    page, voila: Server, screenshots
) -> None:
    work = voila.work
    _onboard_until_handoff(work)
    desk = Desk(page, page.locator("body"), work, screenshots, "voila-card")

    _open(page, voila, registry.HANDOFF)
    for action in (Type("Your mobile number", "+65 8123 4567"), Press("Check like Postman")):
        desk.do(action, registry.HANDOFF.id)
    card = desk.shows(CARD, registry.HANDOFF.id, timeout=60_000)
    headers = card.locator("thead th").all_inner_texts()
    assert headers == ["Field", "Value", "Copy"], headers
    assert desk.assert_left_aligned(card, "the hand-off card") >= 3 * 7
    for copy in COPIES:
        desk.do(copy, registry.HANDOFF.id)
    secret_button = card.locator("tr", has_text="API Secret").locator(".runbook-copy-said")
    assert secret_button.inner_text() == "Copied API Secret (not shown)"
    desk.shoot("handoff-card-copied", card)
    desk.document("voila-handoff-card", card)

    _open(page, voila, registry.START)
    board = desk.shows(BOARD, registry.START.id, timeout=60_000)
    assert board.locator("thead th").all_inner_texts() == ["Step", "What", "Status", "When"]
    colours = {
        badge.inner_text(): badge.evaluate("e => getComputedStyle(e).color")
        for badge in board.locator(".runbook-badge").all()
    }
    assert colours["✔ done"] == GREEN and colours["○ optional"] == GREY, colours
    desk.shoot("board", board)
    desk.document("voila-board", board)

    secrets = work.secrets()
    assert saved(API_KEY_SECRET)(work) in secrets  # the audit looks for the secret copied
    assert leaks(secrets, work.audit_roots(), texts=desk.seen_html) == []
