"""Step 04a (optional): what the agency's foreign destinations need, and a US phone number in the
Messaging Service's sender pool for those that need one.

Twilio sends the Sender ID to every country that takes one, and from a number in the pool only
where alphanumeric Sender IDs are not taken (``countries``). Most foreign destinations need no
number; some need the Sender ID registered there; the US needs a number registered for A2P 10DLC
(or a verified toll-free number): a US number alone does not reach US phones. The step says so
for the countries named in ``foreign_countries`` (``destinations.py``) before anything is bought.
The guide quotes about USD 1.15 a month for a US number, billed to the agency.

Buying costs money, so it happens only when both ``buy`` and ``confirm`` are True; otherwise the
step lists candidate numbers (``numbers.py``) and creates nothing. A number the runbook bought
before is reused, never bought twice (``purchase.py``).

This step runs before step 04 (the guide puts the number into the pool before the alpha sender),
so it creates or reuses the service itself with step 04's ``ensure_service``.

``buy_phone_number`` does the step (``step.py``), ``form`` builds its ipywidgets form
(``form.py``) and ``panel`` shows its result (``panel.py``).
"""

from __future__ import annotations

from .destinations import Destination, destination_notes, plan_destinations
from .form import PhoneNumberForm, form
from .numbers import (
    CANDIDATES,
    COUNTRY,
    MONTHLY_PRICE,
    Candidate,
    search_numbers,
    validate_us_number,
)
from .panel import panel
from .step import PhoneNumberResult, buy_phone_number

__all__ = [
    "CANDIDATES",
    "COUNTRY",
    "MONTHLY_PRICE",
    "Candidate",
    "Destination",
    "PhoneNumberForm",
    "PhoneNumberResult",
    "buy_phone_number",
    "destination_notes",
    "form",
    "panel",
    "plan_destinations",
    "search_numbers",
    "validate_us_number",
]
