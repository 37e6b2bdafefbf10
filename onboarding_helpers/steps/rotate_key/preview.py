"""Step 07 in a change plan: phase one makes a new key (and one check SMS with a phone), phase
two revokes the old key; where the rotation stands is read as the step reads it
(``rotation_state``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...errors import StepBlocked
from ...messages import check_wait_seconds
from ..registry import API_KEY
from ..registry import ROTATE_KEY as STEP
from ..secret_key.pair import stored_pair
from .check import ROTATION_BODY
from .phases import old_key_type, refuse_phase_two, rotation_key_name
from .state import CREATING, FINISHED, Rotation, rotation_state
from .step import _inputs, _service_sid

if TYPE_CHECKING:
    from ...change_plan.survey import Survey
    from ...phone import PhoneNumber


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """What step 07 would do, its inputs checked as the step checks them. The new key's name
    holds today's date: a plan applied on another day is refused (plan again)."""
    check_wait_seconds(values.get("wait_seconds", 60.0))
    phone, updated = _inputs(values.get("test_phone", ""), values.get("postman_updated", False))
    rotation = rotation_state(survey.rb)
    if updated:
        _phase_two(survey, rotation)
    else:
        _phase_one(survey, rotation, phone)


def _phase_two(survey: Survey, rotation: Rotation) -> None:
    record = survey.rb.progress.read(STEP)
    if record.phase == FINISHED:
        why = f"this rotation finished at {record.at}: nothing to do"
        survey.add("none", "api_key", record.old_key_sid, why=why, sid=record.old_key_sid)
        return
    refuse_phase_two(rotation)
    why = f"Postman uses the new key {rotation.new_key_sid} (postman_updated True)"
    old = rotation.old_key_sid
    survey.add("revoke", "api_key", old, why=why, sid=old)


def _phase_one(survey: Survey, rotation: Rotation, phone: PhoneNumber | None) -> None:
    rb = survey.rb
    new = not rotation.under_way or rotation.phase == CREATING
    if new:
        old = rotation.old_key_sid if rotation.under_way else (stored_pair(rb)[0] or "")
        if not old:
            raise StepBlocked(
                "The env file holds no API key to rotate.",
                advice=f"Run {API_KEY.id} first: it makes the key Postman uses.",
                field="API key SID",
            )
        kind = old_key_type(rb, survey.client(), old)
        why = f"a new {kind} key in place of {old}, which keeps working until phase two"
        survey.add("create", "api_key", rotation_key_name(rb), why=why)
    else:
        why = "made by this rotation's phase one earlier"
        survey.add("reuse", "api_key", rotation.new_key_sid, why=why, sid=rotation.new_key_sid)
    _check(survey, rotation, phone, new)


def _check(survey: Survey, rotation: Rotation, phone: PhoneNumber | None, new: bool) -> None:
    from ...change_plan.survey import message_billed

    record = survey.rb.progress.read(STEP)
    if not new and record.check == "passed" and (phone is None or phone.masked == record.to):
        why = f"the new key passed the check already (message {record.message_sid})"
        survey.add("reuse", "message", f"check SMS to {record.to}", why=why)
        return
    if not _service_sid(survey.rb) or phone is None:
        why = "no Messaging Service saved, or no test_phone: the key is checked without an SMS"
        survey.add("none", "message", "no check SMS", why=why)
        return
    what = f"check SMS with the new key to {phone.masked}"
    why = "Postman's own call with the new key"
    survey.add("send", "message", what, billed=message_billed(phone, ROTATION_BODY), why=why)
