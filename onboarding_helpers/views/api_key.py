"""Steps 02 and 03 panels. Secrets appear masked, except in ``unsaved_secret_panel``, which only
the step 02 form shows, once, when the env file could not be written (see forms/api_key.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..credentials import API_KEY_SECRET, API_KEY_SID
from ..display import Panel

_TITLES = {
    "created": "API key created. Its secret is saved in the env file; step 03 checks the pair.",
    "reused": "The saved API key and secret work: reused, nothing created.",
    "console": "Your console key and secret work, and are now saved in the env file.",
    "replaced": "New API key created, checked and saved in the env file.",
}


def _key_row(label: str, key: Any) -> tuple[str, str]:
    when = f"  (created {key.date_created})" if getattr(key, "date_created", "") else ""
    return label, f"{key.sid}  {key.friendly_name or '(no name)'}{when}"


def keys_panel(keys: Iterable[Any]) -> Panel:
    """The account's keys as listed before anything is created."""
    keys = list(keys)
    if not keys:
        return Panel("info", "This account has no API keys yet.")
    return Panel(
        "info",
        f"API keys already in this account ({len(keys)}):",
        rows=[_key_row("key", k) for k in keys],
        notes=["Twilio never shows an existing key's secret again, so none of these can be"
               " reused unless you saved its secret."],
    )  # fmt: skip


def api_key_panel(result: Any) -> Panel:
    kind = "warn" if (result.orphans or result.old_keys) else "ok"
    rows = [
        ("API key SID", result.key_sid),
        ("Name", result.friendly_name or "-"),
        ("API secret", f"saved in {result.env_file} (shown masked in step 03)"),
        ("Checked with Twilio", "yes" if result.verified else "not yet: step 03 checks it"),
    ]
    if result.how == "created":
        if result.existing_keys:
            rows += [_key_row("key already there", k) for k in result.existing_keys]
        else:
            rows.append(("keys already there", "none"))
    rows += [_key_row("orphan key", k) for k in result.orphans]
    rows += [_key_row("replaced key", k) for k in result.old_keys]
    rows += [("revoked", sid) for sid in result.revoked]
    return Panel(kind, _TITLES.get(result.how, "API key ready."), rows=rows, notes=result.notes)


def revoked_panel(result: Any) -> Panel:
    """The 'Revoke orphan keys' button's answer."""
    rows = [("revoked", sid) for sid in result.revoked]
    rows += [_key_row("replaced key (kept)", k) for k in result.old_keys]
    title = (
        f"Revoked {len(result.revoked)} orphan key(s)."
        if result.revoked
        else "Nothing was revoked."
    )
    return Panel("ok", title, rows=rows, notes=result.notes)


def secret_panel(result: Any) -> Panel:
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
            ("Checked with Twilio", "yes: signed in with key + secret, as Postman will"),
            ("OS keyring", keyring_text),
        ],
        notes=list(result.notes),
    )


def keyring_panel(status: Any) -> Panel:
    if status.available:
        return Panel(
            "info",
            "An OS keyring is available as a second place for the secret.",
            rows=[("backend", status.backend)],
            notes=["The env file stays the store the runbook reads; the keyring keeps a copy,"
                   " and step 02 restores the secret from it if the env file loses it."],
        )  # fmt: skip
    return Panel(
        "info",
        "No OS keyring is usable here; the env file (mode 0600) is the store.",
        rows=[("why", status.reason)],
    )


def unsaved_secret_panel(key_sid: str, secret: str, env_file: str) -> Panel:
    """The one-time panel: the secret in full, because it was saved nowhere. Forms only."""
    return Panel(
        "error",
        "COPY THIS SECRET NOW: it was not saved, and Twilio will never show it again.",
        rows=[(API_KEY_SID, key_sid), (API_KEY_SECRET, secret)],
        notes=[f"Put both lines into {env_file} (or a password manager), then press"
               " 'I have saved it' to clear this panel. It is not written to any log."],
    )  # fmt: skip
