"""Billed messages sent through the Messaging Service and followed to the end: steps 05 and 06.

Step 05 sends the console's way (``MessagingServiceSid``, Auth Token), step 06 Postman's way
(``From=MG...``, API key); both send with ``send_and_follow`` and explain what happened in the
guide's terms. Split by idea:

- ``following``: a message's status polled with backoff until a final state or ``wait_seconds``;
- ``sending``: one send with its intent journalled, made good when the answer is lost;
- ``earlier``: what earlier runs left (a delivered message that stands, a send stopped before its
  outcome, to follow instead of sending again);
- ``advice``: refused sends, failed deliveries and the sender shown, in the guide's terms, and
  what each error code on a campaign's messages means in Postman's (``campaign_advice``, 08);
- ``service``: what the run knows about the service (its SID, Sender ID, phone-number branch);
- ``panel``: the notice before a send and each status as it is seen.
"""

from __future__ import annotations

from .advice import campaign_advice, delivery_failure, explain_send_error, sender_notes
from .earlier import delivered_earlier, find_sent_message, resume_earlier_send
from .following import (
    DEFAULT_WAIT_SECONDS,
    FAILED_STATES,
    FINAL_STATES,
    Delivery,
    StatusCallback,
    StatusUpdate,
    check_wait_seconds,
    follow_message,
)
from .panel import before_send_panel, status_panel
from .sending import SG_PRICE_PER_SEGMENT, send_and_follow
from .service import phone_branch_taken, registered_sender_id, saved_service_sid, service_record

__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "FAILED_STATES",
    "FINAL_STATES",
    "SG_PRICE_PER_SEGMENT",
    "Delivery",
    "StatusCallback",
    "StatusUpdate",
    "before_send_panel",
    "campaign_advice",
    "check_wait_seconds",
    "delivered_earlier",
    "delivery_failure",
    "explain_send_error",
    "find_sent_message",
    "follow_message",
    "phone_branch_taken",
    "registered_sender_id",
    "resume_earlier_send",
    "saved_service_sid",
    "send_and_follow",
    "sender_notes",
    "service_record",
    "status_panel",
]
