"""The new pair proved the way Postman will use it, with the pieces step 06 uses.

With a test phone: Postman's own call, ``messages.create`` with ``From`` = the Messaging Service SID
on a client signed with the new API key (never the Auth Token), followed to its final status
(``messages.send_and_follow``, journalled as this step's, so a run stopped while following picks
the same message up again instead of sending another). A refusal reads as what Postman would show
(``handoff.postman.as_postman_failure``). Without a phone: the new key fetches the Messaging
Service, at no cost, which proves key, secret, account and service belong together. A phone
abroad is not checked for reachability first: Twilio refuses a destination the service cannot
reach before anything is billed (21612, 21408), and the advice names the fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...errors import TwilioActionError
from ...messages import StatusCallback, registered_sender_id, send_and_follow, sender_notes
from ...phone import PhoneNumber
from ...runbook import Runbook
from ..handoff.postman import as_postman_failure, undelivered
from ..handoff.postman import check_key_on_service as shared_check
from ..registry import ROTATE_KEY as STEP
from ..secret_key.pair import explain_policy_refusal

if TYPE_CHECKING:
    from twilio.rest import Client

ROTATION_BODY = (
    "Postman onboarding runbook (step 07): the new API key works the way Postman uses it."
)


@dataclass(frozen=True)
class CheckOutcome:
    """How the new pair was proved: "passed" (Postman's send delivered, or sent and not yet
    confirmed), "key check passed" (no phone: the service fetched) or "not run"."""

    check: str
    message_sid: str = ""
    to: str = ""  # masked
    delivery: str = ""
    sender_id: str | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _as_rotation_failure(err: TwilioActionError) -> TwilioActionError:
    """Postman's words for the refusal, and this step's way out (the key is saved; re-run)."""
    err = as_postman_failure(explain_policy_refusal(err))
    if err.code == 20003 or err.status == 401:
        err.advice = (
            "The new key is saved in the env file and the old key still works, so Postman is not"
            " affected. Wait a minute (a new key can take a moment to work) and run this step"
            " again: it checks the same new key and creates nothing."
        )
    return err


def check_like_postman(
    rb: Runbook,
    client: Client,
    phone: PhoneNumber,
    service_sid: str,
    *,
    wait_seconds: float,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CheckOutcome:
    """Postman's send with the new key, followed; an undelivered message is an error."""
    try:
        delivery = send_and_follow(
            rb,
            client,
            STEP,
            phone,
            service_sid,
            body=ROTATION_BODY,
            postman_style=True,
            wait_seconds=wait_seconds,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
        )
        sender_id = registered_sender_id(rb, client, service_sid)
    except TwilioActionError as err:
        raise _as_rotation_failure(err) from None
    if delivery.outcome == "failed":
        raise undelivered(delivery, phone, sender_id)
    notes, warnings = sender_notes(delivery, phone, sender_id)
    if delivery.outcome != "delivered":
        warnings.append(
            f"Twilio accepted the message with the new key (so Postman will too), but no delivery"
            f" receipt came within {wait_seconds:g} s (last status: {delivery.status})."
        )
    return CheckOutcome(
        check="passed",
        message_sid=delivery.message_sid,
        to=phone.masked,
        delivery=delivery.outcome,
        sender_id=sender_id,
        notes=(*delivery.notes, *notes),
        warnings=tuple(warnings),
    )


def check_key_on_service(rb: Runbook, client: Client, service_sid: str, key_sid: str) -> None:
    """No phone: the new key fetches the service (at no cost), as step 06's check does."""
    shared_check(rb, client, service_sid, key_sid, step=STEP, explain=_as_rotation_failure)
