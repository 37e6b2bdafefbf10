"""Where the new key goes, for the Postman in use (step 00 records which: ``which_postman``).

Legacy Postman keeps credentials under Settings > Credentials, one label each, and a saved
credential cannot be edited: the new values go in as a new credential under a new label, and every
campaign that used the old one is switched over. Postman v2 keeps the values in each campaign's
Internal Staff settings. Either way the Account SID and the Messaging Service ID stay; only the API
Key SID and the API Secret change.
"""

from __future__ import annotations

from datetime import date

from ...journal import HandoffRecord
from ...runbook import Runbook
from ...which_postman import CHANNEL_TYPE, LEGACY, V2, postman_in_use
from ..handoff.label import LABEL_MAX, default_label, suggest_label
from ..registry import HANDOFF

__all__ = ["LEGACY", "V2", "new_label", "old_label", "postman_in_use", "where_values_go"]


def old_label(rb: Runbook) -> str:
    """The credential label step 06 suggested or was given (legacy Postman)."""
    record: HandoffRecord = rb.progress.read(HANDOFF)
    return record.credential_label or default_label(rb)


def new_label(old: str, today: date | None = None) -> str:
    """A label for the new credential: the old one and the month, within Postman's rule (lowercase
    letters, digits and '-', at most 50 characters, unique among the officer's labels)."""
    stamp = (today or date.today()).strftime("%Y%m")
    base = old.removesuffix(f"-{stamp}")[: LABEL_MAX - len(stamp) - 1].rstrip("-")
    return suggest_label(f"{base}-{stamp}")


def where_values_go(postman: str, old: str, new: str, sender_id: str | None) -> list[str]:
    """What the officer does in Postman with the new values, one line per action."""
    if postman == V2:
        return [
            "Sign in to Postman (postman.gov.sg). Open each campaign that sends through this"
            f" Twilio account (channel type {CHANNEL_TYPE}) and its credential settings.",
            "Replace the API Key SID and the API Secret with the new ones. The Account SID, the"
            " Messaging Service ID and the Expected Sender Name"
            + (f" ('{sender_id}')" if sender_id else "")
            + " stay as they are.",
            "Postman v2 sends no test SMS when you save: the check this step made with the new"
            " key is the proof that it works.",
        ]
    return [
        "Sign in to legacy Postman (legacy.postman.gov.sg), Settings > Credentials. A saved"
        " credential cannot be edited, so add a new SMS credential under a new label, e.g."
        f" '{new}' (labels must be unique).",
        "Give it the four values: the same Account SID and Messaging Service ID, the new API Key"
        " SID and the new API Secret, and your mobile number. Postman sends one test SMS and saves"
        " the credential only if Twilio accepts that SMS.",
        f"Open every campaign that uses the old credential '{old}' and switch it to '{new}'."
        " Delete the old credential once no campaign uses it.",
    ]
