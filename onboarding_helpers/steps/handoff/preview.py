"""Step 06 in a change plan: Postman's check SMS (billed), or the key check at no cost, or the
check that passed before with these same values, which stands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...messages import check_wait_seconds
from ...phone import US_CONFIRMATION, parse_phone
from ...validation import validate_flag
from ...which_postman import postman_in_use
from ..registry import HANDOFF as STEP
from .auth_token import FORGET_FLAG
from .postman import POSTMAN_BODY, postman_values
from .step import _label, passed_before

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """What step 06 would do, its inputs checked as the step checks them. The four values are
    the ones the steps before would leave in the env file (a key or service made in this run
    has passed no check yet)."""
    from ...change_plan.survey import message_billed

    rb = survey.rb
    check_wait_seconds(values.get("wait_seconds", 60.0))
    resend = validate_flag(values.get("resend", False), "resend")
    validate_flag(values.get("us_sender_registered", False), US_CONFIRMATION)
    forget = validate_flag(values.get(FORGET_FLAG, False), FORGET_FLAG)
    _label(rb, postman_in_use(rb.progress), values.get("credential_label", ""))
    if survey.planned.key_sid is None and survey.planned.service_sid is None:
        postman_values(rb)  # neither is decided in this run: the env file's, or the refusal
    key_sid, service_sid = survey.key_sid(), survey.service_sid()
    if forget:
        survey.notes.append(
            "Step 06 removes the Auth Token from the env file at the end (forget_auth_token):"
            " not a Twilio change."
        )
    given = values.get("test_phone")
    if not str(given if given is not None else "").strip():
        why = "test_phone is empty: the key fetches the service instead, at no cost"
        survey.add("none", "api_key", key_sid or "the new key", why=why, sid=key_sid)
        return
    phone = parse_phone(given)
    what = f"Postman check SMS to {phone.masked}"
    earlier = rb.progress.read(STEP)
    if (
        key_sid
        and service_sid
        and not resend
        and passed_before(earlier, phone, key_sid, service_sid)
    ):
        why = f"these values passed at {earlier.at}; resend True checks again"
        survey.add("reuse", "message", what, why=why, sid=earlier.postman_message_sid)
        return
    why = "Postman's own call: the API key, From = the Messaging Service SID"
    survey.add("send", "message", what, billed=message_billed(phone, POSTMAN_BODY), why=why)
