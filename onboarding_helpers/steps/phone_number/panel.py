"""Step 04a's panel: the number in the sender pool, or the numbers on offer; and what each
destination the officer named needs."""

from __future__ import annotations

from ...display import Panel
from ..registry import MESSAGING_SERVICE
from .destinations import destination_notes
from .numbers import MONTHLY_PRICE
from .step import PhoneNumberResult


def panel(result: PhoneNumberResult) -> Panel:
    """The number in the sender pool, or (nothing bought) the candidates and how to buy."""
    destinations = destination_notes(result.destinations, buying=bool(result.service_sid))
    if result.service_sid:
        if result.bought:
            how = f"Bought {result.phone_number} ({MONTHLY_PRICE}, billed to your agency)."
        else:
            how = f"Reused {result.phone_number}, bought by an earlier run: nothing was bought."
        where = "Put it into" if result.attached else "It is already in"
        return Panel(
            "ok",
            "Phone number ready in the sender pool.",
            rows=[
                ("Phone number", result.phone_number or ""),
                ("Phone number SID", result.phone_number_sid or ""),
                ("Messaging Service SID", result.service_sid),
                ("Service friendly name", result.service_name),
            ],
            notes=[
                how,
                f"{where} the sender pool of '{result.service_name}'.",
                *result.notes,
                *destinations,
                f"Next: {MESSAGING_SERVICE.id} adds your Sender ID to the same service.",
            ],
        )
    if result.phone_number:
        return Panel(
            "info",
            f"You already have {result.phone_number}, bought by an earlier run.",
            rows=[("Phone number SID", result.phone_number_sid or "")],
            notes=[
                *destinations,
                "Set buy_phone_number True to put it into the sender pool (no new purchase).",
            ],
        )
    return Panel(
        "info",
        "No number bought. US numbers with SMS that Twilio offers now:",
        rows=[(c.phone_number, c.place) for c in result.candidates],
        columns=("Phone number", "Place"),
        notes=[
            *result.notes,
            *destinations,
            f"A US number costs {MONTHLY_PRICE}. Buy one only if a country you send to needs a"
            " number: set buy_phone_number True and confirm_purchase True.",
        ],
    )
