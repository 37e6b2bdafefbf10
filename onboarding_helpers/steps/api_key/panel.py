"""Step 02's panels. Secrets never appear, except in ``unsaved_secret_panel``, which only the form
shows, once, when the env file could not be written (see ``form.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...display import Panel
from .keys import KeyInfo
from .leftovers import Leftovers
from .ways import ApiKeyResult

_TITLES = {
    "created": "API key created. Its secret is saved in the env file; step 03 checks the pair.",
    "reused": "The saved API key and secret work: reused, nothing created.",
    "console": "Your console key and secret work, and are now saved in the env file.",
}


def _key_row(label: str, key: KeyInfo) -> tuple[str, str]:
    when = f"  (created {key.date_created})" if getattr(key, "date_created", "") else ""
    return label, f"{key.sid}  {key.friendly_name or '(no name)'}{when}"


def panel(result: ApiKeyResult) -> Panel:
    """The key step 02 ended with, and any keys nobody can use."""
    kind = "warn" if (result.orphans or result.old_keys) else "ok"
    rows = [
        ("API key SID", result.key_sid),
        ("Name", result.friendly_name or "-"),
        ("Key type", result.key_type.capitalize()),
        ("API secret", f"saved in {result.env_file} (shown masked in step 03)"),
        ("Checked with Twilio", "yes" if result.verified else "not yet: step 03 checks it"),
    ]
    if result.how == "created":
        if result.existing_keys:
            rows += [_key_row("key already there", k) for k in result.existing_keys]
        else:
            rows.append(("keys already there", "none"))
    rows += [_key_row("orphan key", k) for k in result.orphans]
    rows += [_key_row("replaced key (still works)", k) for k in result.old_keys]
    rows += [("revoked", sid) for sid in result.revoked]
    return Panel(kind, _TITLES.get(result.how, "API key ready."), rows=rows, notes=result.notes)


def keys_panel(keys: Iterable[KeyInfo]) -> Panel:
    """The account's keys as listed before anything is created."""
    keys = list(keys)
    if not keys:
        return Panel("info", "This account has no API keys yet.")
    return Panel(
        "info",
        f"API keys already in this account ({len(keys)}):",
        rows=[(k.sid, k.friendly_name or "(no name)", k.date_created or "-") for k in keys],
        columns=("Key SID", "Name", "Created"),
        notes=[
            "Twilio never shows an existing key's secret again, so none of these can be"
            " reused unless you saved its secret."
        ],
    )


def revoked_panel(result: Leftovers) -> Panel:
    """The 'Revoke orphan keys' button's answer."""
    rows = [("revoked", sid) for sid in result.revoked]
    rows += [_key_row("replaced key (kept)", k) for k in result.old_keys]
    title = (
        f"Revoked {len(result.revoked)} orphan key(s)."
        if result.revoked
        else "Nothing was revoked."
    )
    return Panel("ok", title, rows=rows, notes=result.notes)


def unsaved_secret_panel(key_sid: str, secret: str, env_file: str) -> Panel:
    """The one-time panel: the secret in full, because it was saved nowhere. Forms only."""
    return Panel(
        "error",
        "COPY THIS SECRET NOW: it was not saved, and Twilio will never show it again.",
        rows=[(API_KEY_SID, key_sid), (API_KEY_SECRET, secret)],
        notes=[
            f"Put both lines into {env_file} (or a password manager), then press"
            " 'I have saved it' to clear this panel. It is not written to any log."
        ],
    )
