"""The Messages resource (2010-04-01): send a message, list and fetch them.

Sending checks, in this order: the recipient (``To``), where it is sent from (a Messaging Service
or one of the account's numbers), the body, the account type, the service's sender pool, the
destination (``delivery.check_destination``), then picks the sender for the destination's
country. The message's outcome is fixed at creation (``delivery.route``); its status then moves
one step per the account's ``message_step_seconds`` and is computed whenever it is read
(``message_state``).

The list reads newest first, page by page as Twilio pages it: ``PageSize`` up to 1000 and a
``next_page_uri`` that carries a ``PageToken`` (the last message of the page), so messages sent
while a client reads do not shift its pages. Filters: ``To``, ``From`` and the message's
``date_sent``: ``DateSent`` (that day, or that second), ``DateSent>`` (on or after) and
``DateSent<`` (on or before), each a GMT date ``YYYY-MM-DD`` (the whole day) or date-time. A
message has a ``date_sent`` once Twilio sent it to the carrier or failed it; one still queued has
none, and no date filter matches it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from onboarding_helpers.sandbox import _db, delivery, pricing
from onboarding_helpers.sandbox.resources import balance
from onboarding_helpers.sandbox.resources.alpha_senders import service_alpha_sender
from onboarding_helpers.sandbox.resources.base import ACCOUNT_PATH, Ctx, owned_row, route
from onboarding_helpers.sandbox.resources.service_numbers import sender_pool
from onboarding_helpers.sandbox.wire import (
    E164_RE,
    V2010,
    ApiError,
    Response,
    page_params,
    rfc2822,
    v2010_keyset_page,
)

MAX_BODY = 1600


# ---------------------------------------------------------------- a message's life and JSON


def message_state(row: sqlite3.Row, at: float) -> dict[str, Any]:
    """Where a message is in its life at time ``at``: status advances one step per interval."""
    timeline = delivery.timeline(bool(row["service_sid"]), row["outcome"])
    step = row["step_seconds"]
    elapsed = max(0.0, at - row["date_created"])
    index = len(timeline) - 1 if step <= 0 else min(int(elapsed / step), len(timeline) - 1)
    status = timeline[index]
    changed = row["date_created"] + index * max(step, 0)
    sent_at = None
    if "sent" in timeline and timeline.index("sent") <= index:
        sent_at = row["date_created"] + timeline.index("sent") * max(step, 0)
    elif status == "failed":  # Twilio dates a message it failed when it failed it
        sent_at = changed
    error = delivery.error_for(row["outcome"], status)
    priced = status in delivery.PRICED_STATUSES
    return {
        "status": status,
        # The sender is chosen when the service queues the message; "accepted" has none yet.
        "from": None if status == "accepted" else row["sender"],
        "date_updated": changed,
        "date_sent": sent_at,
        "error_code": error[0] if error else None,
        "error_message": error[1] if error else None,
        "price": pricing.price(row["to_number"], row["num_segments"]) if priced else None,
    }


def message_json(
    row: sqlite3.Row, at: float | None = None, state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A message as Twilio shows it at time ``at`` (``state``: its ``message_state`` then)."""
    state = state or message_state(row, _db.now() if at is None else at)
    base = f"{V2010}/Accounts/{row['account_sid']}/Messages/{row['sid']}"
    return {
        "account_sid": row["account_sid"],
        "api_version": "2010-04-01",
        "body": row["body"],
        "date_created": rfc2822(row["date_created"]),
        "date_sent": rfc2822(state["date_sent"]),
        "date_updated": rfc2822(state["date_updated"]),
        "direction": "outbound-api",
        "error_code": state["error_code"],
        "error_message": state["error_message"],
        "from": state["from"],
        "messaging_service_sid": row["service_sid"],
        "num_media": "0",
        "num_segments": str(row["num_segments"]),
        "price": state["price"],
        "price_unit": pricing.PRICE_UNIT,
        "sid": row["sid"],
        "status": state["status"],
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": row["to_number"],
        "uri": f"{base}.json",
    }


# ---------------------------------------------------------------- sending


def _recipient(form: dict[str, str]) -> str:
    to = form.get("To", "")
    if not to:
        raise ApiError(400, 21604, "A 'To' phone number is required.")
    if not E164_RE.match(to):
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    return to


