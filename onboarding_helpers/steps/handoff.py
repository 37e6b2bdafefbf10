"""Step 06: prove the four values work the way Postman uses them, then hand them over.

The Postman-equivalent check makes Postman's own call: a client authenticated with the API key
SID and secret, scoped to the Account SID (``Client(key, secret, account_sid)``, never the Auth
Token), and ``messages.create(to=..., body=..., from_=MG...)`` with the Messaging Service SID as
``From``. Postman saves credentials only when that call succeeds, so if it succeeds here it will
succeed there. The message is then followed to a final status, as in step 05, because Postman
would save values whose messages never arrive.

Without ``test_phone`` nothing is sent (the step is recorded as skipped) and a request that costs
nothing stands in: the same client fetches the Messaging Service, which proves the key, secret,
account and service belong together but not that a message can go out.

Either way the step ends with the hand-off card (the four values under Postman's labels, the
secret masked) and the run report. The secret never leaves the env file: the card holds only its
masked form, and the form's reveal reads the env file when clicked.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    MESSAGING_SERVICE_SID,
    mask,
)
from ..errors import InputError, RunbookError, StepBlocked, TwilioActionError
from ..phone import check_reachable, parse_phone
from ..report import report_path, write_report
from ..runbook import Runbook, step_action
from ..twilio_gateway import call
from ..validation import (
    SECRET_SHAPE,
    validate_account_sid,
    validate_api_key_sid,
    validate_api_secret,
    validate_flag,
    validate_messaging_service_sid,
)
from .test_message import (
    DEFAULT_WAIT_SECONDS,
    SERVICE_STEP,
    StatusCallback,
    StatusUpdate,
    check_wait_seconds,
    delivered_earlier,
    delivery_failure,
    phone_branch_taken,
    registered_sender_id,
    send_and_follow,
    sender_notes,
)

STEP = "06_postman_handoff"
PHONE_STEP = "04a_buy_phone_number"

# Postman's rule for a credential label, and the form labels it shows for the four values.
LABEL_RULE = re.compile(r"^[a-z0-9-]+$")
LABEL_MAX = 50
POSTMAN_LABELS = ("Account SID", "API Key SID", "API Secret", "Messaging Service ID")
DEFAULT_LABEL = "twilio-sms"

POSTMAN_BODY = (
    "Postman onboarding runbook (step 06): these Twilio credentials work the way Postman uses them."
)

CHECKLIST = (
    "Sign in to Postman (postman.gov.sg) and open Settings > Credentials.",
    "Under SMS, add a new credential. Label: '{label}' (lowercase letters, digits and dashes,"
    " at most 50 characters).",
    "Fill the four fields with the values above, each under the same name: Account SID, API Key"
    " SID, API Secret, Messaging Service ID. Take the API Secret from the env file (or the form's"
    " reveal button); never send it by email or chat.",
    "Type your own mobile number. Postman sends it a test SMS (billed, like any SMS) and saves"
    " the credential only if Twilio accepts that SMS. If not, Postman shows Twilio's own words:"
    " 'Authenticate' means the API Key SID and API Secret do not belong together.",
    "Check the SMS arrives on your phone showing your Sender ID.",
    "A saved credential cannot be edited, and deleting it cannot be undone: to change a value,"
    " add a new credential under a new label.",
)


@dataclass(frozen=True)
class HandoffCard:
    """The four values under Postman's labels. Holds the secret only masked."""

    label: str
    account_sid: str
    api_key_sid: str
    api_secret_masked: str
    messaging_service_sid: str
    sender_id: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Credential label", self.label),
            ("Account SID", self.account_sid),
            ("API Key SID", self.api_key_sid),
            ("API Secret", self.api_secret_masked),
            ("Messaging Service ID", self.messaging_service_sid),
        ]

    def checklist(self) -> list[str]:
        return [item.format(label=self.label) for item in CHECKLIST]


@dataclass(frozen=True)
class HandoffResult:
    card: HandoffCard
    postman_check: str  # "passed" | "not run"
    live: bool
    report_path: Path
    message_sid: str | None = None
    to: str | None = None
    delivery: str | None = None  # delivered | sent-not-confirmed | not-sent-yet
    statuses: tuple[StatusUpdate, ...] = ()
    reason: str = ""  # why the check was not run
    notes: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- the label


def suggest_label(*names: str | None) -> str:
    """A credential label Postman accepts, from the first usable name (service, then agency).

    Lowercased, accents dropped, every other character turned into '-', at most 50 characters.
    """
    for name in names:
        if not name:
            continue
        ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        label = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
        label = label[:LABEL_MAX].rstrip("-")
        if label:
            return label
    return DEFAULT_LABEL


