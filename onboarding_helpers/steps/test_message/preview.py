"""Step 05 in a change plan: one billed test SMS, or none (no phone, or one already delivered)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...messages import check_wait_seconds, delivered_earlier, saved_service_sid
from ...phone import US_CONFIRMATION, parse_phone
from ...validation import validate_flag
from ..registry import TEST_MESSAGE as STEP
from .step import TEST_BODY

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """What step 05 would send, its inputs checked as the step checks them: nothing headless
    without ``test_phone``; nothing when a message through this service to this phone was
    delivered before (unless ``resend``); else one SMS, billed in live mode."""
    from ...change_plan.survey import message_billed

    check_wait_seconds(values.get("wait_seconds", 60.0))
    resend = validate_flag(values.get("resend", False), "resend")
    validate_flag(values.get("us_sender_registered", False), US_CONFIRMATION)
    given = values.get("test_phone")
    if not str(given if given is not None else "").strip():
        survey.add("none", "message", "no test SMS", why="test_phone is empty: nothing is sent")
        return
    phone = parse_phone(given)
    service_sid = survey.service_sid()
    if survey.planned.service_sid is None:
        service_sid = saved_service_sid(survey.rb)  # without step 04 in the run: its refusal
    what = f"test SMS to {phone.masked}"
    earlier = survey.rb.progress.read(STEP)
    if service_sid and not resend and delivered_earlier(earlier, phone, service_sid):
        why = f"delivered at {earlier.at} through this service; resend True sends another"
        survey.add("reuse", "message", what, why=why, sid=earlier.message_sid)
        return
    survey.add("send", "message", what, billed=message_billed(phone, TEST_BODY), why=_why(phone))
    if not phone.is_singapore:
        survey.unchecked.append(
            f"Whether the service reaches {phone.country} is checked when step 05 runs (it"
            " refuses before sending if not); the runbook knows no price there."
        )


def _why(phone: Any) -> str:
    return "the console's way (Messaging Service SID), followed to its final status" + (
        "" if phone.is_singapore else f"; to {phone.country}"
    )
