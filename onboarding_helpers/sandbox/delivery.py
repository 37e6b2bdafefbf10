"""What the fake carriers do with a message: which destinations they accept, which sender Twilio
picks for each country, what becomes of the message (the outcome), and the statuses it passes
through on the way.

- Singapore (+65) takes mobiles only (+65 8xxx xxxx, +65 9xxx xxxx): another 8-digit number is
  not a mobile (21614), anything else is not a number (21211).
- The sender, as Twilio picks it from a Messaging Service: the alphanumeric Sender ID for every
  country that takes one (``ALPHA_RULES``: "supported" or "registration"), else the pool's first
  number; with neither, 400/21612 (Twilio's page for 21612: an alpha sender reaches only
  countries that support alphanumeric Sender IDs).
- Outcomes, fixed when the message is created:
  a sender in the account's ``filtered_sender_ids`` -> ``failed`` (30007, not yet mapped);
  a Sender ID in ``protected_sender_ids`` sent to Singapore -> ``failed`` (30007: another
  organisation registered it with SGNIC; Twilio cannot see that when the sender is added);
  a Sender ID sent to a "registration" country not in ``alpha_registered_countries`` ->
  ``failed`` (30007; default: only Singapore is registered);
  a number sent to the US while ``us_senders_registered`` is off -> ``failed`` (30034, the
  message from an unregistered 10DLC number);
  a recipient who replied STOP to the service (table ``opt_outs``) -> ``failed`` (21610: Twilio
  accepts a Messaging Service's message first and fails it afterwards);
  a recipient ending 0003 -> ``undelivered`` (30003, handset unreachable); ending 0005 ->
  ``undelivered`` (30005, unknown number); ending 0008 -> ``undelivered`` (30008); ending 9999 ->
  stays ``sent`` (``stuck``); otherwise ``delivered``.

``ALPHA_RULES`` is the sandbox's own copy of the ``alpha`` column of
``onboarding_helpers/countries.py`` (the sandbox imports nothing of the runbook);
``tests/test_countries.py`` proves the two agree. Not modelled: operators replacing a sender
with a number of their own, short-code-only countries, Geo Permissions.

Standard library only.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from . import _db
from .wire import ApiError

SG_MOBILE_RE = re.compile(r"\+65[89]\d{7}")
SG_NUMBER_RE = re.compile(r"\+65\d{8}")

# Whether a country takes an alphanumeric Sender ID: "supported" (as is), "registration" (only
# once registered there) or "not supported" (a number is needed). Every other country: DEFAULT.
ALPHA_RULES = {
    "SG": "registration",
    "MY": "supported",
    "ID": "registration",
    "PH": "registration",
    "TH": "registration",
    "VN": "registration",
    "IN": "supported",
    "CN": "not supported",
    "HK": "registration",
    "AU": "registration",
    "NZ": "not supported",
    "JP": "supported",
    "KR": "not supported",
    "GB": "supported",
    "US": "not supported",
    "CA": "not supported",
}
DEFAULT_ALPHA = "supported"
# Country calling codes of those countries (+1 is told apart by area code below).
CALLING_CODES = {
    "65": "SG",
    "60": "MY",
    "62": "ID",
    "63": "PH",
    "66": "TH",
    "84": "VN",
    "91": "IN",
    "86": "CN",
    "852": "HK",
    "61": "AU",
    "64": "NZ",
    "81": "JP",
    "82": "KR",
    "44": "GB",
}
# Canada's area codes within +1; every other +1 number counts as the US here.
CANADIAN_AREA_CODES = frozenset(
    "204 226 236 249 250 257 263 273 289 306 343 354 365 367 368 382 387 403 416 418 428 431"
    " 437 438 450 460 468 474 506 514 519 548 579 581 584 587 604 613 639 647 672 683 705 709"
    " 742 753 778 780 782 807 819 825 867 873 879 902 905 942".split()
)

# The error a message shows once its status is the key.
OUTCOME_ERRORS = {
    "failed": (30007, "Message filtered: the carrier blocked this Sender ID"),
    "undelivered": (30008, "Unknown error: the handset or carrier did not accept the message"),
}
# The outcome of a message the account's balance could not pay for (resources/balance.py).
UNFUNDED = "unfunded"
# A message through a service to a recipient who replied STOP to it (Twilio's error 21610).
OPTED_OUT = "opted-out"
# Outcomes that end ``failed`` with an error of their own.
FAILED_OUTCOMES = {
    "failed": OUTCOME_ERRORS["failed"],
    UNFUNDED: (30002, "Account suspended: the account's balance could not pay for this message"),
    "unregistered-10dlc": (
        30034,
        "Message from an Unregistered Number: US A2P 10DLC messages must come from a number"
        " registered to an approved campaign",
    ),
    OPTED_OUT: (21610, "Attempt to send to unsubscribed recipient"),
}
# Outcomes that reach the carrier and end ``undelivered``, each with its error.
UNDELIVERED_OUTCOMES = {
    "undelivered": OUTCOME_ERRORS["undelivered"],
    "unreachable": (30003, "Unreachable destination handset"),
    "unknown-number": (30005, "Unknown destination handset"),
}
# Recipients whose number ending stands for a carrier's answer (see the module docstring).
_ENDINGS = {"0003": "unreachable", "0005": "unknown-number", "0008": "undelivered"}
# Statuses in which a message has been handed to the carrier, and so is priced.
PRICED_STATUSES = ("sent", "delivered", "undelivered")

# Per-account delivery settings (table ``alpha_settings``), and their values when unset.
SETTING_DEFAULTS: dict[str, Any] = {
    "alpha_sender_enabled": True,  # Trial accounts never have it, whatever this says
    "alpha_registered_countries": ["SG"],
    "us_senders_registered": False,
}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def is_sg(number: str) -> bool:
    return number.startswith("+65")


def country_of(number: str) -> str:
    """The ISO code of the country of an E.164 number, among ``CALLING_CODES``; "" for others."""
    digits = number.lstrip("+")
    if digits.startswith("1"):
        return "CA" if digits[1:4] in CANADIAN_AREA_CODES else "US"
    for length in (3, 2):
        if digits[:length] in CALLING_CODES:
            return CALLING_CODES[digits[:length]]
    return ""


def alpha_rule(iso: str) -> str:
    """Whether country ``iso`` takes an alphanumeric Sender ID (``ALPHA_RULES``)."""
    return ALPHA_RULES.get(iso, DEFAULT_ALPHA)


def check_destination(to: str) -> None:
    """Refuse (400) an E.164 recipient the carriers cannot deliver to."""
    if is_sg(to) and not SG_MOBILE_RE.fullmatch(to):
        if SG_NUMBER_RE.fullmatch(to):
            raise ApiError(400, 21614, f"'To' number {to} is not a valid mobile number")
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")


def alpha_reaches(to: str) -> bool:
    """Whether an alphanumeric Sender ID is sent to ``to`` at all (not to the US, for one)."""
    return alpha_rule(country_of(to)) != "not supported"


# ---------------------------------------------------------------- per-account settings


def settings(conn: sqlite3.Connection, account_sid: str) -> dict[str, Any]:
    """The account's delivery settings (``SETTING_DEFAULTS`` where none was set)."""
    row = conn.execute(
        "SELECT * FROM alpha_settings WHERE account_sid = ?", (account_sid,)
    ).fetchone()
    if row is None:
        return {k: list(v) if isinstance(v, list) else v for k, v in SETTING_DEFAULTS.items()}
    return {
        "alpha_sender_enabled": bool(row["alpha_sender_enabled"]),
        "alpha_registered_countries": _db.loads_list(row["alpha_registered_countries"]),
        "us_senders_registered": bool(row["us_senders_registered"]),
    }


