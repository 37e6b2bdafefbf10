"""The guide's administrative steps: done outside Twilio's API, so before step 01, by hand.

Each Postman has its own list (``which_postman``): legacy Postman onboards through its own form
and a Twilio invitation; Postman v2 has the officer sign up with Twilio directly and then have
Twilio map the Sender ID to the account.
"""

from __future__ import annotations

from ...which_postman import LEGACY, V2

_BILLING = (
    "billing_upgraded",
    "Billing is upgraded (Billing > Manage Billing > Upgrade, prepaid, ideally with a corporate"
    " card). Until it is, SMS show as Likely-SCAM and cannot carry your Sender ID.",
)

# (name, what the officer ticks off), in the legacy guide's order.
PREREQUISITES: tuple[tuple[str, str], ...] = (
    (
        "sender_id_registered",
        "Your Sender ID is registered with SGNIC's SMS Sender ID Registry (SSIR), and you have the"
        " approval screenshot.",
    ),
    ("onboarding_form", "You sent Postman's onboarding form (name, email, use case, volume)."),
    ("invitation_accepted", "You accepted the Twilio invitation email and can log in."),
    ("account_name_set", "You set the account name (Account > General settings)."),
    _BILLING,
)

# Postman v2's order: no Postman form and no invitation, and one step more: the mapping.
PREREQUISITES_V2: tuple[tuple[str, str], ...] = (
    (
        "sender_id_registered",
        "Your Sender ID is registered with SGNIC's SMS Sender ID Registry (SSIR) for internal"
        " messages, and you have the approval screenshot.",
    ),
    (
        "twilio_signed_up",
        "You signed up with Twilio yourself, with the email address the account belongs to and a"
        " mobile number that receives its login codes (no Postman form, no invitation).",
    ),
    ("account_name_set", "You set the account name (Account > General settings)."),
    _BILLING,
    (
        "sender_id_mapped",
        "After the billing upgrade, you asked Twilio to map your Sender ID to this account with"
        " Twilio's application form and three documents: an ACRA BizFile report less than 3"
        " months old, the SSIR approval screenshot showing your organisation's name and the"
        " Sender ID, and a Letter of Authorisation. Twilio shows your Sender ID on SMS only once"
        " it is mapped (Twilio's help article 15390253628059 explains the form).",
    ),
)

_BY_POSTMAN = {LEGACY: PREREQUISITES, V2: PREREQUISITES_V2}


def prerequisites_for(postman: str) -> tuple[tuple[str, str], ...]:
    """The administrative steps of this Postman's onboarding (legacy when unknown)."""
    return _BY_POSTMAN.get(postman, PREREQUISITES)
