"""Step 04: the Messaging Service holding the agency's registered Sender ID (guide part 4).

Create-if-absent throughout, so a re-run creates nothing:

- the service: the one an earlier run made (journal, same account and name) is fetched; else the
  account's services are searched for the exact friendly name; only then is one created;
- a number bought by step 04a is put in the sender pool if it is not there yet (the guide puts the
  number in before the alpha sender);
- the alpha sender: one already in the service is reused when it equals the Sender ID exactly, and
  explained (nothing changed) when it differs: a service holds one alpha sender.

If Twilio refuses the Sender ID after the service was created, the empty service is kept, not
deleted: it is journalled, so the next run (with a corrected Sender ID) reuses it instead of
making a second one. Deleting it would cost a request and gain nothing.

A create whose answer is lost (dropped connection, timeout, 5xx) is never simply sent again
(``create_once``): the service is looked up by its exact name, the alpha sender in the service's
list, a number in the sender pool; only when Twilio has no trace of it is the create repeated.

``ensure_service`` is shared with step 04a, which runs first when a number is bought.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..credentials import MESSAGING_SERVICE_SID
from ..errors import StepBlocked, TwilioActionError
from ..runbook import Runbook, step_action
from ..twilio_gateway import call, create_once
from ..validation import (
    validate_friendly_name,
    validate_sender_id,
    validate_usecase,
)

if TYPE_CHECKING:
    from twilio.rest import Client

STEP = "04_messaging_service"
PHONE_STEP = "04a_buy_phone_number"
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


@dataclass(frozen=True)
class ServiceOutcome:
    """The Messaging Service a step works with, and whether this run made it."""

    sid: str
    friendly_name: str
    usecase: str
    created: bool
    notes: tuple[str, ...] = ()


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


# ---------------------------------------------------------------- earlier runs


def _latest(rb: Runbook, steps: tuple[str, ...], action: str, **match: Any) -> dict[str, Any]:
    """The newest journal entry of ``action`` by one of ``steps`` whose fields equal ``match``."""
    for entry in reversed(rb.progress.journal_entries()):
        if entry.get("step") in steps and entry.get("action") == action:
            if all(entry.get(k) == v for k, v in match.items()):
                return entry
    return {}


def resolve_service_name(rb: Runbook, given: str = "") -> str:
    """The name typed, else the one the latest of 04/04a used, else the default."""
    if given and given.strip():
        return given
    records = [rb.progress.step(s) for s in (STEP, PHONE_STEP)]
    named = [r for r in records if r.get("service_name")]
    if named:
        return max(named, key=lambda r: r.get("at", ""))["service_name"]
    return DEFAULT_SERVICE_NAME


# In the sandbox a run with no Sender ID still goes end to end (trainers, `run --sandbox`);
# live, an empty Sender ID is refused: only the officer knows what SGNIC registered.
SANDBOX_SENDER_ID = "GOVTECH"


def resolve_sender_id(rb: Runbook, given: str = "") -> str:
    """The Sender ID typed, else the one an earlier run of step 04 added, else (sandbox only)
    the practice ID ``SANDBOX_SENDER_ID``."""
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)  # papermill's -p turns "12345" into a number; judge it as typed
    earlier = given or rb.progress.step(STEP).get("sender_id", "")
    if not earlier and isinstance(given, str) and rb.settings.is_sandbox:
        return SANDBOX_SENDER_ID
    return earlier


def bought_number(rb: Runbook, account_sid: str) -> dict[str, Any]:
    """The journal entry of the latest number step 04a bought in this account ({} if none).

    A number later found released ("phone number gone") no longer counts.
    """
    gone = set()
    for entry in reversed(rb.progress.journal_entries()):
        if entry.get("action") == "phone number gone":
            gone.add(entry.get("phone_number_sid"))
        elif (
            entry.get("action") == "bought phone number"
            and entry.get("step") == PHONE_STEP
            and entry.get("account_sid") == account_sid
            and entry.get("phone_number_sid") not in gone
        ):
            return entry
    return {}


def check_not_trial(rb: Runbook) -> None:
    """Stop before creating anything when step 01 found a Trial account (no alpha senders)."""
    if rb.progress.step("01_account_sid").get("type") == "Trial":
        raise StepBlocked(
            "This account was a Trial account when step 01 checked it, and Trial accounts cannot"
            " use an alphanumeric Sender ID.",
            advice="Upgrade billing (Billing > Manage Billing > Upgrade), run 01_account_sid"
            " again, then this step. Nothing was created.",
            field="Account SID",
        )


# ---------------------------------------------------------------- the service


def _service_made_earlier(rb: Runbook, account_sid: str, name: str) -> dict[str, Any]:
    """The latest service 04/04a created with this name in this account and not since lost."""
    gone = set()
    for entry in reversed(rb.progress.journal_entries()):
        if entry.get("step") not in (STEP, PHONE_STEP):
            continue
        if entry.get("action") == "messaging service gone":
            gone.add(entry.get("service_sid"))
        elif (
            entry.get("action") == "created messaging service"
            and entry.get("account_sid") == account_sid
            and entry.get("friendly_name") == name
            and entry.get("service_sid") not in gone
        ):
            return entry
    return {}


def ensure_service(
    rb: Runbook, client: Client, step: str, account_sid: str, name: str, usecase: str
) -> ServiceOutcome:
    """The service called ``name``: the one an earlier run made, one found by name, or a new one.

    Costs one GET when an earlier run made it, else one GET (the list) plus one POST to create.
    """
    notes: list[str] = []
    earlier = _service_made_earlier(rb, account_sid, name)
    if earlier:
        sid = earlier["service_sid"]
        try:
            svc = call("fetch the Messaging Service", client.messaging.v1.services(sid).fetch)
        except TwilioActionError as err:
            if err.status != 404:
                raise
            notes.append(
                f"The service {sid} that an earlier run created is no longer in the account"
                " (deleted in the console?), so the runbook looked for another one by name."
            )
            rb.progress.journal(step, "messaging service gone", service_sid=sid)
        else:
            if svc.friendly_name != name:
                notes.append(f"The service made earlier is now called '{svc.friendly_name}'.")
            return _reused(rb, step, svc, usecase, notes, "made by an earlier run")

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
    if same:
        return _reused(rb, step, same[0], usecase, notes, "found by name")

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
    rb.progress.journal(
        step,
        "created messaging service",
        service_sid=svc.sid,
        friendly_name=svc.friendly_name,
        usecase=svc.usecase,
        account_sid=account_sid,
        **({"recovered": True} if recovered else {}),
    )
    return ServiceOutcome(svc.sid, svc.friendly_name, svc.usecase or usecase, True, tuple(notes))


def _reused(
    rb: Runbook, step: str, svc: Any, usecase: str, notes: list[str], how: str
) -> ServiceOutcome:
    rb.progress.journal(step, "reused messaging service", service_sid=svc.sid, how=how)
    if svc.usecase and svc.usecase != usecase:
        notes.append(
            f"The service's use case is '{svc.usecase}', not '{usecase}'. The runbook leaves it as"
            " it is; change it on the service's Properties page if the purpose changed."
        )
    return ServiceOutcome(svc.sid, svc.friendly_name, svc.usecase or usecase, False, tuple(notes))


def pool_numbers(client: Client, service_sid: str) -> dict[str, str]:
    """The sender pool's phone numbers: PN SID -> E.164 number."""
    rows = call(
        "list the sender pool's phone numbers",
        client.messaging.v1.services(service_sid).phone_numbers.list,
    )
    return {r.sid: r.phone_number for r in rows}


