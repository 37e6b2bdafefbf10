"""Step 01 in a change plan: the account and its balance, read as the step reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...balance import balance_notes, low_balance_threshold
from .step import why_unusable

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """Reuse of the account (the runbook never creates one), and the step's own refusal when
    Postman could not send from it (not active, a Trial account): there the run would stop. A
    balance below ``low_balance`` is noted as step 01 warns of it."""
    threshold = low_balance_threshold(values.get("low_balance"))
    account = survey.account()
    balance = survey.balance()
    survey.planned.agency = account.friendly_name
    survey.add(
        "reuse",
        "account",
        account.friendly_name or account.account_sid,
        why=f"{account.type} account, {account.status}; balance {balance.shown()}",
        sid=account.account_sid,
    )
    refusal = why_unusable(account)
    if refusal is not None:
        raise refusal
    if balance.known:
        amount = Decimal(balance.amount)
        judged = replace(balance, threshold=threshold, low=amount <= 0 or amount < threshold)
        survey.notes.extend(balance_notes(judged)[1])
