"""The account balance: the sandbox's Balance resource and debits through the real SDK, step 01's
reading of it (estimate, low warning, a fetch that fails), and the notebook and report that show it.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest

from onboarding_helpers.balance import (
    DEFAULT_LOW_BALANCE,
    SG_SEGMENT_PRICE,
    AccountBalance,
    balance_notes,
    low_balance_threshold,
    sg_segments,
)
from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN, CredentialStore
from onboarding_helpers.errors import InputError
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import (
    SandboxError,
    pricing,
    provision_account,
    request_log,
    set_account,
    set_faults,
    snapshot,
)
from onboarding_helpers.steps.account import check_account, panel
from onboarding_helpers.steps.registry import ACCOUNT
from onboarding_helpers.twilio_gateway import make_client

from .secret_audit import leaks

SG_MOBILE = "+6591234567"


def _runbook(url: str, tmp_path: Path) -> Runbook:
    return Runbook(
        Settings(
            mode="sandbox",
            env_file=tmp_path / "creds" / ".env",
            state_dir=tmp_path / "state",
            sandbox_dir=tmp_path / "unused-sandbox-dir",
            base_url=url,
        )
    )


@pytest.fixture
def account(sandbox):
    acct = provision_account(sandbox.url)
    set_account(sandbox.url, acct["account_sid"], message_step_seconds=0.01)
    client = make_client(acct["account_sid"], auth_token=acct["auth_token"], base_url=sandbox.url)
    service = client.messaging.v1.services.create(friendly_name="Postman SMS")
    client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="GOVTECH")
    return {**acct, "client": client, "service_sid": service.sid, "url": sandbox.url}


def _balance(account) -> Decimal:
    fetched = account["client"].api.v2010.accounts(account["account_sid"]).balance.fetch()
    assert fetched.currency == "USD" and fetched.account_sid == account["account_sid"]
    return Decimal(fetched.balance)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


# ---------------------------------------------------------------- the sandbox's balance


def test_a_new_practice_account_starts_prepaid_and_each_message_is_debited(account):
    assert _balance(account) == Decimal("50.00")
    client, service = account["client"], account["service_sid"]
    client.messages.create(to=SG_MOBILE, from_=service, body="One segment")
    long_body = "x" * 161  # two GSM-7 segments
    assert pricing.segments(long_body) == 2
    client.messages.create(to=SG_MOBILE, from_=service, body=long_body)
    paid = Decimal(str(pricing.SG_PRICE)) * 3
    assert _balance(account) == _cents(Decimal("50.00") - paid)
    # The exact figure (to the fraction of a cent) is what the snapshot rounds, too.
    assert snapshot(account["url"], account["account_sid"])["account"]["balance"] == str(
        _cents(Decimal("50.00") - paid)
    )


def test_a_filtered_message_is_not_charged(account):
    set_account(account["url"], account["account_sid"], filtered_sender_ids=["GOVTECH"])
    sent = account["client"].messages.create(to=SG_MOBILE, from_=account["service_sid"], body="x")
    assert _balance(account) == Decimal("50.00")
    assert sent.sid.startswith("SM")


def test_a_trainer_stages_a_low_balance_and_the_message_fails_as_twilio_does(account):
    settings = set_account(account["url"], account["account_sid"], balance="0.03")
    assert settings["balance"] == "0.03" and settings["currency"] == "USD"
    client = account["client"]
    sent = client.messages.create(to=SG_MOBILE, from_=account["service_sid"], body="Unpaid")
    assert sent.status == "accepted"  # Twilio takes it, then the account cannot pay
    for _ in range(200):
        fetched = client.messages(sent.sid).fetch()
        if fetched.status == "failed":
            break
    assert fetched.status == "failed" and fetched.error_code == 30002
    assert fetched.price is None  # never sent, never charged
    assert _balance(account) == Decimal("0.03")
    views = snapshot(account["url"], account["account_sid"])["messages"]
    assert [m["error_code"] for m in views] == [30002]


def test_an_empty_balance_sends_nothing_and_a_recharge_sends_again(account):
    # Messages reach their last status at once: the snapshot below reads their final error.
    set_account(account["url"], account["account_sid"], balance="0", message_step_seconds=0)
    client = account["client"]
    first = client.messages.create(to=SG_MOBILE, from_=account["service_sid"], body="x")
    set_account(account["url"], account["account_sid"], balance="10")
    second = client.messages.create(to=SG_MOBILE, from_=account["service_sid"], body="x")
    states = {m["sid"]: m for m in snapshot(account["url"], account["account_sid"])["messages"]}
    assert states[first.sid]["error_code"] == 30002
    assert states[second.sid]["error_code"] is None
    assert _balance(account) == _cents(Decimal(10) - Decimal(str(pricing.SG_PRICE)))


@pytest.mark.parametrize("value", ["lots", "NaN", "Infinity", "-5000", "2000000", ""])
def test_an_admin_balance_that_is_not_a_sensible_number_is_refused(account, value):
    with pytest.raises(SandboxError) as refused:
        set_account(account["url"], account["account_sid"], balance=value)
    assert "balance must be a number" in str(refused.value)
    assert _balance(account) == Decimal("50.00")


def test_an_account_can_be_provisioned_with_the_balance_the_trainer_wants(sandbox):
    import urllib.request
    from urllib.parse import urlencode

    # The admin endpoint as a trainer's script calls it: the trainer token as a Bearer token.
    token = sandbox.token_path.read_text().strip()
    provision = urllib.request.Request(
        f"{sandbox.url}/_sandbox/accounts",
        data=urlencode({"balance": "3.5"}).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(provision, timeout=10) as answer:
        created = json.loads(answer.read())
    assert snapshot(sandbox.url, created["account_sid"])["account"]["balance"] == "3.50"


def test_the_console_shows_the_balance(account):
    import urllib.request
    from urllib.parse import urlencode

    set_account(account["url"], account["account_sid"], balance="12.3")
    # The account's page needs its own login, as Twilio's console does.
    browser = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor()
    )
    login = urlencode({"account_sid": account["account_sid"], "auth_token": account["auth_token"]})
    with browser.open(f"{account['url']}/console/login", data=login.encode()) as page:
        html = page.read().decode()  # the login goes on to the account's page
    assert "<td id='balance'>USD 12.30 " in html


# ---------------------------------------------------------------- estimate and threshold


@pytest.mark.parametrize(
    ("value", "expected"),
    [(20, Decimal(20)), (0, Decimal(0)), (7.5, Decimal("7.5")), ("12", Decimal(12)), ("", None)],
)
def test_low_balance_accepts_plain_numbers(value, expected):
    assert low_balance_threshold(value) == (DEFAULT_LOW_BALANCE if expected is None else expected)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-1, "below zero"),
        ("-0.5", "below zero"),
        ("twenty", "not a number"),
        (True, "not a number"),
        (float("nan"), "not a finite number"),
        ("inf", "not a finite number"),
        ([20], "not a number"),
    ],
)
def test_low_balance_refuses_what_is_not_a_threshold_naming_the_field(value, problem):
    with pytest.raises(InputError) as refused:
        low_balance_threshold(value)
    assert refused.value.field == "low_balance"
    assert problem in refused.value.message and "a plain number" in refused.value.advice


def test_the_estimate_uses_the_guides_price_and_only_for_usd():
    assert SG_SEGMENT_PRICE == Decimal("0.0415")
    assert sg_segments(Decimal("50.00"), "USD") == math.floor(Decimal("50.00") / SG_SEGMENT_PRICE)
    assert sg_segments(Decimal("-3"), "usd") == 0
    assert sg_segments(Decimal("50.00"), "EUR") is None
    notes, warnings = balance_notes(AccountBalance("50.00", "EUR", Decimal(20), low=False))
    assert "cannot estimate" in notes[0] and "exchange rates" in notes[0] and warnings == []
    notes, _ = balance_notes(
        AccountBalance("50.00", "USD", Decimal(20), low=False, sg_segments=1204)
    )
    assert "1,204" in notes[0] and "March 2024" in notes[0]
    assert any("auto-recharge" in n and "Usage Triggers" in n for n in notes)


# ---------------------------------------------------------------- step 01 reads it


def _saved_account(rb: Runbook, account) -> None:
    rb.store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})


def test_step_01_reads_the_balance_records_it_and_makes_two_requests(account, tmp_path):
    rb = _runbook(account["url"], tmp_path)
    _saved_account(rb, account)
    result = check_account(rb)
    assert result.balance is not None and result.balance.shown() == "USD 50.00"
    assert result.balance.low is False and result.balance.sg_segments == 1204
    record = rb.progress.read(ACCOUNT)
    assert (record.balance, record.currency, record.balance_low) == ("50.00", "USD", False)
    shown = str(panel(result))
    assert "Balance      USD 50.00" in shown and "1,204 SMS segments" in shown
    assert "Warning" not in shown
    made = [
        r
        for r in request_log(account["url"], account["account_sid"])
        if f"step/{ACCOUNT.id}" in (r["user_agent"] or "")
    ]
    assert len(made) == ACCOUNT.requests[0] == 2
    assert [r["status"] for r in made] == [200, 200]
    assert made[-1]["path"].endswith("/Balance.json")


def test_a_low_balance_is_a_warning_not_a_failure(account, tmp_path):
    set_account(account["url"], account["account_sid"], balance="4.20")
    rb = _runbook(account["url"], tmp_path)
    _saved_account(rb, account)
    result = check_account(rb, low_balance=5)
    shown = panel(result)
    assert shown.kind == "warn" and "balance is low" in shown.title
    assert any("below 5 USD" in n and "Add Funds" in n for n in shown.notes)
    record = rb.progress.read(ACCOUNT)
    assert record.status == "done" and record.balance == "4.20" and record.balance_low is True
    # The same balance above a lower threshold is fine.
    assert check_account(rb, low_balance=4).balance.low is False


def test_a_used_up_balance_says_nothing_goes_out(account, tmp_path):
    set_account(account["url"], account["account_sid"], balance="-0.50")
    rb = _runbook(account["url"], tmp_path)
    _saved_account(rb, account)
    result = check_account(rb, low_balance=0)
    assert result.balance.low is True
    assert any("used up" in n for n in panel(result).notes)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"status": 403, "code": 20403}, "Twilio refused the request"),
        ({"status": 404, "code": 20404}, "could not find"),
        ({"status": 0, "times": 5}, "could not be reached"),
    ],
    ids=["403", "404", "network"],
)
def test_step_01_passes_when_the_balance_cannot_be_read(
    account, tmp_path, monkeypatch, fault, reason
):
    from onboarding_helpers import twilio_gateway

    # Retries of a dropped connection pause; not needed here.
    monkeypatch.setattr(twilio_gateway, "pause_before_retry", lambda *a: None)
    set_faults(account["url"], r"GET /Balance\.json$", **fault)
    rb = _runbook(account["url"], tmp_path)
    _saved_account(rb, account)
    result = check_account(rb)
    assert result.balance is not None and not result.balance.known
    assert reason.lower() in result.balance.problem.lower()
    shown = panel(result)
    assert shown.kind == "ok" and dict(shown.rows)["Balance"] == result.balance.shown()
    assert result.balance.shown() == "could not be read"  # the row's value, not a made-up number
    assert any("Billing Overview" in n and "check itself passed" in n for n in shown.notes)
    record = rb.progress.read(ACCOUNT)
    assert record.status == "done" and record.balance == "" and record.balance_low is None
    assert CredentialStore(rb.settings.env_file).get(ACCOUNT_SID) == account["account_sid"]


def test_a_bad_low_balance_stops_01_before_any_request(account, tmp_path):
    rb = _runbook(account["url"], tmp_path)
    _saved_account(rb, account)
    before = rb.settings.env_file.read_bytes()
    requests_before = len(request_log(account["url"], account["account_sid"]))
    with pytest.raises(InputError) as refused:
        check_account(rb, low_balance="-3")
    assert refused.value.field == "low_balance"
    assert len(request_log(account["url"], account["account_sid"])) == requests_before
    assert rb.settings.env_file.read_bytes() == before
    assert not rb.progress.progress_path.exists()


# ---------------------------------------------------------------- headless: notebook and report


@pytest.mark.notebook
def test_headless_01_shows_the_balance_and_the_report_carries_it(workspace):
    done = workspace.cli("--only", "00", "--only", "01", "-p", "low_balance", "60")
    assert done.returncode == 0, done.stderr
    executed = json.loads((workspace.out_dir / "01_account_sid.ipynb").read_text())
    text = "".join(
        "".join(output.get("text") or output.get("data", {}).get("text/plain", ""))
        for cell in executed["cells"]
        for output in cell.get("outputs", [])
    )
    assert "Balance      USD 50.00" in text and "roughly 1,204 SMS segments" in text
    assert "below 60 USD" in text  # the low_balance parameter reached the step
    record = ProgressRecord(workspace.state_dir).read(ACCOUNT)
    assert (record.balance, record.currency, record.balance_low) == ("50.00", "USD", True)

    from onboarding_helpers.report import build_report
    from onboarding_helpers.runbook import open_runbook

    rb = open_runbook("sandbox", str(workspace.env_file), str(workspace.state_dir))
    assert "balance: 50.00" in build_report(rb)
    secrets = CredentialStore(workspace.env_file).secrets()
    assert (
        leaks(secrets, [workspace.out_dir, workspace.state_dir], [done.stdout, done.stderr]) == []
    )


@pytest.mark.notebook
def test_headless_01_refuses_a_negative_low_balance_naming_it(workspace):
    workspace.prepare("00")
    before = workspace.env_file.read_bytes()
    done = workspace.cli("--only", "01", "-p", "low_balance", "-5")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "low_balance" in done.stderr and "below zero" in done.stderr
    assert workspace.env_file.read_bytes() == before
