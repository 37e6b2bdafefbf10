"""What a refused send, a failed delivery or an unexpected sender means, in the guide's terms."""

from __future__ import annotations

from collections.abc import Sequence

from ..countries import country_rule
from ..errors import TwilioActionError
from ..phone import PhoneNumber
from ..steps.registry import ACCOUNT, MESSAGING_SERVICE, PHONE_NUMBER
from ..twilio_errors import ADVICE, CAMPAIGN_ADVICE, CAMPAIGN_DEFAULT
from .following import Delivery


def _guide_send_advice(code: int | None, phone: PhoneNumber) -> tuple[str, str, str] | None:
    """(message, field, advice) for refusals at send time, in the guide's terms."""
    if code == 21408:
        return (
            f"Your Twilio account may not send to {phone.country} yet, so {phone.e164} was"
            " refused (error 21408).",
            "test_phone",
            f"Allow {phone.country} in the console (Messaging > Settings > Geo permissions), then"
            " send again. Nothing was sent or billed.",
        )
    if code in (21612, 21657):
        rule = country_rule(phone.region)
        return (
            f"Twilio cannot reach {phone.e164} ({phone.country}) from this Messaging Service's"
            f" senders (error {code}).",
            "test_phone",
            f"{rule.name}: {rule.advice} If campaigns go there and need a number, take step"
            f" {PHONE_NUMBER.number} (buy a phone number) and run {MESSAGING_SERVICE.number}"
            " again, and allow the country in Messaging > Settings > Geo Permissions. To prove"
            " the values work meanwhile, test with your Singapore mobile. Nothing was sent or"
            " billed.",
        )
    if code == 21614:
        return (
            f"{phone.e164} is not a mobile number, so it cannot receive SMS (error 21614).",
            "test_phone",
            "Use your own mobile number (Singapore mobiles start with 8 or 9).",
        )
    if code == 21608:
        return (
            "Twilio refused to send because this is still a Trial account: Trial accounts may"
            " only text numbers verified in the console (error 21608).",
            "Account SID",
            "Upgrade billing (Billing > Manage Billing > Upgrade, prepaid with a corporate card) as"
            f" the guide asks, run {ACCOUNT.id} again, then this step. Trial messages also show"
            " as Likely-SCAM and cannot carry your Sender ID.",
        )
    if code == 21703:
        return (
            "The Messaging Service's sender pool is empty, so there is nothing to send from"
            " (error 21703).",
            "Messaging Service SID",
            f"Run {MESSAGING_SERVICE.id} again: it adds your Sender ID to the sender pool.",
        )
    if code == 21701:
        return (
            "Twilio does not know this Messaging Service SID in this account (error 21701).",
            "Messaging Service SID",
            f"Run {MESSAGING_SERVICE.id} again, or copy the MG... SID from the service's"
            " Properties page into the env file.",
        )
    return None


def explain_send_error(err: TwilioActionError, phone: PhoneNumber) -> TwilioActionError:
    """Rewrite a refused send with the guide's advice (known codes); others keep the gateway's."""
    known = _guide_send_advice(err.code, phone)
    if known:
        err.message, err.field, err.advice = known
    return err


def delivery_failure(
    delivery: Delivery, phone: PhoneNumber, sender: str | None
) -> TwilioActionError:
    """The error for a message that ended undelivered, failed or canceled."""
    code = delivery.error_code
    said = f" Twilio said: {delivery.error_message.rstrip('.')}." if delivery.error_message else ""
    field_name: str | None = None
    if code == 30007 and phone.is_singapore:
        sender_text = f"'{sender}'" if sender else "your Sender ID"
        what = (
            f"The test message was filtered by the carrier (error 30007): Singapore blocked"
            f" {sender_text}."
        )
        advice = (
            "In Singapore this means the Sender ID is not registered with SGNIC's SMS Sender ID"
            " Registry, not yet mapped to your account by Twilio, or owned by another agency."
            " Check your SSIR approval (the ID must be exactly as registered), ask Twilio to map it"
            " to this account if it is yours, or register your agency's own ID if another agency"
            " holds it. Then run this step again."
        )
        field_name = "Sender ID"
    elif code in ADVICE:
        known_what, field_name, advice = ADVICE[code]
        what = f"The test message was {delivery.status} (error {code}): {known_what}"
    elif code:
        what = f"The test message was {delivery.status} (error {code})."
        advice = (
            "Look the code up on Twilio's error page below, check the message in the console"
            " (Monitor > Logs > Messaging), then run this step again."
        )
    else:
        what = f"The test message ended {delivery.status}, without an error code."
        advice = "Check the message in the console (Monitor > Logs > Messaging), then run again."
    return TwilioActionError(
        what + said,
        advice=advice,
        field=field_name,
        code=code,
        more_info=f"https://www.twilio.com/docs/errors/{code}" if code else None,
    )


def sender_notes(
    delivery: Delivery, phone: PhoneNumber, sender_id: str | None
) -> tuple[list[str], list[str]]:
    """(notes, warnings) about what the handset shows as the sender."""
    notes: list[str] = []
    warnings: list[str] = []
    shown = delivery.sender
    if not phone.is_singapore:
        notes.append(
            f"Messages to {phone.country} go out from the number in your sender pool"
            f" ({shown or 'unknown'}); your Sender ID is used for Singapore numbers."
        )
    elif not sender_id:
        warnings.append(
            "The service has no alphanumeric Sender ID in its pool, so Singapore phones do not see"
            f" your registered name. Run {MESSAGING_SERVICE.id} with your sender_id."
        )
    elif shown == sender_id:
        notes.append(f"Your phone should show the sender as '{sender_id}', your registered ID.")
    else:
        warnings.append(
            f"Twilio sent it from '{shown}', not your registered Sender ID '{sender_id}'. Check"
            " the sender pool (Messaging > Services > Sender Pool) holds the ID exactly as"
            f" registered with SGNIC, then run {MESSAGING_SERVICE.id} again."
        )
    return notes, warnings


def campaign_advice(
    code: int, senders: Sequence[str] = (), sender_id: str | None = None
) -> tuple[str, str, str]:
    """(severity, cause, what to do) for ``code`` on a campaign's messages, in Postman's terms
    (``twilio_errors.CAMPAIGN_ADVICE``). For 30007, ``senders`` (what those messages went out as)
    and ``sender_id`` (what the sender pool holds now) say whether the ID has changed since."""
    severity, cause, advice = CAMPAIGN_ADVICE.get(code, CAMPAIGN_DEFAULT)
    if code != 30007 or not senders:
        return severity, cause, advice
    shown = ", ".join(f"'{s}'" for s in senders)
    cause = f"{cause} These messages went out as {shown}."
    earlier = [s for s in senders if sender_id and s.upper() != sender_id.upper()]
    if earlier:
        advice = (
            f"The sender pool now holds '{sender_id}'; the filtered messages went out as"
            f" {', '.join(repr(s) for s in earlier)} (a Sender ID your agency does not hold, e.g."
            " another organisation's, or one never registered). Make sure every campaign goes"
            f" out as '{sender_id}' only, then send again to the recipients who did not get it."
            f" {advice}"
        )
    return severity, cause, advice
