"""SQLite storage for the sandbox: schema, connections and small helpers.

One connection per request: sqlite3 connections must not be shared between threads, and opening
one costs far less than a millisecond.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import string
import time
from pathlib import Path
from typing import Any

# Sender IDs another organisation registered with SGNIC, unless a trainer changes the setting:
# adding one succeeds (Twilio cannot see SGNIC's registry); messages to Singapore are blocked.
DEFAULT_PROTECTED_SENDER_IDS = ["GOVSG", "SINGPASS", "DBS", "OCBC"]
DEFAULT_MESSAGE_STEP_SECONDS = 0.2

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    sid TEXT PRIMARY KEY,
    auth_token TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    protected_sender_ids TEXT NOT NULL,
    filtered_sender_ids TEXT NOT NULL,
    message_step_seconds REAL NOT NULL,
    date_created REAL NOT NULL,
    date_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    key_type TEXT NOT NULL DEFAULT 'standard',
    secret_sha256 TEXT NOT NULL,
    date_created REAL NOT NULL,
    date_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS services (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    usecase TEXT NOT NULL,
    props TEXT NOT NULL,
    date_created REAL NOT NULL,
    date_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS alpha_senders (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    service_sid TEXT NOT NULL,
    alpha_sender TEXT NOT NULL,
    date_created REAL NOT NULL,
    date_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS incoming_numbers (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    phone_number TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL,
    date_created REAL NOT NULL,
    date_updated REAL NOT NULL
);
-- PRIMARY KEY on the number SID: a number sits in at most one service's pool.
CREATE TABLE IF NOT EXISTS service_numbers (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    service_sid TEXT NOT NULL,
    date_created REAL NOT NULL,
    date_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    service_sid TEXT,
    sender TEXT NOT NULL,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    num_segments INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    step_seconds REAL NOT NULL,
    date_created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_account ON messages(account_sid, date_created);
CREATE TABLE IF NOT EXISTS request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    form TEXT NOT NULL,
    auth_kind TEXT NOT NULL,
    auth_username TEXT,
    account_sid TEXT,
    user_agent TEXT,
    status INTEGER NOT NULL,
    error_code INTEGER,
    duration_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS request_log_account ON request_log(account_sid, id);
-- Each account's prepaid balance in USD, an exact decimal as text (resources/balance.py). Its own
-- table, so a sandbox file made before it still opens; an account without a row holds the default.
CREATE TABLE IF NOT EXISTS balances (
    account_sid TEXT PRIMARY KEY,
    balance TEXT NOT NULL
);
-- Each account's alphanumeric Sender ID and delivery settings (delivery.py): whether alpha senders
-- are enabled, where its Sender IDs are registered (JSON list of ISO codes), whether its US
-- numbers are registered for A2P 10DLC. No row: the defaults in delivery.SETTING_DEFAULTS.
CREATE TABLE IF NOT EXISTS alpha_settings (
    account_sid TEXT PRIMARY KEY,
    alpha_sender_enabled INTEGER NOT NULL,
    alpha_registered_countries TEXT NOT NULL,
    us_senders_registered INTEGER NOT NULL
);
-- A restricted API key's policy (resources/iam_keys.py), as JSON {"allow": [permission, ...]};
-- auth.py enforces it. Its own table, so a sandbox file made before it still opens.
CREATE TABLE IF NOT EXISTS key_policies (
    key_sid TEXT PRIMARY KEY,
    policy TEXT NOT NULL
);
-- The words of each refused Twilio-API request's answer (Twilio's error message), by request_log
-- id: the trainer's board shows a trainee's last error with them. Its own table, so a sandbox
-- file made before it still opens.
CREATE TABLE IF NOT EXISTS request_errors (
    request_id INTEGER PRIMARY KEY,
    message TEXT NOT NULL
);
-- Recipients who replied STOP to a sender (``sender``: a Messaging Service SID or one of the
-- account's numbers): Twilio refuses to text them from it again (error 21610, delivery.py).
CREATE TABLE IF NOT EXISTS opt_outs (
    account_sid TEXT NOT NULL,
    sender TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    PRIMARY KEY (account_sid, sender, phone_number)
);
-- The training scenario a practice account was made for (admin setting ``scenario``), shown on
-- the trainer's board. No row: none.
CREATE TABLE IF NOT EXISTS account_scenarios (
    account_sid TEXT PRIMARY KEY,
    scenario TEXT NOT NULL
);
"""


def connect(db_path: str | Path) -> sqlite3.Connection:
    """Open a connection in autocommit mode; callers open transactions explicitly."""
    conn = sqlite3.connect(str(db_path), timeout=10, isolation_level=None)
    conn.row_factory = sqlite3.Row
    # NORMAL is durable enough in WAL mode and avoids an fsync on every commit.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def init_db(db_path: str | Path) -> None:
    """Create the schema and switch the file to WAL so readers never block the writer."""
    path = Path(db_path)
    if not path.exists():
        # Auth tokens live in this file: owner-only from the start (SQLite copies the mode to
        # the -wal and -shm files).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
    finally:
        conn.close()


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def new_auth_token() -> str:
    # Twilio auth tokens are 32 lowercase hex characters.
    return secrets.token_hex(16)


def new_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def now() -> float:
    return time.time()


def loads_list(text: str) -> list[str]:
    value: Any = json.loads(text)
    return [str(v) for v in value]
