"""Step 00: prerequisites and mode; in sandbox mode, a fake Twilio account to practise on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..credentials import ACCOUNT_SID, AUTH_TOKEN, VARIABLES
from ..errors import InputError
from ..runbook import Runbook, step_action

if TYPE_CHECKING:
    from ..sandbox.scenarios import Scenario

STEP = "00_start_here"

# The guide's administrative steps, done outside the runbook before step 01.
PREREQUISITES: tuple[tuple[str, str], ...] = (
    (
        "sender_id_registered",
        "Your Sender ID is registered with SGNIC's SMS Sender ID Registry (SSIR), and you have the"
        " approval screenshot.",
    ),
    ("onboarding_form", "You sent Postman's onboarding form (name, email, use case, volume)."),
    ("invitation_accepted", "You accepted the Twilio invitation email and can log in."),
    ("account_name_set", "You set the account name (Account > General settings)."),
    (
        "billing_upgraded",
        "Billing is upgraded (Billing > Manage Billing > Upgrade). Without it SMS show as"
        " Likely-SCAM and the Sender ID cannot be used.",
    ),
)


@dataclass(frozen=True)
class StartResult:
    mode: str
    account_sid: str | None
    provisioned: bool
    scenario: str = ""  # the training scenario this account was made for, if any
    notes: tuple[str, ...] = ()


def _new_practice_account(rb: Runbook, account_sid: str, token: str) -> tuple[str, ...]:
    """Write a new practice account into the env file, clearing the old account's values.

    The store keeps a dated copy of any value it replaces, so even a practice secret is lost
    only on purpose; the note says where it is.
    """
    values = {name: "" for name in VARIABLES}
    values.update({ACCOUNT_SID: account_sid, AUTH_TOKEN: token})
    report = rb.store.save(values)
    if report.backup is None:
        return ()
    return (
        f"The env file held another practice account's values; they are kept in {report.backup}"
        " (readable only by you).",
    )


def prepare_sandbox_account(rb: Runbook, account_type: str = "Full") -> StartResult:
    """Make sure the env file names a sandbox account the sandbox knows; create one if not.

    Writes the fake account's SID and Auth Token into the env file, as an officer would copy them
    from the console. Reuses the saved one when the sandbox still has it.
    """
    from ..sandbox import account_exists, provision_account

    # Refused before anything is provisioned if the env file holds a live account's values
    # (or is marked live): practice never writes into it.
    rb.store.check_mode()
    values = rb.store.values()
    saved = values.get(ACCOUNT_SID)
    if saved and values.get(AUTH_TOKEN) and account_exists(rb.base_url, saved):
        return StartResult("sandbox", saved, provisioned=False)
    account = provision_account(rb.base_url, type=account_type)
    notes = _new_practice_account(rb, account["account_sid"], account["auth_token"])
    rb.progress.journal(STEP, "provisioned sandbox account", account_sid=account["account_sid"])
    return StartResult("sandbox", account["account_sid"], provisioned=True, notes=notes)


def _archive_progress(rb: Runbook, scenario: str) -> None:
    """Set the old account's progress record aside: the new account starts with an empty board.

    The journal stays: it is append-only, and steps match its entries to their account.
    """
    path = rb.progress.progress_path
    if not path.exists():
        return
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"progress.before-{scenario}-{stamp}.json")
    count = 1
    while target.exists():
        count += 1
        target = path.with_name(f"progress.before-{scenario}-{stamp}-{count}.json")
    path.rename(target)


def start_scenario(
    rb: Runbook, name: str, parameters: Mapping[str, Any] | None = None
) -> StartResult:
    """Start a training scenario: a NEW practice account, set up to go wrong as the scenario says.

    The env file loses the old practice account's TWILIO_* values and gets the new account's SID
    and Auth Token; the old progress record is set aside; faults injected into this sandbox
    earlier are cleared; then the scenario's account settings and setup hook are applied and
    step 00 is recorded with the scenario's name. ``parameters`` are the run's notebook
    parameters (a hook may read the Sender ID or phone number the run uses).
    """
    from ..sandbox import clear_faults, provision_account, set_account
    from ..sandbox.scenarios import MESSAGE_STEP_SECONDS, ScenarioContext, get_scenario

    if not rb.settings.is_sandbox:
        _refuse_live_scenario()
    scenario = get_scenario(name)
    rb.store.check_mode()  # a live account's file is refused before anything is provisioned
    url = rb.base_url
    assert url is not None  # sandbox mode always has one
    _archive_progress(rb, scenario.name)
    clear_faults(url)
    settings = {"message_step_seconds": MESSAGE_STEP_SECONDS, **scenario.account}
    account = provision_account(
        url, type=settings.pop("type", "Full"), status=settings.pop("status", "active")
    )
    account_sid, token = account["account_sid"], account["auth_token"]
    set_account(url, account_sid, **settings)
    notes = _new_practice_account(rb, account_sid, token)
    rb.progress.journal(
        STEP, "provisioned sandbox account", account_sid=account_sid, scenario=scenario.name
    )
    if scenario.setup is not None:
        merged = {**scenario.parameters, **(parameters or {})}
        scenario.setup(ScenarioContext(rb, url, account_sid, token, scenario, merged))
    rb.progress.record(
        STEP, "done", mode="sandbox", account_sid=account_sid, scenario=scenario.name
    )
    return StartResult(
        "sandbox", account_sid, provisioned=True, scenario=scenario.name, notes=notes
    )


def current_scenario(rb: Runbook) -> Scenario | None:
    """The scenario the env file's account was made for (step 00's record), or None."""
    from ..sandbox.scenarios import SCENARIOS

    record = rb.progress.step(STEP)
    name = record.get("scenario")
    if not name or record.get("account_sid") != rb.store.get(ACCOUNT_SID):
        return None
    return SCENARIOS.get(name)


def start(rb: Runbook, scenario: str = "") -> StartResult:
    """Step 00: record the mode; in sandbox mode have an account ready.

    With ``scenario``, start that training scenario on a new practice account (sandbox only).
    Without, keep the current account, and the scenario it was made for, if any.
    """
    if scenario and str(scenario).strip() and not rb.settings.is_sandbox:
        _refuse_live_scenario()
    return _start(rb, str(scenario or "").strip())


def _refuse_live_scenario() -> None:
    raise InputError(
        "scenario",
        "is for the sandbox only: a scenario makes a new practice account and breaks it on"
        " purpose.",
        "Leave scenario empty in live mode, or practise in sandbox mode (drop --live).",
    )


@step_action(STEP)
def _start(rb: Runbook, scenario: str) -> StartResult:
    if scenario:
        return start_scenario(rb, scenario)
    if not rb.settings.is_sandbox:
        result = StartResult("live", rb.store.get(ACCOUNT_SID), provisioned=False)
        rb.progress.record(STEP, "done", mode=result.mode)
        return result
    result = prepare_sandbox_account(rb)
    kept = current_scenario(rb) if not result.provisioned else None
    extra = {"scenario": kept.name} if kept else {}
    rb.progress.record(STEP, "done", mode=result.mode, account_sid=result.account_sid, **extra)
    return replace(result, scenario=kept.name if kept else "")
