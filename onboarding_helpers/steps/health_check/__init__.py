"""Step 08 (optional, any time after the hand-off): a health check of a set-up already in use.

It reads what Postman holds, and only that: the Account SID, the API key SID and its secret,
and the Messaging Service SID, from the env file or typed in the form (``values``). No Auth
Token, and GET requests only (``access``): the key's permissions (a Restricted key's refusals
named), the service and the Sender ID in its pool, a sender for each country abroad the
recipients live in (``countries``), the balance, and the service's messages of the last ``days``
read page by page into counts (``log``): totals by status and error code, the delivery rate, the
recipients' countries, and each error code with Twilio's cause and the fix in Postman's terms
(``findings``, ``messages.campaign_advice``). Each check is a line with ✔, ! or ✖; they go to
``<state dir>/health-<UTC>.json`` and the run report (``result``).

``health_check`` does the step (``step``), ``form`` builds its ipywidgets form and ``panel``
shows its result; ``page_panel`` is the line shown per page read.
"""

from __future__ import annotations

from .checks import Check
from .form import HealthForm, form
from .log import PAGE_SIZE, MessageCounts, PageRead
from .panel import page_panel, panel
from .result import HealthResult, health_json
from .step import DEFAULT_DAYS, STEP, check_days, health_check

__all__ = [
    "DEFAULT_DAYS",
    "PAGE_SIZE",
    "STEP",
    "Check",
    "HealthForm",
    "HealthResult",
    "MessageCounts",
    "PageRead",
    "check_days",
    "form",
    "health_check",
    "health_json",
    "page_panel",
    "panel",
]
