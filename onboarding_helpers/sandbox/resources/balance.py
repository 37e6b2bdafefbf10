"""The Balance resource (2010-04-01), and what sending costs the account.

Twilio accounts are prepaid: each message is paid from the balance, and ``GET
/Accounts/{AC}/Balance.json`` answers ``{"account_sid", "balance", "currency"}`` (the balance as a
decimal string, as the console's Billing Overview shows it). The sandbox keeps the exact balance
in its own table (an account made before the table existed holds ``DEFAULT_BALANCE``), debits a
message's price (``pricing``: per segment, by destination) when the message is created, and
lets a trainer set the balance (admin setting ``balance``) to stage a low or empty account.

A message the balance cannot cover (the balance is zero or below, or less than the message's
price) is accepted and then fails with error 30002 "Account suspended": Twilio's error page for a
message whose account ran out of funds after it was queued. It is not charged. The sandbox does
not go on to suspend the whole account (Twilio does at $0; the trainer's ``status`` setting
models that), so a trainer can stage the empty balance and the recharge in one exercise.

Standard library only.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from onboarding_helpers.sandbox import delivery, pricing
from onboarding_helpers.sandbox.resources.base import ACCOUNT_PATH, Ctx, route
from onboarding_helpers.sandbox.wire import Response

# A new practice account's prepaid balance: what an agency might top up to start with.
DEFAULT_BALANCE = Decimal("50.00")
CURRENCY = pricing.PRICE_UNIT
# The outcome of a message the balance could not pay for (it ends failed with 30002).
UNFUNDED = delivery.UNFUNDED
_CENTS = Decimal("0.01")


def balance_of(conn: sqlite3.Connection, account_sid: str) -> Decimal:
    """The account's exact balance (USD)."""
    row = conn.execute(
        "SELECT balance FROM balances WHERE account_sid = ?", (account_sid,)
    ).fetchone()
    return DEFAULT_BALANCE if row is None else Decimal(row["balance"])


def set_balance(conn: sqlite3.Connection, account_sid: str, amount: Decimal) -> None:
    conn.execute(
        "INSERT INTO balances (account_sid, balance) VALUES (?, ?)"
        " ON CONFLICT(account_sid) DO UPDATE SET balance = excluded.balance",
        (account_sid, str(amount)),
    )


def shown(amount: Decimal) -> str:
    """The balance as Twilio's Balance resource states it: to the cent, e.g. "49.96"."""
    return str(amount.quantize(_CENTS))


def balance_view(conn: sqlite3.Connection, account_sid: str) -> dict[str, str]:
    """The balance as trainers see it (snapshot, console, account settings)."""
    return {"balance": shown(balance_of(conn, account_sid)), "currency": CURRENCY}


def settle(ctx: Ctx, to: str, body: str, outcome: str) -> str:
    """Pay for a message about to be created; its outcome, ``UNFUNDED`` if it cannot be paid.

    Only a message that reaches the carrier (its statuses include ``sent``) costs anything, as
    only such messages are priced; with nothing left in the balance, none is sent at all.
    """
    funds = balance_of(ctx.conn, ctx.account_sid)
    priced = "sent" in delivery.timeline(False, outcome)
    cost = -Decimal(pricing.price(to, pricing.segments(body))) if priced else Decimal(0)
    if funds <= 0 or funds < cost:
        return UNFUNDED
    if cost:
        set_balance(ctx.conn, ctx.account_sid, funds - cost)
    return outcome


def _fetch(ctx: Ctx) -> Response:
    funds = balance_of(ctx.conn, ctx.account_sid)
    return Response(
        200, {"account_sid": ctx.account_sid, "balance": shown(funds), "currency": CURRENCY}
    )


ROUTES = [route(rf"{ACCOUNT_PATH}/Balance\.json", {"GET": _fetch})]
