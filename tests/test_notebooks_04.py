"""Notebooks 04 and 04a headless through the real runner and papermill, against the sandbox."""

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


def test_bad_sender_id_then_good_then_rerun_creates_nothing(workspace):
    bad = workspace.cli("--only", "00", "--only", "01", "--only", "04", "-p", "sender_id", "GOV.SG")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Stopped at step 04_messaging_service" in bad.stderr
    assert "Sender ID" in bad.stderr and "'.'" in bad.stderr and "SGNIC" in bad.stderr
    snap, _ = _sandbox_view(workspace)
    assert snap["services"] == []  # refused before any Twilio call

    done = workspace.cli("--only", "04", "-p", "sender_id", "GOVTECH")
    assert done.returncode == 0, done.stderr
    sid = CredentialStore(workspace.env_file).get(MESSAGING_SERVICE_SID)
    assert validate_messaging_service_sid(sid) == sid
    executed = (workspace.out_dir / "04_messaging_service.ipynb").read_text()
    assert "Messaging Service SID" in executed and sid in executed
    snap, log = _sandbox_view(workspace)
    [service] = snap["services"]
    assert service["sid"] == sid
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]

    again = workspace.cli("--only", "04")  # the Sender ID and name come from the first run
    assert again.returncode == 0, again.stderr
    snap_again, log_again = _sandbox_view(workspace)
    assert snap_again == snap
    new = log_again[len(log) :]
    assert [r["method"] for r in new] == ["GET", "GET", "GET"]
    assert all("step/04_messaging_service" in r["user_agent"] for r in new)
    assert CredentialStore(workspace.env_file).get(MESSAGING_SERVICE_SID) == sid
    _audit(workspace, bad, done, again)


def test_phone_number_branch_needs_confirmation_then_buys_one(workspace):
    steps = ("--only", "00", "--only", "01", "--only", "04a", "--only", "04")
    params = ("-p", "sender_id", "GOVTECH", "-p", "buy_phone_number", "True")

    refused = workspace.cli(*steps, *params)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Stopped at step 04a_buy_phone_number" in refused.stderr
    assert "confirm_purchase" in refused.stderr and "Nothing was bought" in refused.stderr
    snap, _ = _sandbox_view(workspace)
    assert snap["incoming_phone_numbers"] == [] and snap["services"] == []

    bought = workspace.cli(
        "--only", "04a", "--only", "04", *params, "-p", "confirm_purchase", "True"
    )
    assert bought.returncode == 0, bought.stderr
    snap, log = _sandbox_view(workspace)
    [number] = snap["incoming_phone_numbers"]
    [service] = snap["services"]
    assert service["sid"] == CredentialStore(workspace.env_file).get(MESSAGING_SERVICE_SID)
    assert service["phone_numbers"] == [
        {"sid": number["sid"], "phone_number": number["phone_number"]}
    ]
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]
    posts = [r["path"].rsplit("/", 1)[-1] for r in log if r["method"] == "POST"]
    assert posts == ["IncomingPhoneNumbers.json", "Services", "PhoneNumbers", "AlphaSenders"]
    _audit(workspace, refused, bought)


def test_an_id_with_twilios_symbols_is_added_with_its_warning_and_04a_explains_destinations(
    workspace,
):
    steps = ("--only", "00", "--only", "01", "--only", "04a", "--only", "04")
    done = workspace.cli(*steps, "-r", "sender_id", "A&B CO", "-r", "foreign_countries", "MY, US")
    assert done.returncode == 0, done.stdout + done.stderr
    shown_04 = (workspace.out_dir / "04_messaging_service.ipynb").read_text()
    assert (
        "with a warning about the Sender ID" in shown_04 and "Warning: It contains '&'" in shown_04
    )
    shown_04a = (workspace.out_dir / "04a_buy_phone_number.ipynb").read_text()
    assert "no phone number is needed for Malaysia" in shown_04a
    assert "a US number alone does not reach US phones" in shown_04a
    snap, _ = _sandbox_view(workspace)
    assert snap["incoming_phone_numbers"] == []  # nothing bought without buy + confirm
    [service] = snap["services"]
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["A&B CO"]
    _audit(workspace, done)
