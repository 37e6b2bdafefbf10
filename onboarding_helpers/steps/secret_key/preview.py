"""Step 03 in a change plan: the pair step 02 leaves, checked as Postman signs in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...validation import validate_flag
from .pair import saved_key_type, verify_pair
from .step import _saved_pair

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """No change in Twilio: the step checks the pair with one request signed with it. A pair
    step 02 of this plan decides about is not checked again here; without 02 the saved pair is
    checked now (a refusal is where the run would stop), and with none the step's own refusal
    stands."""
    rb = survey.rb
    copy = validate_flag(values.get("copy_to_keyring", False), "copy_to_keyring")
    if copy:
        survey.notes.append(
            "Step 03 also keeps a copy of the API secret in the OS keyring (not in Twilio)."
        )
    planned = survey.planned.key_sid
    if planned == "":
        survey.add("none", "api_key", "the new key", why="checks the pair step 02 saves")
        return
    if planned is None:  # step 02 is not in this run: the env file's pair, as the step finds it
        key_sid, secret = _saved_pair(rb)
        verify_pair(
            rb, survey.account_sid, key_sid, secret, survey.step.id, saved_key_type(rb, key_sid)
        )
        planned = key_sid
    survey.add(
        "none", "api_key", planned, why="checks the saved pair (Twilio accepts it)", sid=planned
    )
