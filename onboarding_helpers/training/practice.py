"""The practice account: a sandbox account for the env file, fresh or for a training scenario.

Used by step 00 (``start``) and by the headless runner before the notebooks run. Sandbox only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn

from ..credentials import ACCOUNT_SID, AUTH_TOKEN, VARIABLES
from ..errors import InputError
from ..journal import SandboxAccountProvisioned, StartRecord
from ..runbook import Runbook
from ..steps.registry import START
from .scenarios import MESSAGE_STEP_SECONDS, SCENARIOS, Scenario, ScenarioContext, get_scenario


@dataclass(frozen=True)
class StartResult:
    mode: str
    account_sid: str | None
    provisioned: bool
    scenario: str = ""  # the training scenario this account was made for, if any
    notes: tuple[str, ...] = ()
    console: str = ""  # the sandbox console page of the account (set by step 00, sandbox only)


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
    from ..sandbox import account_exists, provision_account  # heavy (~0.2 s): sandbox only

    # Refused before anything is provisioned if the env file holds a live account's values
    # (or is marked live): practice never writes into it.
    rb.store.check_mode()
    values = rb.store.values()
    saved = values.get(ACCOUNT_SID)
    # The Auth Token may have been put away on purpose (step 06): the account is still the one
    # to practise on, so it is kept, not replaced by a new one.
    if saved and account_exists(rb.base_url, saved):
        if values.get(AUTH_TOKEN):
            return StartResult("sandbox", saved, provisioned=False)
        note = (
            f"The env file names the practice account but holds no Auth Token ({AUTH_TOKEN}):"
            " it was put away (step 06) or never saved. The account is kept. A step that needs"
            " the token says so; copy it then from the sandbox console's Account Info."
        )
        return StartResult("sandbox", saved, provisioned=False, notes=(note,))
    account = provision_account(rb.base_url, type=account_type)
    notes = _new_practice_account(rb, account["account_sid"], account["auth_token"])
    rb.progress.log(START, SandboxAccountProvisioned(account_sid=account["account_sid"]))
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
    from ..sandbox import clear_faults, provision_account, set_account  # heavy: sandbox only

    if not rb.settings.is_sandbox:
        refuse_live_scenario()
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
    rb.progress.log(
        START, SandboxAccountProvisioned(account_sid=account_sid, scenario=scenario.name)
    )
    if scenario.setup is not None:
        merged = {**scenario.parameters, **(parameters or {})}
        scenario.setup(ScenarioContext(rb, url, account_sid, token, scenario, merged))
    rb.progress.save(
        START,
        StartRecord(status="done", mode="sandbox", account_sid=account_sid, scenario=scenario.name),
    )
    return StartResult(
        "sandbox", account_sid, provisioned=True, scenario=scenario.name, notes=notes
    )


def current_scenario(rb: Runbook) -> Scenario | None:
    """The scenario the env file's account was made for (step 00's record), or None."""
    record = rb.progress.read(START)
    if not record.scenario or record.account_sid != rb.store.get(ACCOUNT_SID):
        return None
    return SCENARIOS.get(record.scenario)


def refuse_live_scenario() -> NoReturn:
    raise InputError(
        "scenario",
        "is for the sandbox only: a scenario makes a new practice account and breaks it on"
        " purpose.",
        "Leave scenario empty in live mode, or practise in sandbox mode (drop --live).",
    )
