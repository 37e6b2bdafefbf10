"""The alphanumeric Sender ID in the service: the name recipients see, as registered with SGNIC.

One already in the service is reused when it equals the Sender ID exactly, and explained (nothing
changed) when it differs: a service holds one alpha sender. Twilio's refusal (21709: alpha senders
not enabled for the account, a Trial account, or a format Twilio does not take) is explained with
what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import StepBlocked, TwilioActionError
from ...journal import AlphaSenderAdded
from ...runbook import Runbook
from ...twilio_gateway import call, create_once
from ..registry import ACCOUNT, MESSAGING_SERVICE
from .service import ServiceOutcome

if TYPE_CHECKING:
    from twilio.rest import Client

# In the sandbox a run with no Sender ID still goes end to end (trainers, `run --sandbox`);
# live, an empty Sender ID is refused: only the officer knows what SGNIC registered.
SANDBOX_SENDER_ID = "GOVTECH"


def resolve_sender_id(rb: Runbook, given: str = "") -> str:
    """The Sender ID typed, else the one an earlier run of step 04 added, else (sandbox only)
    the practice ID ``SANDBOX_SENDER_ID``."""
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)  # papermill's -p turns "12345" into a number; judge it as typed
    earlier = given or rb.progress.read(MESSAGING_SERVICE).sender_id
    if not earlier and isinstance(given, str) and rb.settings.is_sandbox:
        return SANDBOX_SENDER_ID
    return earlier


def check_not_trial(rb: Runbook) -> None:
    """Stop before creating anything when step 01 found a Trial account (no alpha senders)."""
    if rb.progress.read(ACCOUNT).type == "Trial":
        raise StepBlocked(
            "This account was a Trial account when step 01 checked it, and Trial accounts cannot"
            " use an alphanumeric Sender ID.",
            advice=f"Upgrade billing (Billing > Manage Billing > Upgrade), run {ACCOUNT.id}"
            " again, then this step. Nothing was created.",
            field="Account SID",
        )


# Where the account's switch for alphanumeric Sender IDs is (Twilio's glossary: "turn on
# Alphanumeric Sender ID in the SMS Settings for your account").
ALPHA_SETTING = "Messaging > Settings > General > Alphanumeric Sender ID"


def _alpha_sender_refused(
    rb: Runbook, client: Client, err: TwilioActionError, sender_id: str, service: ServiceOutcome
) -> TwilioActionError:
    """21709: Twilio's two causes (not enabled for the account, or the ID's format), told apart.

    A Trial account (never enabled) is named outright. An ID registered to another organisation
    is not a cause of 21709: Twilio cannot see SGNIC's registry.
    """
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
            " Trial accounts never have alphanumeric Sender IDs enabled; an upgraded (paid)"
            f" account has them (error {err.code})."
        )
        err.advice = (
            "Upgrade billing (Billing > Manage Billing > Upgrade, prepaid with a corporate card)"
            f" as the guide asks, run {ACCOUNT.id} again, then this step." + kept
        )
        err.field = "Account SID"
        return err
    symbols = sorted(set(sender_id) & set("-+_&"))
    err.message = (
        f"Twilio refused the Sender ID '{sender_id}' (error {err.code}). Twilio gives two causes:"
        " alphanumeric Sender IDs are not enabled for this account, or the ID's format is not"
        " one Twilio accepts."
    )
    fmt = (
        f" If alpha senders are enabled, the format is the likely cause: '{sender_id}' contains"
        f" {', '.join(repr(ch) for ch in symbols)}, which Twilio's API accepts but its error page"
        " for 21709 does not list (letters, digits and spaces); check with Twilio support, and"
        " keep the ID exactly as registered with SGNIC."
        if symbols
        else f" '{sender_id}' passed the runbook's format checks (Twilio's and SGNIC's rules), so"
        " the setting is the likely cause; if it is enabled, ask Twilio support."
    )
    err.advice = (
        f"Enable alphanumeric Sender IDs: in the console open {ALPHA_SETTING} and check it is"
        " on (the Add Senders page of a service also shows a notice while it is off). Upgraded"
        " accounts have it by default; if it is off and you cannot turn it on, ask Twilio"
        f" support to enable it.{fmt} An ID registered to another organisation is not the"
        " cause: Twilio cannot see SGNIC's registry, and such an ID shows only later, as an"
        " error on the Sender Pool page or a test SMS that never arrives." + kept
    )
    err.field = "Sender ID"
    return err


def _refuse_a_different_one(service: ServiceOutcome, there: str, sender_id: str) -> StepBlocked:
    """The service already holds another alpha sender: a service holds one, so change nothing."""
    how = "differs only in letter case" if there.upper() == sender_id.upper() else "differs"
    return StepBlocked(
        f"Sender ID: the Messaging Service '{service.friendly_name}' ({service.sid}) already"
        f" holds the alpha sender '{there}', which {how} from '{sender_id}'. A service holds"
        " one alpha sender, so the runbook changed nothing.",
        advice=f"If '{sender_id}' is right (as registered with SGNIC), remove '{there}' from"
        " the service's Sender Pool in the console (Messaging > Services > Sender Pool) and"
        " run again, or type a new messaging_service_name to create a separate service. If"
        f" '{there}' is right, run again with sender_id '{there}'.",
        field="sender_id",
    )


def alpha_sender_in(client: Client, service: ServiceOutcome, sender_id: str) -> Any | None:
    """The service's alpha sender that equals ``sender_id`` exactly (None: the service holds
    none, so it is added); StepBlocked when it holds another one. Reads only (one GET, none for
    a service made a moment ago, whose pool is empty); the change plan uses it too."""
    alphas: list[Any] = []
    if not service.created:
        alphas = call(
            "list the service's alpha senders",
            client.messaging.v1.services(service.sid).alpha_senders.list,
        )
    for alpha in alphas:
        if alpha.alpha_sender == sender_id:
            return alpha
    if alphas:
        raise _refuse_a_different_one(service, alphas[0].alpha_sender, sender_id)
    return None


def ensure_alpha_sender(
    rb: Runbook, client: Client, service: ServiceOutcome, sender_id: str
) -> tuple[str, bool]:
    """The alpha sender in the service: (AI SID, created now). Never replaces a different one.

    Compared exactly, letter case included: handsets show the ID as Twilio sends it, and it
    must equal the SGNIC registration character for character.
    """
    there = alpha_sender_in(client, service, sender_id)
    if there is not None:
        return there.sid, False

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
    rb.progress.log(
        MESSAGING_SERVICE,
        AlphaSenderAdded(service_sid=service.sid, alpha_sender_sid=alpha.sid, sender_id=sender_id),
    )
    return alpha.sid, True
