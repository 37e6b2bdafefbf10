"""Step 00: prerequisites and mode; in sandbox mode, a fake Twilio account to practise on."""

from __future__ import annotations

from dataclasses import replace

from ...credentials import ACCOUNT_SID
from ...journal import StartRecord
from ...runbook import Runbook, step_action
from ...training.practice import (
    StartResult,
    current_scenario,
    prepare_sandbox_account,
    refuse_live_scenario,
    start_scenario,
)
from ..registry import START as STEP


def start(rb: Runbook, scenario: str = "") -> StartResult:
    """Step 00: record the mode; in sandbox mode have an account ready.

    With ``scenario``, start that training scenario on a new practice account (sandbox only).
    Without, keep the current account, and the scenario it was made for, if any.
    """
    if scenario and str(scenario).strip() and not rb.settings.is_sandbox:
        refuse_live_scenario()
    return _with_console(rb, _start(rb, str(scenario or "").strip()))


@step_action(STEP.id)
def _start(rb: Runbook, scenario: str) -> StartResult:
    if scenario:
        return start_scenario(rb, scenario)
    if not rb.settings.is_sandbox:
        result = StartResult("live", rb.store.get(ACCOUNT_SID), provisioned=False)
        rb.progress.save(STEP, StartRecord(status="done", mode=result.mode))
        return result
    result = prepare_sandbox_account(rb)
    kept = current_scenario(rb) if not result.provisioned else None
    name = kept.name if kept else ""
    rb.progress.save(
        STEP,
        StartRecord(
            status="done", mode=result.mode, account_sid=result.account_sid or "", scenario=name
        ),
    )
    return replace(result, scenario=name)


def _with_console(rb: Runbook, result: StartResult) -> StartResult:
    """The result with the address of the practice account's page on the sandbox console."""
    if not (rb.settings.is_sandbox and result.account_sid and rb.base_url):
        return result
    # Imported here: the console module loads the sandbox server side (~0.9 s), which live mode
    # never needs.
    from ...sandbox.console import console_url

    return replace(result, console=console_url(rb.base_url, result.account_sid))