def _flag(name: str, text: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false")


def split_settings(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The delivery settings in an admin form, parsed, apart from the rest; ValueError when one
    is not valid (its message says what is expected)."""
    rest = {k: v for k, v in form.items() if k not in SETTING_DEFAULTS}
    values: dict[str, Any] = {}
    for name in ("alpha_sender_enabled", "us_senders_registered"):
        if name in form:
            values[name] = _flag(name, form[name])
    if "alpha_registered_countries" in form:
        codes = [c.strip().upper() for c in form["alpha_registered_countries"].split(",")]
        codes = [c for c in codes if c]
        if any(not re.fullmatch(r"[A-Z]{2}", c) for c in codes):
            raise ValueError("alpha_registered_countries must be two-letter ISO codes, e.g. SG,MY")
        values["alpha_registered_countries"] = codes
    return rest, values


def save_settings(conn: sqlite3.Connection, account_sid: str, values: dict[str, Any]) -> None:
    """Store changed delivery settings (the others keep their values)."""
    if not values:
        return
    merged = {**settings(conn, account_sid), **values}
    conn.execute(
        "INSERT INTO alpha_settings (account_sid, alpha_sender_enabled,"
        " alpha_registered_countries, us_senders_registered) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(account_sid) DO UPDATE SET"
        " alpha_sender_enabled = excluded.alpha_sender_enabled,"
        " alpha_registered_countries = excluded.alpha_registered_countries,"
        " us_senders_registered = excluded.us_senders_registered",
        (
            account_sid,
            int(merged["alpha_sender_enabled"]),
            json.dumps(merged["alpha_registered_countries"]),
            int(merged["us_senders_registered"]),
        ),
    )


def alpha_senders_enabled(conn: sqlite3.Connection, account: sqlite3.Row) -> bool:
    """Whether the account may add alpha senders: upgraded, with the setting on."""
    return account["type"] != "Trial" and settings(conn, account["sid"])["alpha_sender_enabled"]


# ---------------------------------------------------------------- the sender and the outcome


def route(
    conn: sqlite3.Connection,
    account: sqlite3.Row,
    to: str,
    own_number: str | None,
    alpha: str | None,
    pool: list[str],
) -> tuple[str, str]:
    """(sender, outcome) of a message to ``to``: the given number; else the service's Sender ID
    where the country takes one (``from`` shows it, as a handset would); else the pool's first
    number. 21612 when the service holds only a Sender ID the country does not take."""
    iso = country_of(to)
    rule = alpha_rule(iso)
    if own_number is not None:
        sender, by_alpha = own_number, False
    elif alpha and rule != "not supported":
        sender, by_alpha = alpha, True
    elif pool:
        sender, by_alpha = pool[0], False
    else:
        raise ApiError(
            400,
            21612,
            f"The 'To' phone number: {to}, is not currently reachable using the 'From'"
            f" Alpha Sender ID {alpha} via SMS.",
        )
    return sender, _outcome(conn, account, sender, to, by_alpha)


def _outcome(
    conn: sqlite3.Connection, account: sqlite3.Row, sender: str, to: str, by_alpha: bool
) -> str:
    """How the message ends: failed, unregistered-10dlc, undelivered, stuck or delivered. Read
    when the message is created, so later setting changes do not touch it."""
    iso = country_of(to)
    key = sender.strip().upper()
    filtered = {s.strip().upper() for s in _db.loads_list(account["filtered_sender_ids"])}
    protected = {s.strip().upper() for s in _db.loads_list(account["protected_sender_ids"])}
    chosen = settings(conn, account["sid"])
    if key in filtered or (by_alpha and iso == "SG" and key in protected):
        return "failed"
    registered = {c.upper() for c in chosen["alpha_registered_countries"]}
    if by_alpha and alpha_rule(iso) == "registration" and iso not in registered:
        return "failed"
    if not by_alpha and iso == "US" and not chosen["us_senders_registered"]:
        return "unregistered-10dlc"
    if to[-4:] in _ENDINGS:
        return _ENDINGS[to[-4:]]
    if to.endswith("9999"):
        return "stuck"
    return "delivered"


def opted_out(conn: sqlite3.Connection, account_sid: str, sender: str, to: str) -> bool:
    """Whether ``to`` replied STOP to ``sender`` (a Messaging Service SID or a number)."""
    row = conn.execute(
        "SELECT 1 FROM opt_outs WHERE account_sid = ? AND sender = ? AND phone_number = ?",
        (account_sid, sender, to),
    ).fetchone()
    return row is not None


def record_opt_out(conn: sqlite3.Connection, account_sid: str, sender: str, to: str) -> None:
    """``to`` replied STOP to ``sender``: later messages from it to ``to`` end with 21610."""
    conn.execute(
        "INSERT OR IGNORE INTO opt_outs (account_sid, sender, phone_number) VALUES (?, ?, ?)",
        (account_sid, sender, to),
    )


def error_for(outcome: str, status: str) -> tuple[int, str] | None:
    """The (code, message) a message with ``outcome`` shows in ``status``, if any."""
    if status == "failed":
        return FAILED_OUTCOMES.get(outcome, OUTCOME_ERRORS["failed"])
    if status == "undelivered":
        return UNDELIVERED_OUTCOMES.get(outcome, OUTCOME_ERRORS["undelivered"])
    return None


def timeline(via_service: bool, outcome: str) -> list[str]:
    """The statuses a message passes through, one per step; ``accepted`` first from a service."""
    steps = ["accepted"] if via_service else []
    steps += ["queued", "sending"]
    if outcome in FAILED_OUTCOMES:
        return [*steps, "failed"]
    steps.append("sent")
    if outcome == "stuck":
        return steps
    return [*steps, "undelivered" if outcome in UNDELIVERED_OUTCOMES else "delivered"]