def validate_label(value: object) -> str:
    """Postman's rule: ``^[a-z0-9-]+$``, 1 to 50 characters."""
    if not isinstance(value, str):
        raise InputError(
            "credential_label", f"expected text, got {type(value).__name__}.", "Type a label."
        )
    suggestion = suggest_label(value)
    if not value:
        raise InputError("credential_label", "is empty.", f"Use e.g. '{suggestion}'.")
    if len(value) > LABEL_MAX:
        raise InputError(
            "credential_label",
            f"has {len(value)} characters; Postman allows {LABEL_MAX}.",
            f"Use e.g. '{suggestion}'.",
        )
    if SECRET_SHAPE.search(value):
        raise InputError(
            "credential_label",
            "contains something shaped like a Twilio secret (32 letters and digits in a row).",
            f"Use a plain label such as '{DEFAULT_LABEL}'; secrets stay in the env file only.",
        )
    if not LABEL_RULE.match(value):
        bad = sorted({ch for ch in value if not re.match(r"[a-z0-9-]", ch)})
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InputError(
            "credential_label",
            f"has characters Postman refuses ({shown}): only lowercase letters, digits and '-'.",
            f"Use e.g. '{suggestion}'.",
        )
    return value


def default_label(rb: Runbook) -> str:
    service = rb.progress.step(SERVICE_STEP).get("service_name") or rb.progress.step(
        PHONE_STEP
    ).get("service_name")
    agency = rb.progress.step("01_account_sid").get("friendly_name")
    return suggest_label(service, agency)


# ---------------------------------------------------------------- the four values


