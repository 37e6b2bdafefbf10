"""The Auth Token put away at the end of the hand-off.

The Auth Token is the account's master credential. Postman never needs it (it signs in with the
API key), and Twilio advises against keeping it where it is not needed, so once the four values
are proven the officer can remove ``TWILIO_AUTH_TOKEN`` from the env file: the form's button, or
headless ``forget_auth_token``. Removing it is a deliberate act, so no copy is kept: it leaves the
env file (the store's ``remove``: atomic, the file stays 0600) and every backup and rescue file
beside it (``credential_copies``), and the panel names each file it left. The token itself is not
lost, it is still shown in the Twilio console (Account Info). Afterwards the key-only steps (03,
this step's check) still work; a step that needs the token stops and says how to give it for one
action.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...credential_copies import revoked_keys, tidy_copies
from ...credentials import ACCOUNT_SID, AUTH_TOKEN
from ...display import Panel
from ...journal import AuthTokenRemoved, CredentialCopiesTidied
from ...runbook import Runbook, step_action
from ..registry import HANDOFF as STEP

FORGET_FLAG = "forget_auth_token"  # the notebook parameter that removes it headless
WHERE_TO_FIND_IT = "Twilio console dashboard, Account Info, 'Show'"


@dataclass(frozen=True)
class TokenRemoval:
    """What ``remove_auth_token`` did: ``removed`` False when the env file held no token."""

    removed: bool
    env_file: str
    at: str = ""
    from_copies: tuple[str, ...] = ()  # backups and rescue files it was taken out of
    deleted_copies: tuple[str, ...] = ()  # copies then deleted: they held nothing else


def keep_or_remove_note(rb: Runbook) -> str:
    """What the card says about the Auth Token: recommend removing it (live mode says so first)
    while the env file still holds it."""
    if not rb.store.get(AUTH_TOKEN):
        return (
            f"The env file holds no Auth Token ({AUTH_TOKEN}): Postman never needs it, and the"
            " key-only checks (step 03, this step) work without it."
        )
    text = (
        f"Postman never needs your Auth Token ({AUTH_TOKEN}), the account's master credential,"
        " and Twilio advises against keeping it where it is not needed. Now that the four values"
        " are proven, remove it from the env file: the form's button 'Remove the Auth Token from"
        f" the env file', or headless -p {FORGET_FLAG} True. You can always copy it again from"
        f" the {WHERE_TO_FIND_IT}."
    )
    return text if rb.settings.is_sandbox else f"Recommended: {text}"


@step_action(STEP.id)
def remove_auth_token(rb: Runbook) -> TokenRemoval:
    """Remove ``TWILIO_AUTH_TOKEN`` from the env file, on purpose: no backup is kept. Journalled
    (``AuthTokenRemoved``) so steps that need the token say it was put away, not lost."""
    env_file = str(rb.settings.env_file)
    removed, at = bool(rb.store.get(AUTH_TOKEN)), ""
    if removed:
        rb.store.remove(AUTH_TOKEN)
        event = AuthTokenRemoved(account_sid=rb.store.get(ACCOUNT_SID) or "", env_file=env_file)
        at = rb.progress.log(STEP, event).at
    # Copies too, whether or not the env file still held it: forgetting means everywhere.
    tidied = tidy_copies(rb.store, revoked_keys(rb), forget=[AUTH_TOKEN])
    if tidied:
        cleaned = [[copy, list(names)] for copy, names in tidied.cleaned]
        rb.progress.log(STEP, CredentialCopiesTidied(cleaned=cleaned, deleted=list(tidied.deleted)))
    return TokenRemoval(
        removed=removed,
        env_file=env_file,
        at=at,
        from_copies=tuple(c for c, n in tidied.cleaned if AUTH_TOKEN in n),
        deleted_copies=tidied.deleted,
    )


def removal_panel(removal: TokenRemoval) -> Panel:
    """What became of the Auth Token, and what to do when a step needs it again."""
    rows = [("env file", removal.env_file), (AUTH_TOKEN, "removed" if removal.removed else "none")]
    rows += [("removed from the copy", copy) for copy in removal.from_copies]
    rows += [("deleted copy (nothing else in it)", copy) for copy in removal.deleted_copies]
    again = (
        "Steps 03 and 06 (the API key's checks) still work. A step that needs the token (01, 02,"
        f" 04, 04a, 05's send, 07) stops and says so: type it in that step's form for one action,"
        f" or add {AUTH_TOKEN}=... back to the env file, then remove it again here. You can copy"
        f" it from the {WHERE_TO_FIND_IT}."
    )
    copies = len(removal.from_copies) + len(removal.deleted_copies)
    also = f" and from {copies} backup or rescue file(s) beside it" if copies else ""
    if removal.removed or copies:
        return Panel(
            "ok",
            f"The Auth Token was removed from the env file{also} (no copy kept).",
            rows,
            [again],
        )
    return Panel(
        "info",
        "Neither the env file nor its backups hold an Auth Token: nothing to remove.",
        rows,
        [again],
    )
