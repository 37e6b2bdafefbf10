"""Which Postman the officer hands the four values to: legacy Postman or Postman v2.

Both take the same four values and both send the same way (API key, ``From`` = the Messaging
Service SID), but they ask for them in different places:

- **legacy** (legacy.postman.gov.sg, the guide this runbook mirrors): once, under Settings >
  Credentials, with a credential label and the officer's mobile; Postman sends one test SMS and
  keeps the credential only if Twilio takes it.
- **v2** (postman.gov.sg since April 2024, Internal SMS): in every campaign, channel type
  *Internal Staff*, with the registered Sender ID as *Expected Sender Name*; no label, and no test
  SMS when the values are entered.

Step 00 records the choice (``StartRecord.postman``); every step that words something
differently for each reads it with ``postman_in_use``. Older records have none: legacy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .progress import ProgressRecord
from .steps.registry import START

LEGACY = "legacy"
V2 = "v2"
DEFAULT_POSTMAN = LEGACY
FIELD = "postman"
# Postman v2's channel type for SMS sent through the agency's own Twilio account.
CHANNEL_TYPE = "Internal Staff"


@dataclass(frozen=True)
class PostmanKind:
    """One Postman: its name, address, and in plain words where the values go."""

    name: str
    title: str
    address: str
    where_values_go: str


POSTMANS: dict[str, PostmanKind] = {
    LEGACY: PostmanKind(
        name=LEGACY,
        title="Postman legacy",
        address="legacy.postman.gov.sg",
        where_values_go=(
            "You save the four values once, under Settings > Credentials, with a label of your"
            " choice and your mobile number. Postman then sends you one test SMS and keeps the"
            " values only if Twilio takes it. This is the guide the runbook follows."
        ),
    ),
    V2: PostmanKind(
        name=V2,
        title="Postman v2 (Internal SMS)",
        address="postman.gov.sg",
        where_values_go=(
            "You type the four values into each SMS campaign (channel type Internal Staff),"
            " together with your registered Sender ID as the Expected Sender Name. There is no"
            " label and Postman sends no test SMS when you enter them. Internal SMS is for"
            " messages to your agency's own staff."
        ),
    ),
}


CHOICES_ADVICE = (
    f"Use '{LEGACY}' (legacy.postman.gov.sg: Settings > Credentials, the guide's way) or '{V2}'"
    " (postman.gov.sg: the values go into each Internal SMS campaign). Headless: -r postman v2."
)


def check_postman(value: object) -> str:
    """``legacy`` or ``v2`` (any case, spaces around ignored); empty text stays empty (no choice
    given). Anything else is refused naming the field and both choices."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(FIELD, f"expected text, got {type(value).__name__}.", CHOICES_ADVICE)
    text = value.strip().lower()
    if text in ("", *POSTMANS):
        return text
    raise InputError(FIELD, f"{value!r} is not a Postman the runbook knows.", CHOICES_ADVICE)


def postman_in_use(progress: ProgressRecord) -> str:
    """The Postman step 00 recorded; legacy when none was (older records, step 00 not run)."""
    chosen = progress.read(START).postman
    return chosen if chosen in POSTMANS else DEFAULT_POSTMAN
