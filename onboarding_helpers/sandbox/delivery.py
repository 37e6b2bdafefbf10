"""What the fake carriers do with a message: which destinations they accept, what becomes of it
(the outcome), and the statuses it passes through on the way.

- Singapore (+65) takes mobiles only (+65 8xxx xxxx, +65 9xxx xxxx): another 8-digit number is
  not a mobile (21614), anything else is not a number (21211).
- An alphanumeric Sender ID reaches Singapore only; elsewhere a number from the pool is needed.
- Outcomes: a sender in the account's ``filtered_sender_ids`` -> ``failed`` (30007); a recipient
  ending 0008 -> ``undelivered`` (30008); ending 9999 -> stays ``sent`` (``stuck``); otherwise
  ``delivered``.

Standard library only.
"""

from __future__ import annotations

import re
import sqlite3

from . import _db
from .wire import ApiError

SG_MOBILE_RE = re.compile(r"\+65[89]\d{7}")
SG_NUMBER_RE = re.compile(r"\+65\d{8}")

# The error a message shows once its status is the key.
OUTCOME_ERRORS = {
    "failed": (30007, "Message filtered: the carrier blocked this Sender ID"),
    "undelivered": (30008, "Unknown error: the handset or carrier did not accept the message"),
}
# Statuses in which a message has been handed to the carrier, and so is priced.
PRICED_STATUSES = ("sent", "delivered", "undelivered")


def is_sg(number: str) -> bool:
    return number.startswith("+65")


def check_destination(to: str) -> None:
    """Refuse (400) an E.164 recipient the carriers cannot deliver to."""
    if is_sg(to) and not SG_MOBILE_RE.fullmatch(to):
        if SG_NUMBER_RE.fullmatch(to):
            raise ApiError(400, 21614, f"'To' number {to} is not a valid mobile number")
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")


def alpha_reaches(to: str) -> bool:
    """Whether an alphanumeric Sender ID can reach ``to`` (not most countries, e.g. the US)."""
    return is_sg(to)


def outcome(account: sqlite3.Row, sender: str, to: str) -> str:
    """How the message from ``sender`` to ``to`` ends: failed, undelivered, stuck or delivered.
    Read when the message is created, so later setting changes do not touch it."""
    filtered = {s.strip().upper() for s in _db.loads_list(account["filtered_sender_ids"])}
    if sender.strip().upper() in filtered:
        return "failed"
    if to.endswith("0008"):
        return "undelivered"
    if to.endswith("9999"):
        return "stuck"
    return "delivered"


def timeline(via_service: bool, outcome: str) -> list[str]:
    """The statuses a message passes through, one per step; ``accepted`` first from a service."""
    steps = ["accepted"] if via_service else []
    steps += ["queued", "sending"]
    if outcome == "failed":
        return [*steps, "failed"]
    steps.append("sent")
    if outcome == "stuck":
        return steps
    return [*steps, outcome]  # "delivered" or "undelivered"