def attach_number(
    rb: Runbook, client: Client, step: str, service: ServiceOutcome, pn_sid: str
) -> bool:
    """Put a bought number into the service's sender pool; False if it was already there.

    Adding it twice is harmless (21710, "already in this service"), so a lost answer is checked
    against the pool and, if it is not there, simply tried again.
    """
    try:
        create_once(
            lambda: call(
                "add the phone number to the sender pool",
                client.messaging.v1.services(service.sid).phone_numbers.create,
                phone_number_sid=pn_sid,
            ),
            lambda: True if pn_sid in pool_numbers(client, service.sid) else None,
        )
    except TwilioActionError as err:
        if err.code == 21710:  # already in this service: what we wanted
            return False
        if err.code == 21712:
            err.message = (
                f"The phone number {pn_sid} is already in another Messaging Service, and a number"
                " can be in only one (error 21712)."
            )
            err.advice = (
                "In the console (Messaging > Services > the other service > Sender Pool) remove"
                f" it there, then run this step again to add it to '{service.friendly_name}'."
            )
        raise
    rb.progress.journal(
        step, "attached phone number", service_sid=service.sid, phone_number_sid=pn_sid
    )
    return True


# ---------------------------------------------------------------- the alpha sender


def _alpha_sender_refused(
    rb: Runbook, client: Client, err: TwilioActionError, sender_id: str, service: ServiceOutcome
) -> TwilioActionError:
    """21709 and relatives: say whether the account is Trial or the ID is protected."""
    kept = (
        f" The Messaging Service '{service.friendly_name}' ({service.sid}) is kept, empty of"
        " Sender IDs; the next run of this step reuses it."
    )
    account_type = ""
    try:  # one extra request, on the failure path only
        account_sid = rb.saved_account()[0]
        account_type = call("fetch the account", client.api.v2010.accounts(account_sid).fetch).type
    except TwilioActionError:
        pass
    if account_type == "Trial":
        err.message = (
            f"Twilio refused the Sender ID '{sender_id}' because this is still a Trial account:"
            f" alphanumeric Sender IDs need an upgraded (paid) account (error {err.code})."
        )
        err.advice = (
            "Upgrade billing (Billing > Manage Billing > Upgrade, prepaid with a corporate card)"
            " as the guide asks, run 01_account_sid again, then this step." + kept
        )
        err.field = "Account SID"
        return err
    err.message = (
        f"Twilio refused the Sender ID '{sender_id}' (error {err.code}). Its format is fine, so"
        " Twilio holds it as protected: it is registered to another organisation, or not yet"
        " mapped to your account."
    )
    err.advice = (
        "Check your SGNIC (SSIR) approval: the Sender ID must be your agency's and typed exactly"
        " as registered. If it is yours, ask Twilio to map it to this account (Twilio's Sender ID"
        " form, with the SSIR approval screenshot). If another agency owns it, you cannot use it:"
        " register your own ID with SGNIC." + kept
    )
    err.field = "Sender ID"
    return err


