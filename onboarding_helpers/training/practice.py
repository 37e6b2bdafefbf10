"""The practice account: a sandbox account for the env file, fresh or for a training scenario.

Used by step 00 (``start``) and by the headless runner before the notebooks run. Sandbox only.

In a class (``training/hub``, ``ONBOARDING_CLASS_HUB`` set in each trainee's server) the hub makes
each trainee's practice account when their server first starts, and only the hub holds the
trainer token. So the saved account is checked the way Twilio is asked, with its own Account SID
and Auth Token, never through the sandbox's admin API; a trainee's notebook never provisions, and
scenarios are started by the trainer (``python -m onboarding_helpers.training.hub scenario``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NoReturn

from ..credentials import ACCOUNT_SID, AUTH_TOKEN, VARIABLES
from ..errors import InputError, StepBlocked, TwilioActionError
from ..journal import SandboxAccountProvisioned, StartRecord
from ..runbook import Runbook
from ..steps.registry import START
from ..twilio_gateway import call
from .scenarios import MESSAGE_STEP_SECONDS, SCENARIOS, Scenario, ScenarioContext, get_scenario

# Set (to the class's name) in every trainee's server by the class hub (training/hub).
CLASS_HUB_VARIABLE = "ONBOARDING_CLASS_HUB"


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


def in_class_hub() -> bool:
    """Whether this is a trainee's server in a class hub, whose practice account the hub made."""
    return bool(os.environ.get(CLASS_HUB_VARIABLE, "").strip())


def _trainee() -> str:
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get("USER") or "<your user name>"


def _sandbox_knows(rb: Runbook, account_sid: str, auth_token: str) -> bool:
    """Whether the sandbox knows the saved account. Alone, the sandbox's admin API is asked (a
    wrong Auth Token is then step 01's to report, not a reason for a new account). In a class,
    where only the hub holds the trainer token, it is asked as Twilio would be: the account
    fetched with its own SID and Auth Token; without the token (put away on purpose, step 06)
    the account is kept as it is."""
    if not in_class_hub():
        from ..sandbox import account_exists  # heavy (~0.2 s): sandbox only

        return account_exists(rb.base_url, account_sid)
    if not auth_token:
        return True
    client = rb.client_with_token(account_sid, auth_token, START.id)
    try:
        call("fetch the practice account", client.api.v2010.accounts(account_sid).fetch)
    except TwilioActionError as err:
        if err.status in (401, 404):  # not on this sandbox (wiped since), or not its token
            return False
        raise
    return True


def _refuse_in_class(rb: Runbook, saved: str | None) -> NoReturn:
    what = "names no practice account" if not saved else f"names {saved}, which this sandbox"
    what += "" if not saved else " does not accept with the saved Auth Token"
    raise StepBlocked(
        f"In this class the hub makes your practice account when your server starts, and your"
        f" env file {rb.settings.env_file} {what}. Nothing was changed.",
        advice=f"Ask your trainer for a new practice account for {_trainee()!r}: the trainer"
        " starts one (a scenario, or a fresh account) from the hub.",
    )


def prepare_sandbox_account(rb: Runbook, account_type: str = "Full") -> StartResult:
    """Make sure the env file names a sandbox account the sandbox knows; create one if not.

    Writes the fake account's SID and Auth Token into the env file, as an officer would copy them
    from the console. Reuses the saved one when the sandbox still has it. In a class the hub made
    it: it is checked with its own credentials and never replaced here (StepBlocked instead).
    """
    # Refused before anything is provisioned if the env file holds a live account's values
    # (or is marked live): practice never writes into it.
    rb.store.check_mode()
    values = rb.store.values()
    saved = values.get(ACCOUNT_SID)
    # The Auth Token may have been put away on purpose (step 06): the account is still the one
    # to practise on, so it is kept, not replaced by a new one.
    if saved and _sandbox_knows(rb, saved, values.get(AUTH_TOKEN, "")):
        if values.get(AUTH_TOKEN):
            return StartResult("sandbox", saved, provisioned=False)
        note = (
            f"The env file names the practice account but holds no Auth Token ({AUTH_TOKEN}):"
            " it was put away (step 06) or never saved. The account is kept. A step that needs"
            " the token says so; copy it then from the sandbox console's Account Info."
        )
        return StartResult("sandbox", saved, provisioned=False, notes=(note,))
    if in_class_hub():
        _refuse_in_class(rb, saved)
    from ..sandbox import provision_account  # heavy (~0.2 s): sandbox only

    account = provision_account(rb.base_url, type=account_type)
    notes = _new_practice_account(rb, account["account_sid"], account["auth_token"])
    rb.progress.log(START, SandboxAccountProvisioned(account_sid=account["account_sid"]))
    return StartResult("sandbox", account["account_sid"], provisioned=True, notes=notes)


def set_progress_aside(rb: Runbook, scenario: str) -> None:
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
    rb: Runbook,
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    friendly_name: str = "Sandbox agency",
    clear_old_faults: bool = True,
) -> StartResult:
    """Start a training scenario: a NEW practice account, set up to go wrong as the scenario says.

    The env file loses the old practice account's TWILIO_* values and gets the new account's SID
    and Auth Token; the old progress record is set aside; faults injected into this sandbox
    earlier are cleared (unless ``clear_old_faults`` is false: a class's sandbox holds other
    trainees' faults); then the scenario's account settings and setup hook are applied and
    step 00 is recorded with the scenario's name. ``parameters`` are the run's notebook
    parameters (a hook may read the Sender ID or phone number the run uses). ``friendly_name``:
    the new account's name (a class names it after the trainee, for the trainer's board).
    """
    from ..sandbox import clear_faults, provision_account, set_account  # heavy: sandbox only

    if not rb.settings.is_sandbox:
        refuse_live_scenario()
    scenario = get_scenario(name)
    if in_class_hub():
        _refuse_scenario_in_class(scenario)
    rb.store.check_mode()  # a live account's file is refused before anything is provisioned
    url = rb.base_url
    assert url is not None  # sandbox mode always has one
    set_progress_aside(rb, scenario.name)
    if clear_old_faults:
        clear_faults(url)
    settings = {"message_step_seconds": MESSAGE_STEP_SECONDS, **scenario.account}
    account = provision_account(
        url,
        friendly_name=friendly_name,
        type=settings.pop("type", "Full"),
        status=settings.pop("status", "active"),
    )
    account_sid, token = account["account_sid"], account["auth_token"]
    # The scenario's name goes with the account too: the trainer's board shows it.
    set_account(url, account_sid, scenario=scenario.name, **settings)
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


def _refuse_scenario_in_class(scenario: Scenario) -> NoReturn:
    raise StepBlocked(
        f"In this class the trainer starts training scenarios: '{scenario.name}' needs a new"
        " practice account, and only the class's hub makes them. Nothing was changed: your"
        " practice account and progress are as they were.",
        advice=f"Ask your trainer to start '{scenario.name}' for {_trainee()!r}. When they have,"
        " run this notebook again (without a scenario): it shows the scenario's story and the"
        " values to use.",
        field="scenario",
    )


def refuse_live_scenario() -> NoReturn:
    raise InputError(
        "scenario",
        "is for the sandbox only: a scenario makes a new practice account and breaks it on"
        " purpose.",
        "Leave scenario empty in live mode, or practise in sandbox mode (drop --live).",
    )
