"""The set-up's checks, each one line with ✔, ! or ✖ and the fix: the key and what it may do,
the service and its Sender ID, numbers for recipients abroad, the balance.

A failing check is a finding for the officer, never an error: the step has read what it could.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...balance import RECHARGE_ADVICE, WHERE_TO_SEE, AccountBalance
from ...countries import sender_for
from ...validation import API_KEYS_CONSOLE
from ..api_key.policy import LIST_MESSAGES, SEND
from ..registry import HANDOFF, MESSAGING_SERVICE, ROTATE_KEY
from .access import RESTRICTED, Access
from .reads import ServiceSeen

OK, WARN, FAIL = "ok", "warn", "fail"
ICONS = {OK: "✔", WARN: "!", FAIL: "✖"}


@dataclass(frozen=True)
class Check:
    """One line of the health check: what was checked, how it stands, what was found, the fix."""

    name: str
    status: str  # "ok", "warn" (!) or "fail" (✖)
    summary: str
    advice: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def icon(self) -> str:
        return ICONS[self.status]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "status": self.status,
            "summary": self.summary,
            "advice": self.advice,
        }


# What each permission a read needs is for, in the officer's words.
_PERMISSION_USES = {
    "read the Messaging Service": "step 06's and 07's check without a test phone",
    "read the service's Sender ID": "step 06's check of the Sender ID",
    "read the service's phone numbers": "step 06's check before a test to a phone abroad",
    "read the message log": "this health check's message counts",
    "list the account's phone numbers": "none of Postman's calls",
}


def key_checks(access: Access, proof: str) -> list[Check]:
    """The key signs in (it did, or nothing could be read), what kind it is, and for a
    Restricted key the permissions it was refused and whether Postman's send is proven."""
    values = access.values
    kind = access.key_type or "standard"
    checks = [
        Check(
            "API key",
            OK,
            f"The key {values.api_key_sid} signs in for the account {values.account_sid}: a"
            f" {kind} key ({access.how_known}).",
        )
    ]
    if kind != RESTRICTED:
        return checks
    if access.refused:
        missing = "; ".join(
            f"{perm} ({action}: needed by {_PERMISSION_USES.get(action, 'the runbook')})"
            for perm, action in access.refused.items()
        )
        about_log = (
            f" The runbook's own Restricted keys leave out {LIST_MESSAGES} on purpose: a leaked"
            " key could read every recipient."
            if LIST_MESSAGES in access.refused
            else ""
        )
        checks.append(
            Check(
                "Key permissions",
                WARN,
                f"The Restricted key's policy does not allow: {missing}. Postman's sends do not"
                " need these." + about_log,
                f"To let the runbook read them, add the permissions to the key's policy in the"
                f" console ({API_KEYS_CONSOLE}); nothing is needed for Postman itself.",
            )
        )
    checks.append(_send_check(proof))
    return checks


def _send_check(proof: str) -> Check:
    if proof:
        return Check(
            "Postman's send",
            OK,
            f"The key's policy allowed Postman's send ({SEND}) when it was last tried: {proof}.",
            "If the key's policy was edited since, check the send again with step"
            f" {HANDOFF.number} (one test SMS).",
        )
    return Check(
        "Postman's send",
        WARN,
        f"This is a Restricted key, and a read-only check cannot try sending: whether its policy"
        f" allows Postman's send ({SEND}) is not known. Without it every campaign fails"
        " (error 70051).",
        f"In the console ({API_KEYS_CONSOLE}) open the key and check that it allows"
        f" {SEND}; or prove it with one test SMS sent as Postman sends (step {HANDOFF.number},"
        f" or step {ROTATE_KEY.number} to replace the key).",
    )


