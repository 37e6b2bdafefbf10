"""Step 00 in a change plan: it makes no Twilio request, so it only says what it records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...which_postman import check_postman

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """What step 00 would do: record the mode and the Postman in use, and (sandbox) keep the
    practice account the env file names; the ``postman`` choice is refused as the step refuses
    it."""
    check_postman(values.get("postman", ""))
    kept = (
        "the practice account the env file names is kept"
        if survey.rb.settings.is_sandbox
        else "records the mode and the Postman in use"
    )
    survey.add("none", "account", survey.account_sid, why=f"{kept}; no Twilio request")
