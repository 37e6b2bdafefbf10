"""Step 00: prerequisites and mode; in sandbox mode, a fake Twilio account to practise on."""

from __future__ import annotations

from dataclasses import replace

from ..credentials import ACCOUNT_SID
from ..runbook import Runbook, step_action
from ..training.practice import (
    StartResult,
    current_scenario,
    prepare_sandbox_account,
    refuse_live_scenario,
    start_scenario,
)

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


def start(rb: Runbook, scenario: str = "") -> StartResult:
    """Step 00: record the mode; in sandbox mode have an account ready.

    With ``scenario``, start that training scenario on a new practice account (sandbox only).
    Without, keep the current account, and the scenario it was made for, if any.
    """
    if scenario and str(scenario).strip() and not rb.settings.is_sandbox:
        refuse_live_scenario()
    return _start(rb, str(scenario or "").strip())


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
