"""The guide's administrative steps: done outside Twilio's API, so before step 01, by hand."""

from __future__ import annotations

# (name, what the officer ticks off), in the guide's order.
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
