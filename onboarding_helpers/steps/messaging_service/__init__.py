"""Step 04: the Messaging Service holding the agency's registered Sender ID (guide part 4).

Create-if-absent throughout, so a re-run creates nothing:

- the service (``service.py``): the one an earlier run made is fetched, else one is found by its
  exact name, and only then one is created;
- the sender pool (``sender_pool.py``): a number bought by step 04a goes in if it is not there yet
  (the guide puts the number in before the alpha sender);
- the alpha sender (``alpha_sender.py``): one already in the service is reused when it equals the
  Sender ID exactly, and explained (nothing changed) when it differs.

``set_up_messaging_service`` does the step (``step.py``), ``form`` builds its ipywidgets form
(``form.py``) and ``panel`` shows its result (``panel.py``). Step 04a, which runs first when a
number is bought, shares the service and the pool helpers.
"""

from __future__ import annotations

from .alpha_sender import SANDBOX_SENDER_ID, check_not_trial, ensure_alpha_sender, resolve_sender_id
from .form import MessagingServiceForm, form, usecase_dropdown
from .panel import panel, sender_id_panel
from .sender_pool import attach_number, bought_number, pool_numbers
from .service import (
    DEFAULT_SERVICE_NAME,
    DEFAULT_USECASE,
    USECASE_HELP,
    ServiceOutcome,
    ensure_service,
    resolve_service_name,
)
from .step import MessagingServiceResult, set_up_messaging_service

__all__ = [
    "DEFAULT_SERVICE_NAME",
    "DEFAULT_USECASE",
    "SANDBOX_SENDER_ID",
    "USECASE_HELP",
    "MessagingServiceForm",
    "MessagingServiceResult",
    "ServiceOutcome",
    "attach_number",
    "bought_number",
    "check_not_trial",
    "ensure_alpha_sender",
    "ensure_service",
    "form",
    "panel",
    "pool_numbers",
    "resolve_sender_id",
    "resolve_service_name",
    "sender_id_panel",
    "set_up_messaging_service",
    "usecase_dropdown",
]
