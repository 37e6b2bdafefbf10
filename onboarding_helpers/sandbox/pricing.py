"""What a message costs: its segments (GSM-7 or UCS-2, as a handset splits it) and the price per
segment by destination, in USD. A message is priced once it is sent.

Standard library only.
"""

from __future__ import annotations

import math

from .delivery import is_sg

PRICE_UNIT = "USD"
SG_PRICE = 0.0415
OTHER_PRICE = 0.0079

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€\f")


def segments(body: str) -> int:
    """How many SMS segments ``body`` takes: 160/153 GSM-7 units, else 70/67 UCS-2 units."""
    if all(c in _GSM7 or c in _GSM7_EXT for c in body):
        units = sum(2 if c in _GSM7_EXT else 1 for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def unit_price(to: str) -> float:
    """The price of one segment to ``to``."""
    return SG_PRICE if is_sg(to) else OTHER_PRICE


def price(to: str, num_segments: int) -> str:
    """A sent message's ``price`` field: negative (a charge), five decimals, as Twilio shows it."""
    return f"-{unit_price(to) * num_segments:.5f}"