def ensure_alpha_sender(
    rb: Runbook, client: Client, service: ServiceOutcome, sender_id: str
) -> tuple[str, bool]:
    """The alpha sender in the service: (AI SID, created now). Never replaces a different one.

    Compared exactly, letter case included: handsets show the ID as Twilio sends it, and it
    must equal the SGNIC registration character for character.
    """
    alphas: list[Any] = []
    if not service.created:  # a service made a moment ago has an empty pool: skip the GET
        alphas = call(
            "list the service's alpha senders",
            client.messaging.v1.services(service.sid).alpha_senders.list,
        )
    for alpha in alphas:
        if alpha.alpha_sender == sender_id:
            return alpha.sid, False
    if alphas:
        there = alphas[0].alpha_sender
        how = "differs only in letter case" if there.upper() == sender_id.upper() else "differs"
        raise StepBlocked(
            f"Sender ID: the Messaging Service '{service.friendly_name}' ({service.sid}) already"
            f" holds the alpha sender '{there}', which {how} from '{sender_id}'. A service holds"
            " one alpha sender, so the runbook changed nothing.",
            advice=f"If '{sender_id}' is right (as registered with SGNIC), remove '{there}' from"
            " the service's Sender Pool in the console (Messaging > Services > Sender Pool) and"
            " run again, or type a new messaging_service_name to create a separate service. If"
            f" '{there}' is right, run again with sender_id '{there}'.",
            field="sender_id",
        )

    def find() -> Any:
        # The answer was lost: the service's list shows whether Twilio added it.
        listed = call(
            "list the service's alpha senders",
            client.messaging.v1.services(service.sid).alpha_senders.list,
        )
        return next((a for a in listed if a.alpha_sender == sender_id), None)

    try:
        alpha, _ = create_once(
            lambda: call(
                "add the alpha sender",
                client.messaging.v1.services(service.sid).alpha_senders.create,
                alpha_sender=sender_id,
                field="Sender ID",
            ),
            find,
        )
    except TwilioActionError as err:
        if err.code == 21709:
            raise _alpha_sender_refused(rb, client, err, sender_id, service) from None
        raise
    rb.progress.journal(
        STEP,
        "added alpha sender",
        service_sid=service.sid,
        alpha_sender_sid=alpha.sid,
        sender_id=sender_id,
    )
    return alpha.sid, True


# ---------------------------------------------------------------- the step


@step_action(STEP)
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
    sender_id = validate_sender_id(resolve_sender_id(rb, sender_id))
    name = validate_friendly_name(
        resolve_service_name(rb, messaging_service_name), "messaging_service_name"
    )
    rb.refuse_secrets("messaging_service_name", name)
    usecase = validate_usecase(usecase)
    check_not_trial(rb)
    account_sid = rb.saved_account()[0]
    client = rb.auth_token_client(STEP)

    service: ServiceOutcome | None = None
    try:
        service = ensure_service(rb, client, STEP, account_sid, name, usecase)
        notes = list(service.notes)
        numbers = {} if service.created else pool_numbers(client, service.sid)
        # The guide's order: a bought number goes into the pool before the alpha sender.
        attached = None
        bought = bought_number(rb, account_sid)
        if bought and bought["phone_number_sid"] not in numbers:
            try:
                attach_number(rb, client, STEP, service, bought["phone_number_sid"])
            except TwilioActionError as err:
                if err.code != 21421:
                    raise
                rb.progress.journal(
                    STEP, "phone number gone", phone_number_sid=bought["phone_number_sid"]
                )
                notes.append(
                    f"The number {bought['phone_number']} bought in step 04a is no longer on"
                    " this account (released?). Run 04a again if you send to foreign numbers."
                )
            else:
                numbers[bought["phone_number_sid"]] = bought["phone_number"]
                attached = bought["phone_number"]
        alpha_sid, alpha_created = ensure_alpha_sender(rb, client, service, sender_id)
    except (TwilioActionError, StepBlocked) as err:
        kept = {"service_sid": service.sid} if service else {}
        rb.progress.record(STEP, "failed", service_name=name, reason=err.message, **kept)
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
    )
    rb.progress.record(
        STEP,
        "done",
        service_sid=result.service_sid,
        service_name=result.friendly_name,
        usecase=result.usecase,
        sender_id=result.sender_id,
        alpha_sender_sid=result.alpha_sender_sid,
        phone_numbers=list(result.phone_numbers),
    )
    return result
