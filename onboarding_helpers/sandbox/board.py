"""The trainer's board: how far each practice account of a class got, from the sandbox's own data.

The sandbox cannot see a trainee's notebooks, and need not: what they did in "Twilio" is in its
request log and its resources, as it would be in Twilio's. Each milestone is read from there:

- key: an API key was created (Keys, either API version), or one exists;
- secret verified: a request authenticated with an API key's SID and secret was answered;
- service, alpha sender: the account has a Messaging Service, and one with an alphanumeric sender;
- test SMS: the newest message's status now (``delivered`` counts), its error code if it failed;
- Postman check: a message created with API-key auth and ``From`` a Messaging Service SID
  (``MG...``), exactly how Postman sends;
- rotation: a second key created and a key deleted;
- last error: the newest refused request (4xx/5xx), with Twilio's error code, its words and the
  docs link Twilio gives (``more_info``) as the advice; the sandbox stands alone and does not know
  the runbook's own advice;
- health check: the last time the message log was read with an API key over a ``DateSent``
  window (how step 08 reads it), and what that window holds for the service it read (the
  key-signed service fetch just before): messages, delivered, each error code; or that the key's
  policy refused the log (70051).

The trainee's name is the account's friendly name (set when the account was made for them); the
scenario is the account's ``scenario`` setting. Nothing secret is shown: no token, no key secret,
no phone number (digits in an error's words are masked).

``foreign_requests`` lists requests authenticated as one account that name another's resource
(the cohort benchmark counts them: there must be none). The page: ``templates/board.html``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from . import _db
from .admin_accounts import scenario_of
from .console_page import DOCS, render
from .resources.messages import message_state, sent_messages, sent_window
from .wire import ApiError, iso8601

REFRESH_SECONDS = 5
_SID = re.compile(r"(?<![A-Za-z0-9])(AC|SK|MG|AI|PN|SM)[0-9a-f]{32}(?![A-Za-z0-9])")
_KEY_CREATE = re.compile(r"^(/2010-04-01/Accounts/AC[0-9a-f]{32}/Keys\.json|/v1/Keys)$")
_KEY_DELETE = re.compile(r"^(/2010-04-01/Accounts/AC[0-9a-f]{32}/Keys|/v1/Keys)/SK[0-9a-f]{32}")
_MESSAGE_CREATE = re.compile(r"^/2010-04-01/Accounts/AC[0-9a-f]{32}/Messages\.json$")
_MESSAGE_LIST = _MESSAGE_CREATE  # the same path: GET reads the log, POST sends
_SERVICE_FETCH = re.compile(r"^/v1/Services/(MG[0-9a-f]{32})$")
POLICY_REFUSED = 70051
_PHONE_DIGITS = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d ]{5,}(\d{3})(?![A-Za-z0-9])")
_OWNED = (
    ("api_keys", "sid"),
    ("services", "sid"),
    ("alpha_senders", "sid"),
    ("incoming_numbers", "sid"),
    ("messages", "sid"),
)


@dataclass(frozen=True)
class LastError:
    at: str
    request: str  # "POST /v1/Services": no query, no body
    status: int
    code: int | None
    message: str

    @property
    def link(self) -> str:
        return f"{DOCS}{self.code}" if self.code else ""


@dataclass(frozen=True)
class HealthSeen:
    """A trainee's last health check as Twilio's data shows it: when the log was read, the
    window's messages through the service it read, and each error code (most first)."""

    at: str
    service_sid: str  # "" when no service was read with the key just before
    messages: int = 0
    delivered: int = 0
    by_error: tuple[tuple[int, int], ...] = ()
    refused: bool = False  # the key's policy refused the message log (70051)

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered / self.messages if self.messages else None


