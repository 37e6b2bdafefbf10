"""The credential label: Postman's rule, and a label suggested from the service or agency name."""

from __future__ import annotations

import re
import unicodedata

from ...errors import InputError
from ...runbook import Runbook
from ...validation import SECRET_SHAPE
from ..registry import ACCOUNT, MESSAGING_SERVICE, PHONE_NUMBER

# Postman's rule for a credential label.
LABEL_RULE = re.compile(r"^[a-z0-9-]+$")
LABEL_MAX = 50
DEFAULT_LABEL = "twilio-sms"


def suggest_label(*names: str | None) -> str:
    """A credential label Postman accepts, from the first usable name (service, then agency).

    Lowercased, accents dropped, every other character turned into '-', at most 50 characters.
    """
    for name in names:
        if not name:
            continue
        ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        label = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
        label = label[:LABEL_MAX].rstrip("-")
        if label:
            return label
    return DEFAULT_LABEL


def validate_label(value: object) -> str:
    """Postman's rule: ``^[a-z0-9-]+$``, 1 to 50 characters."""
    if not isinstance(value, str):
        raise InputError(
            "credential_label", f"expected text, got {type(value).__name__}.", "Type a label."
        )
    suggestion = suggest_label(value)
    if not value:
        raise InputError("credential_label", "is empty.", f"Use e.g. '{suggestion}'.")
    if len(value) > LABEL_MAX:
        raise InputError(
            "credential_label",
            f"has {len(value)} characters; Postman allows {LABEL_MAX}.",
            f"Use e.g. '{suggestion}'.",
        )
    if SECRET_SHAPE.search(value):
        raise InputError(
            "credential_label",
            "contains something shaped like a Twilio secret (32 letters and digits in a row).",
            f"Use a plain label such as '{DEFAULT_LABEL}'; secrets stay in the env file only.",
        )
    if not LABEL_RULE.match(value):
        bad = sorted({ch for ch in value if not re.match(r"[a-z0-9-]", ch)})
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InputError(
            "credential_label",
            f"has characters Postman refuses ({shown}): only lowercase letters, digits and '-'.",
            f"Use e.g. '{suggestion}'.",
        )
    return value


def default_label(rb: Runbook) -> str:
    """The label suggested from the service's name (step 04, else 04a), else the agency's (01)."""
    service = (
        rb.progress.read(MESSAGING_SERVICE).service_name
        or rb.progress.read(PHONE_NUMBER).service_name
    )
    agency = rb.progress.read(ACCOUNT).friendly_name
    return suggest_label(service, agency)
