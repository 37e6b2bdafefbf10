"""Step 04: make sure a Messaging Service holds the Sender ID, and save its MG SID.

If Twilio refuses the Sender ID after the service was created, the empty service is kept, not
deleted: it is journalled, so the next run (with a corrected Sender ID) reuses it instead of
making a second one. Deleting it would cost a request and gain nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...credentials import MESSAGING_SERVICE_SID
from ...errors import StepBlocked, TwilioActionError
from ...journal import NumberGone, ServiceRecord
from ...runbook import Runbook, step_action
from ...validation import sender_id_check, validate_friendly_name, validate_usecase
from ..registry import MESSAGING_SERVICE as STEP
from ..registry import PHONE_NUMBER
from .alpha_sender import check_not_trial, ensure_alpha_sender, resolve_sender_id
from .sender_pool import attach_number, bought_number, pool_numbers
from .service import DEFAULT_USECASE, ServiceOutcome, ensure_service, resolve_service_name

if TYPE_CHECKING:
    from twilio.rest import Client


@dataclass(frozen=True)
class MessagingServiceResult:
    service_sid: str
    friendly_name: str
    usecase: str
    sender_id: str
    alpha_sender_sid: str
    phone_numbers: tuple[str, ...]  # E.164 numbers in the sender pool
    created_service: bool
    created_alpha_sender: bool
    attached_number: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # What we suspect about the Sender ID but no source confirms (generic-sounding, symbols).
    warnings: tuple[str, ...] = field(default_factory=tuple)


@step_action(STEP.id)
def set_up_messaging_service(
    rb: Runbook,
    sender_id: str = "",
    messaging_service_name: str = "",
    usecase: str = DEFAULT_USECASE,
) -> MessagingServiceResult:
    """Step 04: make sure a service holds the Sender ID; save its MG SID to the env file.

    Every input is checked before any Twilio call, so a bad Sender ID leaves nothing behind.
    Empty ``sender_id``/``messaging_service_name`` reuse what an earlier run used.
    """
    sender_id, warnings = sender_id_check(resolve_sender_id(rb, sender_id))
    name = validate_friendly_name(
        resolve_service_name(rb, messaging_service_name), "messaging_service_name"
    )
    rb.refuse_secrets("messaging_service_name", name)
    usecase = validate_usecase(usecase)
    check_not_trial(rb)
    account_sid = rb.saved_account()[0]
    client = rb.auth_token_client(STEP.id)

    service: ServiceOutcome | None = None
    try:
        service = ensure_service(rb, client, STEP, account_sid, name, usecase)
        notes = list(service.notes)
        numbers = {} if service.created else pool_numbers(client, service.sid)
        # The guide's order: a bought number goes into the pool before the alpha sender.
        attached = _add_bought_number(rb, client, service, account_sid, numbers, notes)
        alpha_sid, alpha_created = ensure_alpha_sender(rb, client, service, sender_id)
    except (TwilioActionError, StepBlocked) as err:
        kept = service.sid if service else ""
        rb.progress.save(
            STEP,
            ServiceRecord(status="failed", service_name=name, reason=err.message, service_sid=kept),
        )
        raise

    previous = rb.store.get(MESSAGING_SERVICE_SID)
    if previous and previous != service.sid:
        notes.append(f"The env file held {previous}; it now holds {service.sid}.")
    rb.store.save({MESSAGING_SERVICE_SID: service.sid})
    result = MessagingServiceResult(
        service_sid=service.sid,
        friendly_name=service.friendly_name,
        usecase=service.usecase,
        sender_id=sender_id,
        alpha_sender_sid=alpha_sid,
        phone_numbers=tuple(numbers.values()),
        created_service=service.created,
        created_alpha_sender=alpha_created,
        attached_number=attached,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
    rb.progress.save(
        STEP,
        ServiceRecord(
            status="done",
            service_sid=result.service_sid,
            service_name=result.friendly_name,
            usecase=result.usecase,
            sender_id=result.sender_id,
            alpha_sender_sid=result.alpha_sender_sid,
            phone_numbers=list(result.phone_numbers),
        ),
    )
    return result


def _add_bought_number(
    rb: Runbook,
    client: Client,
    service: ServiceOutcome,
    account_sid: str,
    numbers: dict[str, str],
    notes: list[str],
) -> str | None:
    """Put the number step 04a bought into the pool if it is not there yet; the number put in.

    ``numbers`` (the pool) gains it; a number released since is journalled as gone and noted, and
    the step goes on: the Sender ID does not need it.
    """
    bought = bought_number(rb, account_sid)
    if not bought or bought.phone_number_sid in numbers:
        return None
    try:
        attach_number(rb, client, STEP, service, bought.phone_number_sid)
    except TwilioActionError as err:
        if err.code != 21421:
            raise
        rb.progress.log(STEP, NumberGone(phone_number_sid=bought.phone_number_sid))
        notes.append(
            f"The number {bought.phone_number} bought in step {PHONE_NUMBER.number} is no longer"
            f" on this account (released?). Run {PHONE_NUMBER.number} again if you send to"
            " foreign numbers."
        )
        return None
    numbers[bought.phone_number_sid] = bought.phone_number
    return bought.phone_number
