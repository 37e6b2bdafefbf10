"""Checks on what the officer types, before anything is sent or written.

Each check returns the cleaned value or raises ``InputError`` naming the field and the fix.
Secrets are never echoed back in a message.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InputError

# Where the console lists API keys today (the guide's "Account > API keys & tokens" is the older
# layout). Every message that sends the officer there uses this.
API_KEYS_CONSOLE = "Admin > Account management > Keys & credentials > API keys & tokens"

# Twilio SID prefixes and what each one is, in the officer's words.
SID_KINDS: dict[str, tuple[str, str]] = {
    "AC": ("Account SID", "the Twilio console dashboard, under Account Info"),
    "SK": ("API key SID", API_KEYS_CONSOLE),
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
        article = "an" if other and other[0][0] in "AEIOUaeiou" else "a"
        hint = f" That looks like {article} {other[0]}." if other else ""
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


# SGNIC's own published examples of generic Sender IDs it refuses (SSIR rules of registration).
SGNIC_GENERIC_SENDER_IDS = frozenset({"OTP", "SMS"})
# Words we merely suspect are too generic to identify an agency: SGNIC refuses generic IDs
# without listing them all, and UK operators block many of these (Twilio's UK guidelines). Warned
# about, never refused.
GENERIC_SENDER_IDS = frozenset(
    {
        "INFO",
        "TEST",
        "ALERT",
        "ALERTS",
        "NOTICE",
        "NOTIFY",
        "VERIFY",
        "NOREPLY",
        "ADMIN",
        "SYSTEM",
        "MESSAGE",
        "MSG",
        "SENDER",
        "SERVICE",
        "UPDATE",
        "UPDATES",
        "REMINDER",
        "TEXT",
    }
)
# Twilio's characters for an alphanumeric Sender ID (messaging v1 AlphaSender, official spec).
_TWILIO_SENDER_ID_CHARS = re.compile(r"^[A-Za-z0-9 +\-_&]+$")
_SENDER_ID_SYMBOLS = frozenset("-+_&")
SENDER_ID_MATCH_REMINDER = (
    "It must equal the ID your agency registered with SGNIC (SSIR), character for character,"
    " letter case included: the runbook cannot see SGNIC's registry."
)


def _char_name(ch: str) -> str:
    if ch.isprintable() and ch.isascii():
        return repr(ch)
    return unicodedata.name(ch, hex(ord(ch)))


def _odd_characters(value: str) -> list[str]:
    """One sentence per kind of character Twilio or SGNIC refuses (empty: none)."""
    odd = sorted({ch for ch in value if not _TWILIO_SENDER_ID_CHARS.match(ch)})
    foreign = [ch for ch in odd if not ch.isascii()]
    symbols = [ch for ch in odd if ch.isascii()]
    problems = []
    if foreign:
        shown = ", ".join(_char_name(ch) for ch in foreign)
        problems.append(
            f"contains {shown}; SGNIC registers Latin characters only (a look-alike or invisible"
            " character is often picked up when copying)."
        )
    if symbols:
        shown = ", ".join(_char_name(ch) for ch in symbols)
        problems.append(
            f"contains {shown}; Twilio accepts only letters A-Z and a-z, digits, spaces and the"
            " symbols - + _ &."
        )
    return problems


def sender_id_problems(value: object) -> list[str]:
    """Every rule the Sender ID breaks, one sentence each (empty list: it may be used).

    Only what Twilio or SGNIC documents is refused: 3 to 11 characters (SGNIC's minimum,
    Twilio's and SGNIC's maximum), Twilio's characters (A-Z a-z 0-9 space - + _ &), Latin only, no
    leading or trailing space, at least one letter, and SGNIC's own generic examples "OTP" and
    "SMS". What we merely suspect is in ``sender_id_warnings``.
    """
    if not isinstance(value, str):
        return [f"expected text, got {type(value).__name__}."]
    if not value:
        return ["is empty: type the Sender ID your agency registered with SGNIC."]
    problems = []
    if len(value) < 3:
        problems.append(f"has {len(value)} characters; SGNIC needs at least 3.")
    if len(value) > 11:
        problems.append(f"has {len(value)} characters; the limit is 11.")
    if value != value.strip():
        problems.append("starts or ends with a space; SGNIC does not allow that.")
    problems += _odd_characters(value)
    if not any(ch.isascii() and ch.isalpha() for ch in value):
        problems.append("has no letter; Twilio refuses a Sender ID made only of digits.")
    if value.strip().upper() in SGNIC_GENERIC_SENDER_IDS:
        problems.append(
            f"'{value.strip()}' is one of SGNIC's own examples of a generic ID it refuses;"
            " use your agency's own name or abbreviation."
        )
    return problems


def sender_id_warnings(value: str) -> list[str]:
    """What we suspect but no source confirms: said, never refused (empty: nothing)."""
    warnings = []
    word = value.strip().upper()
    if word in GENERIC_SENDER_IDS:
        warnings.append(
            f"'{value.strip()}' sounds generic. SGNIC refuses generic IDs and UK operators block"
            " words like it; if SGNIC approved it for your agency, go ahead."
        )
    symbols = sorted(set(value) & _SENDER_ID_SYMBOLS)
    if symbols:
        shown = ", ".join(repr(ch) for ch in symbols)
        them = "it" if len(symbols) == 1 else "them"
        warnings.append(
            f"It contains {shown}. Twilio accepts {them}, but SGNIC allows only the special"
            " characters listed in its rules' Annex, which the runbook could not check: make"
            f" sure your SSIR approval shows {them} exactly."
        )
    if "+" in value:
        warnings.append(
            "UK operators have begun refusing Sender IDs with '+' (Twilio's UK guidelines); it"
            " matters only if you also send to the United Kingdom."
        )
    return warnings


def sender_id_check(value: object) -> tuple[str, list[str]]:
    """The Sender ID and what to warn about; refuses (InputError) what Twilio or SGNIC refuses.

    Returned as typed (no trimming, no case change): it must match the SGNIC registration
    character for character.
    """
    problems = sender_id_problems(value)
    if problems:
        raise InputError(
            "Sender ID",
            " ".join(problems),
            "Type the Sender ID exactly as on your SGNIC (SSIR) approval, character for character.",
        )
    assert isinstance(value, str)  # sender_id_problems refuses everything else
    return value, sender_id_warnings(value)


def validate_sender_id(value: object) -> str:
    """Check the alphanumeric Sender ID against Twilio's and SGNIC's rules together."""
    return sender_id_check(value)[0]


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
