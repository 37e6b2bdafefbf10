"""US numbers on offer: what a number costs, which numbers are accepted, and the search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ...errors import InputError
from ...twilio_gateway import call

if TYPE_CHECKING:
    from twilio.rest import Client

COUNTRY = "US"
# The guide's figure for a US number, a month (billed at purchase, then monthly).
MONTHLY_PRICE_USD = Decimal("1.15")
MONTHLY_PRICE = f"about USD {MONTHLY_PRICE_USD} a month"
CANDIDATES = 5
_US_NUMBER = re.compile(r"^\+1[2-9]\d{9}$")


@dataclass(frozen=True)
class Candidate:
    phone_number: str
    friendly_name: str
    place: str


def validate_us_number(value: object) -> str:
    """A US number as +1 and 10 digits, or an InputError saying to pick one on offer."""
    if not isinstance(value, str) or not _US_NUMBER.match(value):
        raise InputError(
            "phone_number",
            f"{value!r} is not a US number written as +1 and 10 digits.",
            "Pick one of the numbers the search offered, or leave it empty to take the first.",
        )
    return value


def search_numbers(client: Client, limit: int = CANDIDATES) -> tuple[Candidate, ...]:
    """US local numbers Twilio offers with SMS capability (one GET)."""
    found = call(
        "search available US phone numbers",
        client.available_phone_numbers(COUNTRY).local.list,
        sms_enabled=True,
        limit=limit,
    )
    return tuple(
        Candidate(
            n.phone_number,
            n.friendly_name or n.phone_number,
            ", ".join(p for p in (n.locality, n.region) if p),
        )
        for n in found
    )