def _origin(ctx: Ctx) -> tuple[str | None, str | None]:
    """``(service SID, None)`` when sent through a Messaging Service (``MessagingServiceSid``, or a
    service SID in ``From``), else ``(None, number)`` for one of the account's own numbers."""
    sender_from = ctx.form.get("From", "")
    mg = ctx.form.get("MessagingServiceSid") or (
        sender_from if sender_from.startswith("MG") else ""
    )
    if mg:
        service = ctx.conn.execute(
            "SELECT * FROM services WHERE sid = ? AND account_sid = ?", (mg, ctx.account_sid)
        ).fetchone()
        if service is None:
            raise ApiError(400, 21701, f"The Messaging Service Sid {mg} is invalid.")
        return str(service["sid"]), None
    if not sender_from:
        raise ApiError(
            400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send"
        )
    number = ctx.conn.execute(
        "SELECT phone_number FROM incoming_numbers WHERE phone_number = ? AND account_sid = ?",
        (sender_from, ctx.account_sid),
    ).fetchone()
    if number is None:
        raise ApiError(
            400,
            21606,
            f"The From phone number {sender_from} is not a valid, SMS-capable inbound phone"
            " number or short code for your account.",
        )
    return None, number[0]


def _message_body(form: dict[str, str]) -> str:
    body = form.get("Body", "")
    if not body:
        raise ApiError(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise ApiError(400, 21617, "The concatenated message body exceeds the 1600 character limit")
    return body


def _refuse_trial(to: str) -> ApiError:
    # Trial accounts may text verified numbers only; the sandbox has none, so it refuses.
    return ApiError(
        400,
        21608,
        f"The number {to} is unverified. Trial accounts cannot send messages to unverified"
        " numbers; verify it or purchase a Twilio number to send to it.",
    )


def _service_senders(conn: sqlite3.Connection, service_sid: str) -> tuple[str | None, list[str]]:
    """The service's Sender ID (or None) and pool numbers; 21703 when it has neither."""
    alpha = service_alpha_sender(conn, service_sid)
    pool = sender_pool(conn, service_sid)
    if alpha is None and not pool:
        raise ApiError(
            400,
            21703,
            "The Messaging Service does not have a phone number or sender available"
            " to send this message",
        )
    return alpha, pool


def _record(
    ctx: Ctx, service_sid: str | None, sender: str, to: str, body: str, outcome: str
) -> sqlite3.Row:
    sid, ts = _db.new_sid("SM"), _db.now()
    ctx.conn.execute(
        "INSERT INTO messages (sid, account_sid, service_sid, sender, to_number, body,"
        " num_segments, outcome, step_seconds, date_created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sid,
            ctx.account_sid,
            service_sid,
            sender,
            to,
            body,
            pricing.segments(body),
            outcome,
            ctx.account["message_step_seconds"],
            ts,
        ),
    )
    return ctx.conn.execute("SELECT * FROM messages WHERE sid = ?", (sid,)).fetchone()


def _created_answer(row: sqlite3.Row) -> dict[str, Any]:
    # Freeze the answer at creation time: a zero step would otherwise report "delivered" at once.
    answer = message_json(row, at=row["date_created"])
    if row["step_seconds"] <= 0:
        via_service = row["service_sid"] is not None
        answer.update(status="accepted" if via_service else "queued", error_code=None)
        answer.update(error_message=None, price=None, date_sent=None)
        answer["from"] = None if via_service else row["sender"]
    return answer


def _unless_opted_out(ctx: Ctx, sender: str, to: str, outcome: str) -> str:
    """A recipient who replied STOP to this sender: a service's message is accepted and then
    fails with 21610; a number's is refused at once (Twilio's documented difference)."""
    if not delivery.opted_out(ctx.conn, ctx.account_sid, sender, to):
        return outcome
    if sender.startswith("MG"):
        return delivery.OPTED_OUT
    raise ApiError(400, 21610, "Attempt to send to unsubscribed recipient")


def _create(ctx: Ctx) -> Response:
    to = _recipient(ctx.form)
    service_sid, own_number = _origin(ctx)
    body = _message_body(ctx.form)
    if ctx.account["type"] == "Trial":
        raise _refuse_trial(to)
    alpha, pool = _service_senders(ctx.conn, service_sid) if service_sid else (None, [])
    delivery.check_destination(to)
    # Per destination country: the Sender ID where it is taken, else a number (delivery.route).
    sender, outcome = delivery.route(ctx.conn, ctx.account, to, own_number, alpha, pool)
    outcome = _unless_opted_out(ctx, service_sid or own_number or "", to, outcome)
    outcome = balance.settle(ctx, to, body, outcome)  # paid from the prepaid balance
    row = _record(ctx, service_sid, sender, to, body, outcome)
    return Response(201, _created_answer(row))