@dataclass
class Progress:
    """One practice account on the board."""

    account_sid: str
    trainee: str
    scenario: str
    account_type: str
    status: str
    created: str
    keys_created: int = 0
    key: bool = False
    secret_verified: bool = False
    service: bool = False
    alpha_sender: bool = False
    test_sms: str = ""  # the newest message's status, "" when none was sent
    test_sms_error: int | None = None
    postman_check: bool = False
    keys_deleted: int = 0
    requests: int = 0
    last_seen: str = ""
    last_error: LastError | None = None
    health: HealthSeen | None = None

    @property
    def delivered(self) -> bool:
        return self.test_sms == "delivered"

    @property
    def rotation(self) -> bool:
        return self.keys_created >= 2 and self.keys_deleted >= 1

    def milestones(self) -> dict[str, bool]:
        return {
            "key": self.key,
            "secret verified": self.secret_verified,
            "service": self.service,
            "alpha sender": self.alpha_sender,
            "test SMS delivered": self.delivered,
            "Postman check": self.postman_check,
            "rotation": self.rotation,
        }


@dataclass
class _Log:
    rows: list[sqlite3.Row] = field(default_factory=list)


def mask_digits(text: str) -> str:
    """Phone-number-like digit runs shown by their last three digits only."""
    return _PHONE_DIGITS.sub(lambda m: "•••" + m.group(1), text)


def _sent_like_postman(row: sqlite3.Row) -> bool:
    if row["auth_kind"] != "api_key" or row["method"] != "POST" or row["status"] >= 400:
        return False
    if not _MESSAGE_CREATE.match(row["path"]):
        return False
    sender = str(json.loads(row["form"]).get("From", ""))
    return sender.startswith("MG")


def _apply_log(progress: Progress, rows: list[sqlite3.Row], errors: dict[int, str]) -> None:
    for row in rows:
        progress.requests += 1
        progress.last_seen = row["time"]
        ok = row["status"] < 400
        if ok and row["auth_kind"] == "api_key":
            progress.secret_verified = True
        if ok and row["method"] == "POST" and _KEY_CREATE.match(row["path"]):
            progress.keys_created += 1
        if ok and row["method"] == "DELETE" and _KEY_DELETE.match(row["path"]):
            progress.keys_deleted += 1
        if _sent_like_postman(row):
            progress.postman_check = True
        if not ok:
            progress.last_error = LastError(
                at=row["time"],
                request=f"{row['method']} {row['path']}",
                status=row["status"],
                code=row["error_code"],
                message=mask_digits(errors.get(row["id"], "")),
            )


def _apply_resources(conn: sqlite3.Connection, progress: Progress, at: float) -> None:
    sid = progress.account_sid
    progress.key = progress.keys_created > 0 or _exists(conn, "api_keys", sid)
    progress.service = _exists(conn, "services", sid)
    progress.alpha_sender = _exists(conn, "alpha_senders", sid)
    newest = conn.execute(
        "SELECT * FROM messages WHERE account_sid = ? ORDER BY date_created DESC, rowid DESC"
        " LIMIT 1",
        (sid,),
    ).fetchone()
    if newest is not None:
        state = message_state(newest, at)
        progress.test_sms, progress.test_sms_error = state["status"], state["error_code"]
    # A delivered message earlier on counts even when a later one failed.
    if progress.test_sms != "delivered":
        for message in conn.execute(
            "SELECT * FROM messages WHERE account_sid = ? AND outcome = 'delivered'", (sid,)
        ):
            if message_state(message, at)["status"] == "delivered":
                progress.test_sms, progress.test_sms_error = "delivered", None
                break


def _log_reading(row: sqlite3.Row) -> dict[str, str] | None:
    """The filters of a key-signed first page of the message log over a ``DateSent`` window."""
    if row["auth_kind"] != "api_key" or row["method"] != "GET":
        return None
    if not _MESSAGE_LIST.match(row["path"]):
        return None
    query = dict(parse_qsl(row["query"] or ""))
    if "PageToken" in query or not any(name.startswith("DateSent") for name in query):
        return None
    return query


