"""The account's prepaid balance: read it, say roughly how many Singapore SMS it pays for, and warn
when it is low.

Twilio accounts are prepaid: each message is paid from the balance, and a Postman campaign stops
when the balance runs out (at zero Twilio suspends the account). Step 01 reads the balance with
one extra request (``GET /2010-04-01/Accounts/{AccountSid}/Balance.json``, through the official
SDK) and records it; a failure to read it never fails the step, it only says where the console
shows it. Recharging is set in the console (Billing): Twilio's Usage Triggers API can only call a
webhook, so the runbook points there rather than creating one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .errors import InputError, TwilioActionError
from .twilio_gateway import call

if TYPE_CHECKING:
    from twilio.rest import Client

# The price of one SMS segment to Singapore that the Postman v2 guide quotes (March 2024). Twilio
# changes prices: the estimate below is a rough guide, not a quote.
SG_SEGMENT_PRICE = Decimal("0.0415")
SG_PRICE_CURRENCY = "USD"
SG_PRICE_SOURCE = "the Postman v2 guide's figure of March 2024"
DEFAULT_LOW_BALANCE = Decimal(20)
LOW_BALANCE_FIELD = "low_balance"

WHERE_TO_SEE = "the Twilio console's dashboard, or Billing > Billing Overview"
RECHARGE_ADVICE = (
    "To keep campaigns from stopping, set up auto-recharge in the console (Billing > Billing"
    " Overview > auto recharge: 'When Balance Falls Below' and 'Recharge Balance To') and a"
    " balance notification (the Balance Notifications tab) that emails you first. These live in"
    " the console only: Twilio's Usage Triggers API calls a webhook and recharges nothing."
)


@dataclass(frozen=True)
class AccountBalance:
    """What step 01 learnt of the balance. ``amount`` is Twilio's own text (e.g. "49.96"), empty
    when it could not be read (``problem`` says why); ``sg_segments`` is None when no estimate
    can be made (not USD, or not read)."""

    amount: str
    currency: str
    threshold: Decimal
    low: bool | None = None
    sg_segments: int | None = None
    problem: str = ""

    @property
    def known(self) -> bool:
        return bool(self.amount)

    def shown(self) -> str:
        """ "USD 49.96", or that it is unknown."""
        return f"{self.currency} {self.amount}".strip() if self.known else "could not be read"


def low_balance_threshold(value: object) -> Decimal:
    """The ``low_balance`` parameter as a number of the account's currency units, 0 or more.

    Empty means the default (20). Refuses (naming the field) anything else that is not a plain
    finite number, and a negative one.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_LOW_BALANCE
    fix = (
        "Give the balance, in your account's currency, below which the runbook warns you: a plain"
        f" number such as {DEFAULT_LOW_BALANCE} (0 warns only when the balance is used up)."
    )
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InputError(LOW_BALANCE_FIELD, f"{value!r} is not a number.", fix)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(LOW_BALANCE_FIELD, f"{value!r} is not a number.", fix) from None
    if not number.is_finite():
        raise InputError(LOW_BALANCE_FIELD, f"{value!r} is not a finite number.", fix)
    if number < 0:
        raise InputError(LOW_BALANCE_FIELD, f"{value!r} is below zero.", fix)
    return number


def sg_segments(amount: Decimal, currency: str) -> int | None:
    """Roughly how many Singapore SMS segments ``amount`` pays for at the quoted price; None when
    the currency is not the quote's (no exchange rate is guessed)."""
    if currency.upper() != SG_PRICE_CURRENCY:
        return None
    return max(0, math.floor(amount / SG_SEGMENT_PRICE))


def fetch_balance(client: Client, account_sid: str, threshold: Decimal) -> AccountBalance:
    """The account's balance, read with one request. Never raises for Twilio or the network: a
    refusal (403, 404), a lost connection or an answer without a balance comes back with
    ``problem`` set, so the step that asked goes on."""
    try:
        answer = call(
            "read the account balance", client.api.v2010.accounts(account_sid).balance.fetch
        )
    except TwilioActionError as err:
        return AccountBalance("", "", threshold, problem=err.message)
    text, currency = (answer.balance or "").strip(), (answer.currency or "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        # A subaccount has no balance of its own (its parent pays): Twilio states none.
        return AccountBalance(
            "", currency, threshold, problem="Twilio's answer did not state a balance."
        )
    return AccountBalance(
        amount=text,
        currency=currency,
        threshold=threshold,
        low=amount <= 0 or amount < threshold,
        sg_segments=sg_segments(amount, currency),
    )


def balance_notes(balance: AccountBalance) -> tuple[list[str], list[str]]:
    """(notes, warnings) about the balance for a result panel, in the officer's words."""
    if not balance.known:
        reason = f" ({balance.problem.rstrip('.')})" if balance.problem else ""
        return [
            f"The balance could not be read{reason}. It is shown on {WHERE_TO_SEE}. The account"
            " check itself passed.",
            RECHARGE_ADVICE,
        ], []
    notes = [_estimate(balance)]
    warnings = []
    if balance.low:
        used_up = Decimal(balance.amount) <= 0
        warnings.append(
            (
                f"The balance is used up ({balance.shown()}): Twilio suspends an account at zero,"
                " and no message goes out until funds are added."
                if used_up
                else f"The balance ({balance.shown()}) is below {balance.threshold}"
                f" {balance.currency}, the low_balance you set: a campaign stops when it runs"
                " out."
            )
            + " Add funds in Billing > Billing Overview > Add Funds."
        )
    notes.append(RECHARGE_ADVICE)
    return notes, warnings


def _estimate(balance: AccountBalance) -> str:
    if balance.sg_segments is None:
        return (
            f"The balance is {balance.shown()}. The runbook cannot estimate how many SMS that"
            f" pays for: the only price it knows is in {SG_PRICE_CURRENCY}"
            f" ({SG_SEGMENT_PRICE} per Singapore segment) and it does not guess exchange rates."
        )
    return (
        f"The balance is {balance.shown()}: roughly {balance.sg_segments:,} SMS segments to"
        f" Singapore numbers at {SG_PRICE_CURRENCY} {SG_SEGMENT_PRICE} per segment of up to 160"
        f" plain characters ({SG_PRICE_SOURCE}; Twilio's prices change, so treat it as a rough"
        " guide)."
    )
