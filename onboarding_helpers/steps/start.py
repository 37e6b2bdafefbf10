"""Step 00: prerequisites and mode; in sandbox mode, a fake Twilio account to practise on."""

from __future__ import annotations

from dataclasses import dataclass

from ..credentials import ACCOUNT_SID, AUTH_TOKEN
from ..runbook import Runbook

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


def prepare_sandbox_account(rb: Runbook, account_type: str = "Full") -> StartResult:
    """Make sure the env file names a sandbox account the sandbox knows; create one if not.

    Writes the fake account's SID and Auth Token into the env file, as an officer would copy them
    from the console. Reuses the saved one when the sandbox still has it.
    """
    from ..sandbox import account_exists, provision_account

    values = rb.store.values()
    saved = values.get(ACCOUNT_SID)
    if saved and values.get(AUTH_TOKEN) and account_exists(rb.base_url, saved):
        return StartResult("sandbox", saved, provisioned=False)
    account = provision_account(rb.base_url, type=account_type)
    rb.store.save({ACCOUNT_SID: account["account_sid"], AUTH_TOKEN: account["auth_token"]})
    rb.progress.journal(STEP, "provisioned sandbox account", account_sid=account["account_sid"])
    return StartResult("sandbox", account["account_sid"], provisioned=True)


def start(rb: Runbook) -> StartResult:
    """Step 00: record the mode; in sandbox mode have an account ready."""
    if rb.settings.is_sandbox:
        result = prepare_sandbox_account(rb)
    else:
        result = StartResult("live", rb.store.get(ACCOUNT_SID), provisioned=False)
    rb.progress.record(STEP, "done", mode=result.mode)
    return result
