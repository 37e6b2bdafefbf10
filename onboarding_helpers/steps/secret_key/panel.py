"""Step 03's panels: the checked pair (the secret masked) and the OS keyring's availability."""

from __future__ import annotations

from ...display import Panel
from .os_keyring import KeyringStatus
from .step import SecretResult


def panel(result: SecretResult) -> Panel:
    """Where the secret is kept, and that Twilio accepted the pair."""
    ring = result.keyring
    if result.copied_to_keyring:
        keyring_text = f"a copy is kept there too ({ring.backend})"
    elif ring.available:
        keyring_text = f"available ({ring.backend}); not used"
    else:
        keyring_text = f"not available: {ring.reason}"
    return Panel(
        "ok",
        "The API key and its secret work, and the secret is stored safely.",
        rows=[
            ("API key SID", result.key_sid),
            ("API secret", result.masked_secret),
            ("Stored in", result.env_file),
            ("Permissions", f"{result.mode} (only you can read it)"),
            ("Key type", result.key_type.capitalize()),
            ("Checked with Twilio", "yes: signed in with key + secret, as Postman will"),
            ("OS keyring", keyring_text),
        ],
        notes=list(result.notes),
    )


def keyring_panel(status: KeyringStatus) -> Panel:
    """Whether the OS keyring can keep a second copy here, and why not."""
    if status.available:
        return Panel(
            "info",
            "An OS keyring is available as a second place for the secret.",
            rows=[("backend", status.backend)],
            notes=[
                "The env file stays the store the runbook reads; the keyring keeps a copy,"
                " and step 02 restores the secret from it if the env file loses it."
            ],
        )
    return Panel(
        "info",
        "No OS keyring is usable here; the env file (mode 0600) is the store.",
        rows=[("why", status.reason)],
    )
