"""Step 04a (optional): a US phone number in the Messaging Service's sender pool.

Only for agencies that also send to numbers outside Singapore: an alphanumeric Sender ID does not
reach some countries (the US among them), and Twilio then sends from a number in the pool. The
guide quotes about USD 1.15 a month for a US number, billed to the agency.

Buying costs money, so it happens only when both ``buy`` and ``confirm`` are True; otherwise the
step lists candidate numbers (``numbers.py``) and creates nothing. A number the runbook bought
before is reused, never bought twice (``purchase.py``).

This step runs before step 04 (the guide puts the number into the pool before the alpha sender),
so it creates or reuses the service itself with step 04's ``ensure_service``.

``buy_phone_number`` does the step (``step.py``), ``form`` builds its ipywidgets form
(``form.py``) and ``panel`` shows its result (``panel.py``).
"""

from __future__ import annotations

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
    "PhoneNumberForm",
    "PhoneNumberResult",
    "buy_phone_number",
    "form",
    "panel",
    "search_numbers",
    "validate_us_number",
]
