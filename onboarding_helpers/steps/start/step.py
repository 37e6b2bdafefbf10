"""Step 00: prerequisites and mode; in sandbox mode, a fake Twilio account to practise on.

Step 00 also records which Postman the officer hands the values to (``which_postman``): the
``postman`` parameter, or the form's choice (``choose_postman``). An empty ``postman`` keeps the
earlier choice, else legacy, so a re-run never flips it.
"""

from __future__ import annotations

from dataclasses import replace

from ...credentials import ACCOUNT_SID
from ...errors import InputError
from ...journal import StartRecord
from ...runbook import Runbook, step_action
from ...training.practice import (
    StartResult,
    current_scenario,
    prepare_sandbox_account,
    refuse_live_scenario,
    start_scenario,
)
from ...which_postman import CHOICES_ADVICE, check_postman, postman_in_use
from ...which_postman import FIELD as POSTMAN_FIELD
from ..registry import START as STEP


def start(rb: Runbook, scenario: str = "", postman: str = "") -> StartResult:
    """Step 00: record the mode and the Postman in use; in sandbox mode have an account ready.

    With ``scenario``, start that training scenario on a new practice account (sandbox only).
    Without, keep the current account, and the scenario it was made for, if any. ``postman``:
    "legacy" or "v2"; empty keeps the earlier choice (legacy when there is none).
    """
    chosen = check_postman(postman)  # refused before anything is provisioned
    if scenario and str(scenario).strip() and not rb.settings.is_sandbox:
        refuse_live_scenario()
    return _with_console(rb, _start(rb, str(scenario or "").strip(), chosen))


@step_action(STEP.id)
def _start(rb: Runbook, scenario: str, chosen: str) -> StartResult:
    # Read before a scenario sets the old progress record aside.
    postman = chosen or postman_in_use(rb.progress)
    if scenario:
        result = start_scenario(rb, scenario)
        rb.progress.save(STEP, replace(rb.progress.read(STEP), postman=postman))
        return result
    if not rb.settings.is_sandbox:
        result = StartResult("live", rb.store.get(ACCOUNT_SID), provisioned=False)
        rb.progress.save(STEP, StartRecord(status="done", mode=result.mode, postman=postman))
        return result
    result = prepare_sandbox_account(rb)
    kept = current_scenario(rb) if not result.provisioned else None
    name = kept.name if kept else ""
    record = StartRecord(
        status="done",
        mode=result.mode,
        account_sid=result.account_sid or "",
        scenario=name,
        postman=postman,
    )
    rb.progress.save(STEP, record)
    return replace(result, scenario=name)


@step_action(STEP.id)
def choose_postman(rb: Runbook, postman: str) -> str:
    """The form's choice: record ``postman`` with step 00 and return it. Empty is refused here:
    the form always has one of the two selected."""
    chosen = check_postman(postman)
    if not chosen:
        raise InputError(POSTMAN_FIELD, "is empty.", CHOICES_ADVICE)
    rb.progress.save(STEP, replace(rb.progress.read(STEP), postman=chosen))
    return chosen


def _with_console(rb: Runbook, result: StartResult) -> StartResult:
    """The result with the address of the practice account's page on the sandbox console."""
    if not (rb.settings.is_sandbox and result.account_sid and rb.base_url):
        return result
    # Imported here: the console module loads the sandbox server side (~0.9 s), which live mode
    # never needs.
    from ...sandbox.console import console_url

    return replace(result, console=console_url(rb.base_url, result.account_sid))
