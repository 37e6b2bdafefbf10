"""Notebooks 04 and 04a headless through the real runner and papermill, against the sandbox: their
wiring, from steps 00-01 made in-process (``Workspace.prepare``).

What headless runs here once proved is in-process: a bad Sender ID refused before any request, then
a good one, then a re-run that creates nothing and costs three requests
(tests/test_messaging_service.py: ``test_bad_input_sends_nothing_...``,
``test_first_run_creates_...``, ``test_second_run_creates_nothing_...``); 04a buying nothing
without confirmation, then one number put in the pool before the alpha sender
(tests/test_phone_number.py: ``test_buy_without_confirmation_...``,
``test_confirmed_purchase_buys_one_number_...``).
"""

from __future__ import annotations

from typing import Any

import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, MESSAGING_SERVICE_SID, CredentialStore
from onboarding_helpers.sandbox import SandboxServer, request_log, snapshot
from onboarding_helpers.validation import validate_messaging_service_sid

pytestmark = pytest.mark.notebook


def _sandbox_view(workspace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Snapshot and request log of the run's account, through a server on the same database."""
    account = CredentialStore(workspace.env_file).values()[ACCOUNT_SID]
    with SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3") as server:
        return snapshot(server.url, account), request_log(server.url, account)


def _audit(workspace, *runs) -> None:
    assert workspace.leaks(*(t for done in runs for t in (done.stdout, done.stderr))) == []


def test_an_id_with_twilios_symbols_is_added_with_its_warning_and_04a_explains_destinations(
    workspace,
):
    workspace.prepare("00", "01")
    steps = ("--only", "04a", "--only", "04")
    done = workspace.cli(*steps, "-r", "sender_id", "A&B CO", "-r", "foreign_countries", "MY, US")
    assert done.returncode == 0, done.stdout + done.stderr
    sid = CredentialStore(workspace.env_file).get(MESSAGING_SERVICE_SID)
    assert validate_messaging_service_sid(sid) == sid
    shown_04 = (workspace.out_dir / "04_messaging_service.ipynb").read_text()
    assert "Messaging Service SID" in shown_04 and sid in shown_04
    assert (
        "with a warning about the Sender ID" in shown_04 and "Warning: It contains '&'" in shown_04
    )
    shown_04a = (workspace.out_dir / "04a_buy_phone_number.ipynb").read_text()
    assert "no phone number is needed for Malaysia" in shown_04a
    assert "a US number alone does not reach US phones" in shown_04a
    snap, _ = _sandbox_view(workspace)
    assert snap["incoming_phone_numbers"] == []  # nothing bought without buy + confirm
    [service] = snap["services"]
    assert service["sid"] == sid
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["A&B CO"]
    _audit(workspace, done)
