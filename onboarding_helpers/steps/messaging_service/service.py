"""The Messaging Service itself, create-if-absent; shared by step 04 and step 04a.

The service an earlier run made (journal, same account and name) is fetched; else the account's
services are searched for the exact friendly name; only then is one created. A create whose
answer is lost is never simply sent again (``create_once``): the exact name tells whether Twilio
made it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import StepBlocked, TwilioActionError
from ...journal import ServiceCreated, ServiceGone, ServiceReused
from ...runbook import Runbook
from ...twilio_gateway import call, create_once
from ..registry import MESSAGING_SERVICE, PHONE_NUMBER, Step

if TYPE_CHECKING:
    from twilio.rest import Client

DEFAULT_SERVICE_NAME = "Postman SMS"
# Postman sends notices to the public; the guide asks officers to state the purpose.
DEFAULT_USECASE = "notifications"
USECASE_HELP = {
    "notifications": "notices, reminders and alerts to the public (most Postman campaigns)",
    "verification": "one-time passwords and sign-in codes",
    "marketing": "promotions and outreach",
    "discussion": "two-way conversations",
    "poll": "surveys and polls",
    "undeclared": "not stated (the guide asks you to state the purpose)",
}
# The steps that create the service: 04a makes it when a number is bought first.
_MAKERS = (MESSAGING_SERVICE.id, PHONE_NUMBER.id)


@dataclass(frozen=True)
class ServiceOutcome:
    """The Messaging Service a step works with, and whether this run made it."""

    sid: str
    friendly_name: str
    usecase: str
    created: bool
    notes: tuple[str, ...] = ()


def resolve_service_name(rb: Runbook, given: str = "") -> str:
    """The name typed, else the one the latest of 04/04a used, else the default."""
    if given and given.strip():
        return given
    records = [rb.progress.read(step) for step in (MESSAGING_SERVICE, PHONE_NUMBER)]
    named = [r for r in records if r.service_name]
    if named:
        return max(named, key=lambda r: r.at).service_name
    return DEFAULT_SERVICE_NAME


def _service_made_earlier(rb: Runbook, account_sid: str, name: str) -> ServiceCreated | None:
    """The latest service 04/04a created with this name in this account and not since lost."""
    gone = set()
    for event in reversed(rb.progress.events(ServiceCreated, ServiceGone)):
        if event.step not in _MAKERS:
            continue
        if isinstance(event, ServiceGone):
            gone.add(event.service_sid)
        elif (
            event.account_sid == account_sid
            and event.friendly_name == name
            and event.service_sid not in gone
        ):
            return event
    return None


@dataclass(frozen=True)
class ServiceFound:
    """What ``find_service`` learnt: the service to reuse (None: none, so one is made), how it was
    found, the service an earlier run made that is gone since, and notes for the officer."""

    service: Any = None
    how: str = ""
    gone: str = ""
    notes: tuple[str, ...] = ()


def find_service(
    rb: Runbook,
    client: Client,
    account_sid: str,
    name: str,
    on_gone: Callable[[str], None] | None = None,
) -> ServiceFound:
    """The service called ``name`` that a run would use, looked up without changing anything:
    the one an earlier run made (fetched), else the one of that exact name in the account
    (listed). StepBlocked when several have the name. Reads only (the change plan uses it too);
    ``on_gone`` hears at once of a service an earlier run made that is gone (the step journals it).
    """
    notes: list[str] = []
    gone = ""
    earlier = _service_made_earlier(rb, account_sid, name)
    if earlier:
        sid = earlier.service_sid
        try:
            svc = call("fetch the Messaging Service", client.messaging.v1.services(sid).fetch)
        except TwilioActionError as err:
            if err.status != 404:
                raise
            notes.append(
                f"The service {sid} that an earlier run created is no longer in the account"
                " (deleted in the console?), so the runbook looked for another one by name."
            )
            gone = sid
            if on_gone is not None:
                on_gone(sid)
        else:
            if svc.friendly_name != name:
                notes.append(f"The service made earlier is now called '{svc.friendly_name}'.")
            return ServiceFound(svc, "made by an earlier run", notes=tuple(notes))

    services = call("list the Messaging Services", client.messaging.v1.services.list)
    same = [s for s in services if s.friendly_name == name]
    if len(same) > 1:
        sids = ", ".join(s.sid for s in same)
        raise StepBlocked(
            f"messaging_service_name: {len(same)} Messaging Services are called '{name}' ({sids}),"
            " so the runbook cannot tell which one Postman should use.",
            advice="In the console (Messaging > Services) delete or rename the extra ones, or type"
            " a new name here to create a fresh service. Nothing was changed.",
            field="messaging_service_name",
        )
    found = same[0] if same else None
    return ServiceFound(found, "found by name" if same else "", gone, tuple(notes))


def ensure_service(
    rb: Runbook, client: Client, step: Step, account_sid: str, name: str, usecase: str
) -> ServiceOutcome:
    """The service called ``name``: the one an earlier run made, one found by name, or a new one.

    Costs one GET when an earlier run made it, else one GET (the list) plus one POST to create.
    """
    found = find_service(
        rb,
        client,
        account_sid,
        name,
        lambda sid: rb.progress.log(step, ServiceGone(service_sid=sid)),
    )
    notes = list(found.notes)
    if found.service is not None:
        return _reused(rb, step, found.service, usecase, notes, found.how)
    return _create(rb, client, step, account_sid, name, usecase, notes)


def _create(
    rb: Runbook,
    client: Client,
    step: Step,
    account_sid: str,
    name: str,
    usecase: str,
    notes: list[str],
) -> ServiceOutcome:
    def create() -> Any:
        return call(
            "create the Messaging Service",
            client.messaging.v1.services.create,
            friendly_name=name,
            usecase=usecase,
            field="messaging_service_name",
        )

    def find() -> Any:
        # The answer was lost: Twilio may have made it. Its exact name tells.
        listed = call("list the Messaging Services", client.messaging.v1.services.list)
        return next((s for s in listed if s.friendly_name == name), None)

    svc, recovered = create_once(create, find)
    if recovered:
        notes.append(
            f"Twilio's answer to creating the service was lost; the service '{name}' it made"
            " was found by name and is used (not created twice)."
        )
    # Journalled at once: if anything later fails, the next run finds this service again.
    rb.progress.log(
        step,
        ServiceCreated(
            service_sid=svc.sid,
            friendly_name=svc.friendly_name,
            usecase=svc.usecase,
            account_sid=account_sid,
            recovered=True if recovered else None,
        ),
    )
    return ServiceOutcome(svc.sid, svc.friendly_name, svc.usecase or usecase, True, tuple(notes))


def _reused(
    rb: Runbook, step: Step, svc: Any, usecase: str, notes: list[str], how: str
) -> ServiceOutcome:
    rb.progress.log(step, ServiceReused(service_sid=svc.sid, how=how))
    if svc.usecase and svc.usecase != usecase:
        notes.append(
            f"The service's use case is '{svc.usecase}', not '{usecase}'. The runbook leaves it as"
            " it is; change it on the service's Properties page if the purpose changed."
        )
    return ServiceOutcome(svc.sid, svc.friendly_name, svc.usecase or usecase, False, tuple(notes))