def service_checks(
    service: ServiceSeen, expected_sender_id: str, foreign: Iterable[tuple[str, str]]
) -> list[Check]:
    """The service, the Sender ID in its pool, and a sender for each country abroad that the
    window's recipients live in (``foreign``: ISO code, name)."""
    name = f"'{service.friendly_name}' " if service.friendly_name else ""
    if service.friendly_name is None:
        found = Check(
            "Messaging Service",
            WARN,
            f"The service {service.sid} could not be read with this key (see Key permissions);"
            " its Sender ID was read directly.",
        )
    else:
        found = Check("Messaging Service", OK, f"The service {name}({service.sid}) exists.")
    return [found, _sender_id_check(service, expected_sender_id), *_abroad(service, foreign)]


def _sender_id_check(service: ServiceSeen, expected: str) -> Check:
    fix = (
        f"Add your agency's SGNIC-registered Sender ID to the service's sender pool (step"
        f" {MESSAGING_SERVICE.number}, or Messaging > Services > Sender Pool in the console)."
    )
    if service.sender_ids is None:
        return Check(
            "Sender ID",
            WARN,
            "The service's Sender ID could not be read with this key (see Key permissions).",
            "Check the Sender Pool in the console (Messaging > Services).",
        )
    if not service.sender_ids:
        return Check(
            "Sender ID",
            FAIL,
            "The sender pool holds no alphanumeric Sender ID: Singapore recipients see a number"
            " (shown as Likely-SCAM), or Twilio refuses the messages when the pool is empty.",
            fix,
        )
    held = service.sender_ids[0]
    if expected and held.upper() != expected.upper():
        return Check(
            "Sender ID",
            FAIL,
            f"The sender pool holds '{held}', but the Sender ID registered for this set-up is"
            f" '{expected}'.",
            f"Put '{expected}' in the sender pool exactly as registered with SGNIC (a service"
            " holds one Sender ID: replace it in the console, or make a new service with step"
            f" {MESSAGING_SERVICE.number} and give Postman its SID).",
        )
    return Check("Sender ID", OK, f"The sender pool holds the Sender ID '{held}'.")


def _abroad(service: ServiceSeen, foreign: Iterable[tuple[str, str]]) -> list[Check]:
    countries = list(foreign)
    if not countries:
        return [Check("Recipients abroad", OK, "None in the window: only Singapore numbers.")]
    if service.sender_ids is None or service.numbers is None:
        names = ", ".join(name for _, name in countries)
        return [
            Check(
                "Recipients abroad",
                WARN,
                f"Messages went to {names}, but the service's senders could not be read with this"
                " key, so whether each country is reached was not checked.",
            )
        ]
    has_alpha, sender_id = bool(service.sender_ids), (service.sender_ids or ("",))[0]
    checks = []
    for iso, name in countries:
        seen = sender_for(iso, has_alpha, list(service.numbers), sender_id=sender_id)
        status = {"yes": OK, "if registered": WARN, "no": FAIL}[seen.reach]
        checks.append(Check(f"Recipients in {name}", status, seen.summary, seen.advice))
    return checks


def balance_check(balance: AccountBalance) -> Check:
    """The prepaid balance against ``low_balance``: campaigns stop when it runs out."""
    if not balance.known:
        why = f" ({balance.problem.rstrip('.')})" if balance.problem else ""
        return Check(
            "Balance",
            WARN,
            f"The balance could not be read with this key{why}.",
            f"Look at it on {WHERE_TO_SEE}. {RECHARGE_ADVICE}",
        )
    if balance.low:
        return Check(
            "Balance",
            FAIL if Decimal(balance.amount) <= 0 else WARN,
            f"The balance is {balance.shown()}, below the low_balance of {balance.threshold}:"
            " a campaign stops when it runs out (error 30002 on the messages).",
            f"Add funds in Billing > Billing Overview > Add Funds. {RECHARGE_ADVICE}",
        )
    estimate = f", roughly {balance.sg_segments:,} SMS to Singapore" if balance.sg_segments else ""
    return Check("Balance", OK, f"The balance is {balance.shown()}{estimate}.")
