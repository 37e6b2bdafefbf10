"""Step 08 in a change plan: it only reads, so it plans nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...balance import low_balance_threshold
from .step import check_days

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """No change: the health check reads the service, its senders and numbers, the balance and
    the message log with the API key (GET only). Its inputs are refused as the step refuses
    them."""
    days = check_days(values.get("days", 7))
    low_balance_threshold(values.get("low_balance"))
    survey.add(
        "none",
        "account",
        survey.account_sid,
        why=f"reads what Postman holds and {days:g} days of the message log; GET only",
    )