def _health(
    conn: sqlite3.Connection, account_sid: str, rows: list[sqlite3.Row], at: float
) -> HealthSeen | None:
    """The last reading of the log with an API key, and what its window holds."""
    readings = [(i, q) for i, row in enumerate(rows) if (q := _log_reading(row)) is not None]
    if not readings:
        return None
    index, query = readings[-1]
    reading = rows[index]
    fetched = [_SERVICE_FETCH.match(r["path"]) for r in rows[:index] if r["auth_kind"] == "api_key"]
    service = next((m.group(1) for m in reversed(fetched) if m), "")
    if reading["status"] >= 400:
        return HealthSeen(reading["time"], service, refused=reading["error_code"] == POLICY_REFUSED)
    try:
        low, high = sent_window(query)
    except ApiError:
        return None
    where = {"service_sid": service} if service else None
    errors: Counter[int] = Counter()
    messages = delivered = 0
    for _, state in sent_messages(conn, account_sid, at, low=low, high=high, where=where):
        messages += 1
        delivered += state["status"] == "delivered"
        if state["error_code"]:
            errors[state["error_code"]] += 1
    return HealthSeen(reading["time"], service, messages, delivered, tuple(errors.most_common()))


def _exists(conn: sqlite3.Connection, table: str, sid: str) -> bool:
    query = f"SELECT 1 FROM {table} WHERE account_sid = ? LIMIT 1"  # table: one of ours, fixed
    return conn.execute(query, (sid,)).fetchone() is not None


def cohort_progress(conn: sqlite3.Connection) -> list[Progress]:
    """Every practice account on this sandbox, by trainee name, then newest first."""
    logs: dict[str, _Log] = defaultdict(_Log)
    for row in conn.execute("SELECT * FROM request_log WHERE account_sid IS NOT NULL ORDER BY id"):
        logs[row["account_sid"]].rows.append(row)
    errors = {
        int(r["request_id"]): str(r["message"])
        for r in conn.execute("SELECT request_id, message FROM request_errors")
    }
    at = _db.now()
    board = []
    for account in conn.execute("SELECT * FROM accounts ORDER BY date_created DESC, rowid DESC"):
        progress = Progress(
            account_sid=account["sid"],
            trainee=account["friendly_name"],
            scenario=scenario_of(conn, account["sid"]),
            account_type=account["type"],
            status=account["status"],
            created=iso8601(account["date_created"]),
        )
        _apply_log(progress, logs[account["sid"]].rows, errors)
        _apply_resources(conn, progress, at)
        progress.health = _health(conn, account["sid"], logs[account["sid"]].rows, at)
        board.append(progress)
    board.sort(key=lambda p: p.trainee.lower())  # stable: newest first within a trainee
    return board


def _owners(conn: sqlite3.Connection) -> dict[str, str]:
    """Which account each SID the sandbox knows belongs to (deleted keys from the log)."""
    owners = {row["sid"]: row["sid"] for row in conn.execute("SELECT sid FROM accounts")}
    for row in conn.execute(
        "SELECT DISTINCT auth_username, account_sid FROM request_log WHERE auth_kind = 'api_key'"
    ):
        owners[row["auth_username"]] = row["account_sid"]
    for table, column in _OWNED:
        query = f"SELECT {column}, account_sid FROM {table}"  # names from _OWNED, fixed
        owners.update({row[0]: row[1] for row in conn.execute(query)})
    return owners


def foreign_requests(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Requests authenticated as one account whose path, query or form names a resource of
    another account (answered or refused): in a class there must be none."""
    owners = _owners(conn)
    found = []
    for row in conn.execute(
        "SELECT id, method, path, query, form, account_sid FROM request_log"
        " WHERE auth_kind IN ('auth_token', 'api_key') ORDER BY id"
    ):
        named = {m.group(0) for m in _SID.finditer(" ".join((row["path"], row["query"])))}
        named |= {m.group(0) for m in _SID.finditer(row["form"])}
        others = sorted(s for s in named if owners.get(s, row["account_sid"]) != row["account_sid"])
        if others:
            request = f"{row['method']} {row['path']}"
            found.append(
                {
                    "id": row["id"],
                    "request": request,
                    "account": row["account_sid"],
                    "others": others,
                }
            )
    return found


# ---------------------------------------------------------------- the page


def board_section(rows: list[Progress]) -> str:
    """The board as an HTML section, one row per practice account (``board_section.html``)."""
    return render("board_section.html", rows=rows, refresh_seconds=REFRESH_SECONDS)


def board_page(rows: list[Progress]) -> str:
    """The board as a whole console page (``templates/board.html``)."""
    return render("board.html", rows=rows, refresh_seconds=REFRESH_SECONDS)
