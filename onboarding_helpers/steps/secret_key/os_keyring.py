"""The OS keyring (macOS Keychain, Windows Credential Locker, Secret Service) as a second place
for the API secret. The env file stays the store the runbook reads; step 02 restores the secret
from the keyring when the env file has lost it.

``keyring`` is optional: it is imported only once it is known to be installed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

KEYRING_SERVICE = "postman-onboarding-runbook"


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend: str  # the keyring backend's class, "" when there is none
    reason: str  # why it cannot be used, "" when it can


def keyring_status() -> KeyringStatus:
    """Whether an OS keyring is usable here. Headless machines usually have none: keyring then
    falls back to a backend that refuses every write."""
    if importlib.util.find_spec("keyring") is None:
        return KeyringStatus(
            False, "", "the 'keyring' package is not installed (pip install keyring)"
        )
    try:
        import keyring  # optional package, present (checked above)

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend configuration must not break the step
        return KeyringStatus(False, "", f"keyring could not load a backend ({type(exc).__name__})")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    priority = getattr(backend, "priority", 0)
    try:
        priority = float(priority)
    except (TypeError, ValueError):
        priority = 0.0
    # Below 1: the fail/null backends, and plain-text files, which are no safer than the env file.
    if priority < 1:
        return KeyringStatus(
            False, name, "no OS keyring service is reachable here (keyring chose " + name + ")"
        )
    return KeyringStatus(True, name, "")


def keyring_user(account_sid: str, key_sid: str) -> str:
    """The keyring entry's user name: one entry per account and key."""
    return f"{account_sid}:{key_sid}"


def keyring_get(account_sid: str, key_sid: str) -> str | None:
    """The secret kept in the OS keyring for this key, or None (no keyring, no entry)."""
    if not keyring_status().available:
        return None
    import keyring  # optional package, present (checked above)

    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_user(account_sid, key_sid))
    except Exception:
        return None


def keyring_keep(account_sid: str, key_sid: str, secret: str) -> bool:
    """Write the secret to the OS keyring; True when it reads back the same."""
    import keyring  # optional package: callers checked keyring_status() first

    user = keyring_user(account_sid, key_sid)
    keyring.set_password(KEYRING_SERVICE, user, secret)
    return keyring.get_password(KEYRING_SERVICE, user) == secret
