"""The Messaging Service Postman sends through, as the key sees it: the service, its Sender ID
and its numbers (three GET requests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import TwilioActionError
from ..api_key.policy import LIST_POOL_NUMBERS, LIST_SENDER_IDS, READ_SERVICE
from ..registry import MESSAGING_SERVICE
from .access import REFUSED, Access
from .values import PostmanValues

if TYPE_CHECKING:
    from twilio.rest import Client


@dataclass(frozen=True)
class ServiceSeen:
    """What the key could read of the service; None for what its policy did not allow."""

    sid: str
    friendly_name: str | None = None
    sender_ids: tuple[str, ...] | None = None
    numbers: tuple[str, ...] | None = None


def _missing_service(err: TwilioActionError, values: PostmanValues) -> TwilioActionError:
    err.field = "Messaging Service SID"
    err.message = (
        f"The Messaging Service {values.service_sid} does not exist in the account"
        f" {values.account_sid} (error 20404), so Postman's sends with it are refused (error"
        " 21701) and nothing reaches the message log."
    )
    err.advice = (
        "Compare the Messaging Service ID in Postman with the MG... SID on the service's"
        f" Properties page (Messaging > Services), or run step {MESSAGING_SERVICE.number} to"
        " make one; then correct it in Postman and run this check again."
    )
    return err


def read_service(access: Access, client: Client, values: PostmanValues) -> ServiceSeen:
    """The service, its Sender ID and its pool's numbers; a service Twilio does not know stops
    the check, naming the Messaging Service SID."""
    service = client.messaging.v1.services(values.service_sid)
    try:
        fetched = access.read("read the Messaging Service", READ_SERVICE, service.fetch)
        alphas = access.read(
            "read the service's Sender ID", LIST_SENDER_IDS, service.alpha_senders.list
        )
        numbers = access.read(
            "read the service's phone numbers", LIST_POOL_NUMBERS, service.phone_numbers.list
        )
    except TwilioActionError as err:
        if err.status == 404 and not err.served_by:
            raise _missing_service(err, values) from None
        raise
    return ServiceSeen(
        sid=values.service_sid,
        friendly_name=None if fetched is REFUSED else (fetched.friendly_name or ""),
        sender_ids=None if alphas is REFUSED else tuple(a.alpha_sender for a in alphas),
        numbers=None if numbers is REFUSED else tuple(n.phone_number for n in numbers),
    )
