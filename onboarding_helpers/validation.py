"""Checks on what the officer types, before anything is sent or written.

Each check returns the cleaned value or raises ``InputError`` naming the field and the fix.
Secrets are never echoed back in a message.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InputError

# Twilio SID prefixes and what each one is, in the officer's words.
SID_KINDS: dict[str, tuple[str, str]] = {
    "AC": ("Account SID", "the Twilio console dashboard, under Account Info"),
    "SK": ("API key SID", "Account > API keys & tokens in the Twilio console"),
    "MG": ("Messaging Service SID", "the Messaging Service's Properties page"),
    "PN": ("phone number SID", "Phone Numbers > Active numbers"),
    "AI": ("alpha sender SID", "the Messaging Service's Sender Pool"),
    "SM": ("message SID", "Monitor > Logs > Messaging"),
}

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
# A Twilio secret (Auth Token, API secret) is 32 letters and digits; a SID is 34, so it does not
# match. Used to keep secrets out of every typed name.
SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0"}


def _describe_hidden(value: str) -> str | None:
    """Say what hidden or look-alike character a pasted value carries, if any."""
    if value != value.strip():
        return "it starts or ends with a space or line break (often picked up when copying)"
    for ch in value:
        if ch == " ":
            return "it contains a space"
        if ch in _INVISIBLE or unicodedata.category(ch) in ("Cf", "Zs", "Cc"):
            return f"it contains an invisible character ({unicodedata.name(ch, hex(ord(ch)))})"
        if not ch.isascii():
            name = unicodedata.name(ch, hex(ord(ch)))
            return (
                f"it contains the non-Latin character {name!s}, which only looks like a Latin one"
            )
    return None


def validate_sid(value: object, prefix: str, field: str | None = None) -> str:
    """Check a Twilio SID: ``prefix`` followed by 32 hexadecimal characters."""
    kind, where = SID_KINDS[prefix]
    field = field or kind
    if not isinstance(value, str):
        raise InputError(
            field, f"expected text, got {type(value).__name__}.", f"Copy the {kind} from {where}."
        )
    if not value:
        raise InputError(field, "is empty.", f"Copy the {kind} from {where}.")
    hidden = _describe_hidden(value)
    if hidden:
        raise InputError(
            field, f"{hidden}.", "Delete the value and copy it again, or type it by hand."
        )
    if value[:2].upper() == prefix and value[:2] != prefix:
        raise InputError(
            field,
            f"must start with capital '{prefix}', not '{value[:2]}'.",
            f"Write the first two letters as '{prefix}'.",
        )
    if not value.startswith(prefix):
        other = SID_KINDS.get(value[:2].upper())
        hint = f" That looks like a {other[0]}." if other else ""
        raise InputError(
            field,
            f"must start with '{prefix}' but starts with '{value[:2]}'.{hint}",
            f"Copy the {kind} from {where}.",
        )
    body = value[2:]
    if len(body) != 32:
        raise InputError(
            field,
            f"has {len(value)} characters; a {kind} has 34 ('{prefix}' and 32 more).",
            "Check that nothing was cut off or added when copying.",
        )
    if not _HEX32.match(body):
        raise InputError(
            field,
            "after the prefix may only contain the digits 0-9 and letters a-f.",
            f"Copy the {kind} again from {where}.",
        )
    return value


def validate_account_sid(value: object) -> str:
    return validate_sid(value, "AC")


def validate_api_key_sid(value: object) -> str:
    return validate_sid(value, "SK")


def validate_messaging_service_sid(value: object) -> str:
    return validate_sid(value, "MG")


def _validate_secret(value: object, field: str, where: str) -> str:
    # Never include the value itself in a message: it is a secret.
    if not isinstance(value, str):
        raise InputError(
            field, f"expected text, got {type(value).__name__}.", f"Copy it from {where}."
        )
    if not value:
        raise InputError(field, "is empty.", f"Copy it from {where}.")
    hidden = _describe_hidden(value)
    if hidden:
        raise InputError(field, f"{hidden}.", "Paste it again without spaces or line breaks.")
    if not value.isalnum():
        raise InputError(
            field,
            "may only contain letters and digits.",
            f"Paste it again from {where}; do not add quotes or punctuation.",
        )
    if len(value) != 32:
        raise InputError(
            field,
            f"has {len(value)} characters; Twilio's are 32.",
            "Check that nothing was cut off or added when copying.",
        )
    return value


def validate_auth_token(value: object) -> str:
    return _validate_secret(
        value, "Auth Token", "the Twilio console dashboard (Account Info, click 'Show')"
    )


def validate_api_secret(value: object) -> str:
    return _validate_secret(
        value, "API secret", "where you saved it when the key was created (Twilio shows it once)"
    )


def validate_friendly_name(value: object, field: str = "friendly name", max_len: int = 64) -> str:
    """A Twilio friendly name: 1 to ``max_len`` characters, no control characters."""
    if not isinstance(value, str):
        raise InputError(field, f"expected text, got {type(value).__name__}.", "Type a short name.")
    cleaned = value.strip()
    if not cleaned:
        raise InputError(field, "is empty.", "Type a short name that says what this is for.")
    if len(cleaned) > max_len:
        raise InputError(
            field, f"has {len(cleaned)} characters; Twilio allows {max_len}.", "Shorten it."
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned):
        raise InputError(field, "contains a control or invisible character.", "Retype it by hand.")
    if SECRET_SHAPE.search(cleaned):
        # Names go to Twilio, the journal and the notebook: a pasted secret must not.
        raise InputError(
            field,
            "contains something shaped like a Twilio secret (32 letters and digits in a row).",
            "Type a plain descriptive name; secrets stay in the env file only.",
        )
    return cleaned


# Words SGNIC refuses as too generic to identify an organisation.
GENERIC_SENDER_IDS = frozenset(
    {
        "OTP", "SMS", "INFO", "TEST", "ALERT", "ALERTS", "NOTICE", "NOTIFY", "VERIFY", "NOREPLY",
        "ADMIN", "SYSTEM", "MESSAGE", "MSG", "SENDER", "SERVICE", "UPDATE", "UPDATES", "REMINDER",
    }
)  # fmt: skip
_SENDER_ID_CHARS = re.compile(r"^[A-Za-z0-9 ]+$")


def sender_id_problems(value: object) -> list[str]:
    """Every rule the Sender ID breaks, one sentence each (empty list: it is fine).

    Twilio allows up to 11 of A-Z a-z 0-9 space - + _ &. SGNIC registers 3 to 11 Latin letters,
    digits and spaces. We refuse - + _ & because the ID must match the SGNIC registration
    character for character, and handsets and operators render those symbols inconsistently.
    """
    if not isinstance(value, str):
        return [f"expected text, got {type(value).__name__}."]
    problems = []
    if not value:
        return ["is empty: type the Sender ID your agency registered with SGNIC."]
    if len(value) < 3:
        problems.append(f"has {len(value)} characters; SGNIC needs at least 3.")
    if len(value) > 11:
        problems.append(f"has {len(value)} characters; the limit is 11.")
    if value != value.strip():
        problems.append("starts or ends with a space; SGNIC does not allow that.")
    odd = sorted({ch for ch in value if not _SENDER_ID_CHARS.match(ch)})
    if odd:
        shown = ", ".join(
            repr(ch) if ch.isprintable() and ch.isascii() else unicodedata.name(ch, hex(ord(ch)))
            for ch in odd
        )
        problems.append(
            f"contains {shown}; use only Latin letters A-Z, digits and spaces"
            " (symbols such as - + _ & are not accepted by SGNIC's registry)."
        )
    if not any(ch.isascii() and ch.isalpha() for ch in value):
        problems.append("has no letter; a Sender ID made only of digits looks like a phone number.")
    if value.strip().upper() in GENERIC_SENDER_IDS:
        problems.append(
            f"'{value.strip()}' is a generic word that SGNIC does not register;"
            " use your agency's own name or abbreviation."
        )
    return problems


def validate_sender_id(value: object) -> str:
    """Check the alphanumeric Sender ID against Twilio's and SGNIC's rules together."""
    problems = sender_id_problems(value)
    if problems:
        raise InputError(
            "Sender ID",
            " ".join(problems),
            "It must equal the ID your agency registered with SGNIC, character for character.",
        )
    return value  # type: ignore[return-value]


USECASES = ("notifications", "marketing", "verification", "discussion", "poll", "undeclared")


def validate_usecase(value: object) -> str:
    if value not in USECASES:
        raise InputError(
            "use case",
            f"{value!r} is not one of Twilio's use cases.",
            "Choose one of: " + ", ".join(USECASES) + ".",
        )
    return value  # type: ignore[return-value]


def validate_flag(value: object, field: str) -> bool:
    """A yes/no parameter. Refuses strings such as 'False', which Python treats as true."""
    if isinstance(value, bool):
        return value
    raise InputError(
        field,
        f"must be True or False, got {value!r} ({type(value).__name__}).",
        f"Headless, pass it with -p {field} True (not -r, which passes text).",
    )
