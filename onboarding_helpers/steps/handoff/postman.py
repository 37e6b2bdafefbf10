"""Postman's way: its four values, its client (API key, never the Auth Token) and its send.

The Postman-equivalent check makes Postman's own call: a client authenticated with the API key
SID and secret, scoped to the Account SID (``Client(key, secret, account_sid)``), and
``messages.create(to=..., body=..., from_=MG...)`` with the Messaging Service SID as ``From``.
Postman saves credentials only when that call succeeds, so if it succeeds here it will succeed
there. Without a phone, a request that costs nothing stands in: the same client fetches the
Messaging Service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...countries import SenderPrediction
from ...credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, MESSAGING_SERVICE_SID
from ...errors import StepBlocked, TwilioActionError
from ...journal import KeyCheckedOnService
from ...messages import Delivery, StatusCallback, delivery_failure, send_and_follow
from ...phone import PhoneNumber
from ...recipients import explain_destination
from ...runbook import Runbook
from ...twilio_gateway import call
from ...validation import (
    validate_account_sid,
    validate_api_key_sid,
    validate_api_secret,
    validate_messaging_service_sid,
)
from ..registry import ACCOUNT, API_KEY, MESSAGING_SERVICE, Step
from ..registry import HANDOFF as STEP

if TYPE_CHECKING:
    from twilio.rest import Client

POSTMAN_BODY = (
    "Postman onboarding runbook (step 06): these Twilio credentials work the way Postman uses them."
)


def postman_values(rb: Runbook) -> tuple[str, str, str, str]:
    """(Account SID, API key SID, secret, MG SID) from the env file, each checked.

    The secret is returned for building the client only; nothing here shows it.
    """
    values = rb.store.values()
    needed = (
        (ACCOUNT_SID, "Account SID", ACCOUNT.id),
        (API_KEY_SID, "API Key SID", API_KEY.id),
        (API_KEY_SECRET, "API Secret", API_KEY.id),
        (MESSAGING_SERVICE_SID, "Messaging Service ID", MESSAGING_SERVICE.id),
    )
    missing = [(label, step) for name, label, step in needed if not values.get(name)]
    if missing:
        labels = ", ".join(label for label, _ in missing)
        steps = ", ".join(dict.fromkeys(step for _, step in missing))
        raise StepBlocked(
            f"The env file does not hold every value Postman needs yet: {labels} missing.",
            advice=f"Run {steps} first, then this step.",
        )
    return (
        validate_account_sid(values[ACCOUNT_SID]),
        validate_api_key_sid(values[API_KEY_SID]),
        validate_api_secret(values[API_KEY_SECRET]),
        validate_messaging_service_sid(values[MESSAGING_SERVICE_SID]),
    )


def as_postman_failure(err: TwilioActionError) -> TwilioActionError:
    """A refused Postman-style call, said as what Postman would show."""
    if (err.code == 20003 or err.status == 401) and not err.served_by:
        err.message = (
            "Twilio refused the API Key SID with this API Secret for this Account SID (error"
            " 20003). Postman's check would fail the same way, showing 'Authenticate'."
        )
        err.advice = (
            "The secret belongs to another key, the key was deleted, or it was made in another"
            f" account. Run {API_KEY.id} to create a new key (its secret is saved at once), then"
            " this step."
        )
        err.field = "API Key SID / API Secret"
    elif not err.served_by and not err.message.startswith("Postman"):
        err.message = f"Postman's own check would fail the same way: {err.message}"
    return err


def postman_send(
    rb: Runbook,
    client: Client,
    phone: PhoneNumber,
    service_sid: str,
    *,
    wait_seconds: float,
    prediction: SenderPrediction | None = None,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Delivery:
    """Postman's send (``From`` = the MG SID, with ``client`` on the API key), followed to the end.

    A refusal comes out as what Postman would show; for a foreign number, with what its country
    needs (``prediction``: the country table applied to the service's senders, checked by the
    caller before this send).
    """
    try:
        return send_and_follow(
            rb,
            client,
            STEP,
            phone,
            service_sid,
            body=POSTMAN_BODY,
            postman_style=True,
            wait_seconds=wait_seconds,
            on_status=on_status,
            sleep=sleep,
            clock=clock,
        )
    except TwilioActionError as err:
        raise explain_destination(as_postman_failure(err), phone, prediction) from None


def undelivered(delivery: Delivery, phone: PhoneNumber, sender_id: str | None) -> TwilioActionError:
    """The error for a check message Twilio took (so Postman would save) but did not deliver."""
    err = delivery_failure(delivery, phone, sender_id)
    err.message = (
        "Postman would accept and save these values (Twilio took the message), but"
        f" it was not delivered. {err.message}"
    )
    return err


def check_key_on_service(
    rb: Runbook,
    client: Client,
    service_sid: str,
    key_sid: str,
    *,
    step: Step = STEP,
    explain: Callable[[TwilioActionError], TwilioActionError] = as_postman_failure,
) -> None:
    """The check at no cost when no phone is given: the API key's client fetches the service,
    proving key, secret, account and service belong together (not that a message goes out).
    Step 07 makes the same check with the new key (``step``, and its own ``explain``)."""
    try:
        call(
            "fetch the Messaging Service with the API key",
            client.messaging.v1.services(service_sid).fetch,
        )
    except TwilioActionError as err:
        raise explain(err) from None
    rb.progress.log(step, KeyCheckedOnService(service_sid=service_sid, api_key_sid=key_sid))
