"""Step 05: a test SMS through the Messaging Service to the officer's own phone (guide step 5).

The guide does this in the console (Try it out > Send an SMS), as the account owner, so this step
uses the Auth Token: if it works here but step 06 fails, the API key is the culprit, not the
service. The message is sent with ``MessagingServiceSid`` (the console's way); step 06 repeats it
with ``From=MG...`` and the API key (Postman's way). Both send, follow and explain through
``onboarding_helpers.messages``: a send is never repeated blindly, and a message still ``sent`` at
the time limit is reported as "sent, carrier did not confirm", not as delivered (Postman itself
counts ``sent`` as finished). Which numbers may be sent to, and which sender they will show, is
``onboarding_helpers.recipients``' (Postman's pattern for Singapore, the country table abroad).

``send_test_message`` does the step (``step.py``), ``form`` builds its ipywidgets form
(``form.py``) and ``panel`` shows its result (``panel.py``). The sending pieces are re-exported
here, where earlier versions kept them.
"""

from __future__ import annotations

from ...messages import (
    DEFAULT_WAIT_SECONDS,
    SG_PRICE_PER_SEGMENT,
    Delivery,
    StatusUpdate,
    before_send_panel,
    check_wait_seconds,
    delivered_earlier,
    delivery_failure,
    explain_send_error,
    find_sent_message,
    follow_message,
    phone_branch_taken,
    registered_sender_id,
    send_and_follow,
    sender_notes,
    status_panel,
)
from .form import MessageCheckForm, form
from .panel import panel
from .step import STEP, TEST_BODY, MessageCheckResult, send_test_message

__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "SG_PRICE_PER_SEGMENT",
    "STEP",
    "TEST_BODY",
    "Delivery",
    "MessageCheckForm",
    "MessageCheckResult",
    "StatusUpdate",
    "before_send_panel",
    "check_wait_seconds",
    "delivered_earlier",
    "delivery_failure",
    "explain_send_error",
    "find_sent_message",
    "follow_message",
    "form",
    "panel",
    "phone_branch_taken",
    "registered_sender_id",
    "send_and_follow",
    "sender_notes",
    "send_test_message",
    "status_panel",
]