def postman_values(rb: Runbook) -> tuple[str, str, str, str]:
    """(Account SID, API key SID, secret, MG SID) from the env file, each checked.

    The secret is returned for building the client only; nothing here shows it.
    """
    values = rb.store.values()
    needed = (
        (ACCOUNT_SID, "Account SID", "01_account_sid"),
        (API_KEY_SID, "API Key SID", "02_api_key"),
        (API_KEY_SECRET, "API Secret", "02_api_key"),
        (MESSAGING_SERVICE_SID, "Messaging Service ID", "04_messaging_service"),
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


def _as_postman_failure(err: TwilioActionError) -> TwilioActionError:
    """A refused Postman-style call, said as what Postman would show."""
    if (err.code == 20003 or err.status == 401) and not err.served_by:
        err.message = (
            "Twilio refused the API Key SID with this API Secret for this Account SID (error"
            " 20003). Postman's check would fail the same way, showing 'Authenticate'."
        )
        err.advice = (
            "The secret belongs to another key, the key was deleted, or it was made in another"
            " account. Run 02_api_key to create a new key (its secret is saved at once), then"
            " this step."
        )
        err.field = "API Key SID / API Secret"
    elif not err.served_by and not err.message.startswith("Postman"):
        err.message = f"Postman's own check would fail the same way: {err.message}"
    return err


# ---------------------------------------------------------------- the step


@step_action(STEP)
def hand_off(
    rb: Runbook,
    test_phone: object = "",
    credential_label: str = "",
    *,
    resend: bool = False,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> HandoffResult:
    """Step 06: the Postman-equivalent check (when ``test_phone`` is given), the card, the report.

    In live mode the check sends one real, billed SMS, exactly as Postman's own check will. A
    check that already passed with these same values and phone is not sent again unless
    ``resend`` (a re-run creates nothing); the card and report are made afresh either way.
    """
    live = not rb.settings.is_sandbox
    wait_seconds = check_wait_seconds(wait_seconds)
    resend = validate_flag(resend, "resend")
    label = validate_label(credential_label) if credential_label else default_label(rb)
    rb.refuse_secrets("credential_label", label)
    given = str(test_phone).strip() if test_phone is not None else ""
    phone = parse_phone(test_phone) if given else None
    account_sid, key_sid, secret, service_sid = postman_values(rb)
    # Postman's client: API key + secret, scoped to the account. Never the Auth Token here.
    client = rb.api_key_client(STEP)
    path = report_path(rb.settings.state_dir)
    common = {
        "credential_label": label,
        "account_sid": account_sid,
        "api_key_sid": key_sid,
        "service_sid": service_sid,
        "auth": "api_key",
        "report_path": str(path),
    }
    delivery = None
    earlier = rb.progress.step(STEP)
    if (
        phone is not None
        and not resend
        and earlier.get("postman_check") == "passed"
        and delivered_earlier(earlier, phone, service_sid, api_key_sid=key_sid)
    ):
        rb.progress.journal(
            STEP, "reused passed Postman check", message_sid=earlier["postman_message_sid"]
        )
        rb.progress.record(
            STEP, "done", postman_check="passed", delivery="delivered", to=phone.masked,
            postman_message_sid=earlier["postman_message_sid"], sent_as="From", **common,
        )  # fmt: skip
        card = HandoffCard(
            label=label, account_sid=account_sid, api_key_sid=key_sid,
            api_secret_masked=mask(secret), messaging_service_sid=service_sid,
            sender_id=rb.progress.step(SERVICE_STEP).get("sender_id"),
        )  # fmt: skip
        write_report(rb, path)
        return HandoffResult(
            card=card, postman_check="passed", live=live, report_path=path,
            message_sid=earlier["postman_message_sid"], to=phone.e164, delivery="delivered",
            notes=(
                f"These same values already passed the Postman-equivalent check at"
                f" {earlier.get('at')} (message {earlier['postman_message_sid']}), so no message"
                " was sent this time. Set resend to True to check again"
                + (", billed to your account." if live else "."),
            ),
        )  # fmt: skip
    try:
        if phone is not None:
            if not phone.is_singapore:
                check_reachable(phone, has_phone_number=phone_branch_taken(rb, client, service_sid))
            try:
                delivery = send_and_follow(
                    rb, client, STEP, phone, service_sid, body=POSTMAN_BODY, postman_style=True,
                    wait_seconds=wait_seconds, on_status=on_status, sleep=sleep, clock=clock,
                )  # fmt: skip
            except TwilioActionError as err:
                raise _as_postman_failure(err) from None
            sender_id = registered_sender_id(rb, client, service_sid)
            if delivery.outcome == "failed":
                err = delivery_failure(delivery, phone, sender_id)
                err.message = (
                    "Postman would accept and save these values (Twilio took the message), but"
                    f" it was not delivered. {err.message}"
                )
                raise err
        else:
            try:
                call(
                    "fetch the Messaging Service with the API key",
                    client.messaging.v1.services(service_sid).fetch,
                )
            except TwilioActionError as err:
                raise _as_postman_failure(err) from None
            rb.progress.journal(
                STEP, "checked API key on the Messaging Service", service_sid=service_sid,
                api_key_sid=key_sid,
            )  # fmt: skip
            sender_id = registered_sender_id(rb, client, service_sid)
    except RunbookError as err:
        if not isinstance(err, InputError):  # a refused input leaves the record as it was
            rb.progress.record(
                STEP, "failed", postman_check="failed", reason=err.message,
                error_code=getattr(err, "code", None),
                postman_message_sid=delivery.message_sid if delivery else None, **common,
            )  # fmt: skip
            write_report(rb, path)
            err.advice = f"{err.advice} The run report is {path}.".strip()
        raise

    card = HandoffCard(
        label=label,
        account_sid=account_sid,
        api_key_sid=key_sid,
        api_secret_masked=mask(secret),
        messaging_service_sid=service_sid,
        sender_id=sender_id,
    )
    notes: list[str] = []
    warnings: list[str] = []
    if delivery is not None and phone is not None:
        notes, warnings = sender_notes(delivery, phone, sender_id)
        notes = [*delivery.notes, *notes]
        if delivery.outcome != "delivered":
            warnings.append(
                f"Postman's check will pass (Twilio accepted the message), but no delivery receipt"
                f" came within {wait_seconds:g} s (last status: {delivery.status}). Check that the"
                " SMS reached your phone before relying on these values."
            )
        if live:
            notes.append("The check message was billed to your account, as Postman's will be.")
        rb.progress.record(
            STEP, "done", postman_check="passed", postman_message_sid=delivery.message_sid,
            delivery=delivery.outcome, to=phone.masked, sent_as="From", **common,
        )  # fmt: skip
        result = HandoffResult(
            card=card, postman_check="passed", live=live, report_path=path,
            message_sid=delivery.message_sid, to=phone.e164, delivery=delivery.outcome,
            statuses=delivery.statuses, notes=tuple(notes), warnings=tuple(warnings),
        )  # fmt: skip
    else:
        reason = (
            "No test_phone was given, so the Postman-equivalent check (one SMS, sent with the API"
            " key and From = the Messaging Service SID) was not run. The API key did sign in and"
            " can see the Messaging Service, at no cost."
        )
        rb.progress.record(
            STEP, "skipped", postman_check="not run", key_check="passed", reason=reason, **common
        )
        result = HandoffResult(
            card=card, postman_check="not run", live=live, report_path=path, reason=reason
        )
    write_report(rb, path)
    return result