# ---------------------------------------------------------------- reading

_DAY = 86400


def _when(name: str, value: str) -> tuple[int, bool]:
    """A ``DateSent`` filter's value in whole seconds, and whether it names a whole GMT day."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            return int(day.timestamp()), True
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, 20001, f"Invalid value for {name}: {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp()), False


def sent_window(query: Mapping[str, str]) -> tuple[int | None, int | None]:
    """The first and last second of ``date_sent`` a list's filters allow (None: unbounded)."""
    low: int | None = None
    high: int | None = None
    for name, value in query.items():
        if name not in ("DateSent", "DateSent>", "DateSent<") or not value:
            continue
        second, whole_day = _when(name, value)
        last = second + _DAY - 1 if whole_day else second
        if name in ("DateSent", "DateSent>"):
            low = second if low is None else max(low, second)
        if name in ("DateSent", "DateSent<"):
            high = last if high is None else min(high, last)
    return low, high


_STEPS = 5  # the most status steps between a message's creation and its date_sent


def sent_messages(
    conn: sqlite3.Connection,
    account_sid: str,
    at: float,
    *,
    low: int | None = None,
    high: int | None = None,
    where: Mapping[str, str] | None = None,
    after: sqlite3.Row | None = None,
) -> Iterator[tuple[sqlite3.Row, dict[str, Any]]]:
    """The account's messages newest first with their state at ``at``: those sent from second
    ``low`` to ``high`` when either is given (a message not sent yet has no date and is left
    out), ``where`` a column's value (``to_number``, ``sender``, ``service_sid``), after
    ``after`` (a page token's message). SQL narrows by ``date_created``: a message is sent after
    it is created, and at most ``_STEPS`` status steps later."""
    sql = "SELECT * FROM messages WHERE account_sid = ?"
    args: list[Any] = [account_sid]
    for column, value in (where or {}).items():
        if column in ("to_number", "sender", "service_sid"):
            sql += f" AND {column} = ?"
            args.append(value)
    if high is not None:
        sql += " AND date_created < ?"
        args.append(high + 1)
    if low is not None:
        sql += f" AND date_created + {_STEPS} * step_seconds >= ?"
        args.append(low)
    if after is not None:
        sql += " AND (date_created < ? OR (date_created = ? AND rowid < ?))"
        args += [after["date_created"], after["date_created"], after["rowid"]]
    for row in conn.execute(sql + " ORDER BY date_created DESC, rowid DESC", args):
        state = message_state(row, at)
        sent = state["date_sent"]
        if low is not None or high is not None:
            if sent is None or (low is not None and sent < low):
                continue
            if high is not None and int(sent) > high:
                continue
        yield row, state


def _page_start(ctx: Ctx) -> sqlite3.Row | None:
    """The message a ``PageToken`` names (the last one of the previous page), or None."""
    token = ctx.req.query.get("PageToken", "")
    if not token:
        return None
    row = ctx.conn.execute(
        "SELECT rowid, * FROM messages WHERE sid = ? AND account_sid = ?",
        (token[2:], ctx.account_sid),
    ).fetchone()
    if not token.startswith("PA") or row is None:
        raise ApiError(400, 20001, "Invalid PageToken")
    return row


def _list(ctx: Ctx) -> Response:
    page_size, page = page_params(ctx.req.query)
    low, high = sent_window(ctx.req.query)
    after = _page_start(ctx)
    query = ctx.req.query
    where = {c: query[n] for n, c in (("To", "to_number"), ("From", "sender")) if query.get(n)}
    # No token but a page number: count whole pages from the newest message.
    skip = page * page_size if after is None else 0
    at, chunk, more = _db.now(), [], False
    found = sent_messages(
        ctx.conn, ctx.account_sid, at, low=low, high=high, where=where, after=after
    )
    for row, state in found:
        if skip:
            skip -= 1
            continue
        if len(chunk) == page_size:
            more = True
            break
        chunk.append(message_json(row, at, state))
    token = f"PA{chunk[-1]['sid']}" if more else None
    body = v2010_keyset_page(ctx.req, "messages", chunk, page_size, page, token)
    return Response(200, body)


def _fetch(ctx: Ctx, sm: str) -> Response:
    return Response(200, message_json(owned_row(ctx, "messages", sm)))


ROUTES = [
    route(rf"{ACCOUNT_PATH}/Messages\.json", {"GET": _list, "POST": _create}),
    route(rf"{ACCOUNT_PATH}/Messages/(?P<sm>[^/]+)\.json", {"GET": _fetch}),
]
