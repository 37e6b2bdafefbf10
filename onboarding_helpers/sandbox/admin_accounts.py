"""The admin operations on practice accounts, shared by the admin API (admin_api.py) and the
console (console.py): create and change accounts, and what trainers may look at. (The Twilio
Accounts resource, what a trainee's credentials see, is ``resources/accounts.py``.)

Every function works on one sqlite3 connection inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from . import _db, delivery, history
from .resources import balance
from .resources.messages import message_state
from .resources.service_numbers import service_number_rows
from .wire import MAX_FRIENDLY_NAME, iso8601

ACCOUNT_TYPES = ("Full", "Trial")
ACCOUNT_STATUSES = ("active", "suspended", "closed")


class AdminError(Exception):
    """An admin request refused: ``status`` is the HTTP status, ``message`` says what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _split_ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def account_settings(row: sqlite3.Row) -> dict[str, Any]:
    """An account as trainers see it: settings included, auth token left out."""
    return {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "type": row["type"],
        "status": row["status"],
        "protected_sender_ids": _db.loads_list(row["protected_sender_ids"]),
        "filtered_sender_ids": _db.loads_list(row["filtered_sender_ids"]),
        "message_step_seconds": row["message_step_seconds"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
    }


def _account_values(form: dict[str, str]) -> dict[str, Any]:
    allowed = {
        "friendly_name",
        "type",
        "status",
        "protected_sender_ids",
        "filtered_sender_ids",
        "message_step_seconds",
    }
    unknown = set(form) - allowed
    if unknown:
        raise AdminError(400, f"Unknown account settings: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    if "friendly_name" in form:
        values["friendly_name"] = form["friendly_name"][:MAX_FRIENDLY_NAME]
    if "type" in form:
        if form["type"] not in ACCOUNT_TYPES:
            raise AdminError(400, "type must be Full or Trial")
        values["type"] = form["type"]
    if "status" in form:
        if form["status"] not in ACCOUNT_STATUSES:
            raise AdminError(400, "status must be active, suspended or closed")
        values["status"] = form["status"]
    for name in ("protected_sender_ids", "filtered_sender_ids"):
        if name in form:
            values[name] = json.dumps(_split_ids(form[name]))
    if "message_step_seconds" in form:
        try:
            step = float(form["message_step_seconds"])
        except ValueError:
            step = -1.0
        if not 0 <= step <= 86400:
            raise AdminError(400, "message_step_seconds must be a number from 0 to 86400")
        values["message_step_seconds"] = step
    return values


def _split_balance(form: dict[str, str]) -> tuple[dict[str, str], Decimal | None]:
    """The ``balance`` setting (USD, the prepaid balance; a trainer stages a low one) apart from
    the account's other settings."""
    rest = dict(form)
    raw = rest.pop("balance", None)
    if raw is None:
        return rest, None
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or not -1000 <= amount <= 1_000_000:
        raise AdminError(400, "balance must be a number of USD from -1000 to 1000000, e.g. 4.20")
    return rest, amount


def _split_scenario(form: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The ``scenario`` setting (the training scenario the account was made for, shown on the
    trainer's board; empty clears it) apart from the account's other settings."""
    rest = dict(form)
    raw = rest.pop("scenario", None)
    if raw is None:
        return rest, None
    name = raw.strip()
    if len(name) > 64 or not all(c.isalnum() or c in "-_ " for c in name):
        raise AdminError(400, "scenario must be a scenario's name: letters, digits, - or _")
    return rest, name


def _split_history(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any] | None]:
    """The ``message_history`` setting (``history.py``: messages a campaign sent over the past
    days) apart from the account's other settings."""
    rest = dict(form)
    raw = rest.pop("message_history", None)
    if raw is None:
        return rest, None
    try:
        return rest, history.parse(raw)
    except history.HistoryError as err:
        raise AdminError(400, str(err)) from None


def save_scenario(conn: sqlite3.Connection, sid: str, name: str | None) -> None:
    if name is None:
        return
    conn.execute("DELETE FROM account_scenarios WHERE account_sid = ?", (sid,))
    if name:
        conn.execute(
            "INSERT INTO account_scenarios (account_sid, scenario) VALUES (?, ?)", (sid, name)
        )


def scenario_of(conn: sqlite3.Connection, sid: str) -> str:
    row = conn.execute(
        "SELECT scenario FROM account_scenarios WHERE account_sid = ?", (sid,)
    ).fetchone()
    return str(row["scenario"]) if row else ""


def _split_delivery(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The alpha sender and delivery settings (``delivery.SETTING_DEFAULTS``) apart from the
    account's other settings."""
    try:
        return delivery.split_settings(form)
    except ValueError as err:
        raise AdminError(400, str(err)) from None


def admin_create_account(conn: sqlite3.Connection, form: dict[str, str]) -> dict[str, str]:
    form, funds = _split_balance(form)
    form, chosen = _split_delivery(form)
    form, scenario = _split_scenario(form)
    values = {
        "friendly_name": "Sandbox agency",
        "type": "Full",
        "status": "active",
        "protected_sender_ids": json.dumps(_db.DEFAULT_PROTECTED_SENDER_IDS),
        "filtered_sender_ids": "[]",
        "message_step_seconds": _db.DEFAULT_MESSAGE_STEP_SECONDS,
    }
    values.update(_account_values(form))
    sid, token, ts = _db.new_sid("AC"), _db.new_auth_token(), _db.now()
    conn.execute(
        "INSERT INTO accounts (sid, auth_token, friendly_name, type, status, protected_sender_ids,"
        " filtered_sender_ids, message_step_seconds, date_created, date_updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sid,
            token,
            values["friendly_name"],
            values["type"],
            values["status"],
            values["protected_sender_ids"],
            values["filtered_sender_ids"],
            values["message_step_seconds"],
            ts,
            ts,
        ),
    )
    balance.set_balance(conn, sid, balance.DEFAULT_BALANCE if funds is None else funds)
    delivery.save_settings(conn, sid, chosen)
    save_scenario(conn, sid, scenario)
    return {"account_sid": sid, "auth_token": token}


def _account_row(conn: sqlite3.Connection, sid: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM accounts WHERE sid = ?", (sid,)).fetchone()
    if row is None:
        raise AdminError(404, f"No sandbox account {sid}")
    return row


def admin_update_account(
    conn: sqlite3.Connection, sid: str, form: dict[str, str]
) -> dict[str, Any]:
    _account_row(conn, sid)
    form, funds = _split_balance(form)
    form, chosen = _split_delivery(form)
    form, scenario = _split_scenario(form)
    form, past = _split_history(form)
    values = _account_values(form)
    save_scenario(conn, sid, scenario)
    seeded = {}
    if past is not None:
        try:
            seeded = {"messages_added": history.seed(conn, sid, past)}
        except history.HistoryError as err:
            raise AdminError(400, str(err)) from None
    if funds is not None:
        balance.set_balance(conn, sid, funds)
    delivery.save_settings(conn, sid, chosen)
    if values:
        assignments = ", ".join(f"{name} = ?" for name in values)
        conn.execute(
            f"UPDATE accounts SET {assignments}, date_updated = ? WHERE sid = ?",
            (*values.values(), _db.now(), sid),
        )
    return {
        **account_settings(_account_row(conn, sid)),
        **balance.balance_view(conn, sid),
        **delivery.settings(conn, sid),
        "scenario": scenario_of(conn, sid),
        **seeded,
    }


def _service_view(conn: sqlite3.Connection, svc: sqlite3.Row) -> dict[str, Any]:
    """A Messaging Service and its sender pool, as the snapshot shows it."""
    alphas = conn.execute(
        "SELECT * FROM alpha_senders WHERE service_sid = ? ORDER BY rowid", (svc["sid"],)
    ).fetchall()
    numbers = service_number_rows(conn, svc["sid"])
    return {
        "sid": svc["sid"],
        "friendly_name": svc["friendly_name"],
        "usecase": svc["usecase"],
        "date_created": iso8601(svc["date_created"]),
        "alpha_senders": [{"sid": a["sid"], "alpha_sender": a["alpha_sender"]} for a in alphas],
        "phone_numbers": [{"sid": n["sid"], "phone_number": n["phone_number"]} for n in numbers],
    }


def _message_view(msg: sqlite3.Row, at: float) -> dict[str, Any]:
    """A message where it is at time ``at``, as the snapshot shows it."""
    state = message_state(msg, at)
    return {
        "sid": msg["sid"],
        "messaging_service_sid": msg["service_sid"],
        "to": msg["to_number"],
        "from": state["from"],
        "body": msg["body"],
        "status": state["status"],
        "error_code": state["error_code"],
        "date_created": iso8601(msg["date_created"]),
    }


def admin_snapshot(conn: sqlite3.Connection, sid: str) -> dict[str, Any]:
    """Everything a trainer may look at for one account; no auth token, no key secret (hash)."""
    account = _account_row(conn, sid)
    keys = conn.execute(
        "SELECT sid, friendly_name, key_type, date_created FROM api_keys WHERE account_sid = ?"
        " ORDER BY date_created, rowid",
        (sid,),
    ).fetchall()
    services = conn.execute(
        "SELECT * FROM services WHERE account_sid = ? ORDER BY date_created, rowid", (sid,)
    ).fetchall()
    incoming = conn.execute(
        "SELECT sid, phone_number, friendly_name FROM incoming_numbers WHERE account_sid = ?"
        " ORDER BY date_created, rowid",
        (sid,),
    ).fetchall()
    messages = conn.execute(
        "SELECT * FROM messages WHERE account_sid = ? ORDER BY date_created, rowid", (sid,)
    ).fetchall()
    at = _db.now()
    return {
        "account": {
            **account_settings(account),
            **balance.balance_view(conn, sid),
            **delivery.settings(conn, sid),
            "scenario": scenario_of(conn, sid),
        },
        "keys": [
            {
                "sid": k["sid"],
                "friendly_name": k["friendly_name"],
                "key_type": k["key_type"],
                "date_created": iso8601(k["date_created"]),
            }
            for k in keys
        ],
        "services": [_service_view(conn, svc) for svc in services],
        "incoming_phone_numbers": [dict(r) for r in incoming],
        "messages": [_message_view(msg, at) for msg in messages],
    }


def admin_requests(conn: sqlite3.Connection, account_sid: str | None) -> list[dict[str, Any]]:
    if account_sid:
        rows = conn.execute(
            "SELECT * FROM request_log WHERE account_sid = ? ORDER BY id", (account_sid,)
        ).fetchall()
    else:
        rows = conn.execute("SELECT * FROM request_log ORDER BY id").fetchall()
    result = []
    for row in rows:
        item = dict(row)
        item["form"] = json.loads(item["form"])
        result.append(item)
    return result
