"""Who may open which console page: the trainer, or the owner of one practice account.

Twilio's console needs a login; so does the sandbox's, now that a class shares one sandbox. A
trainee logs in with their practice account's Account SID and Auth Token (the two values the
runbook keeps in their env file) and then sees that account's pages only. The trainer's cookie
(``_http.TRAINER_COOKIE``, set by the trainer token) opens every page, the index of all accounts
and the trainer's board included.

The login cookie ``sandbox_account`` holds the Account SID and an HMAC of SID and Auth Token keyed
with the trainer token: it is no credential for the Twilio API, it cannot be made without the Auth
Token, and it is checked against the token the sandbox holds now. HttpOnly, SameSite=Strict,
Path=/console, like the trainer's. The login box itself: ``templates/login.html``. Standard
library only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
from email.message import Message

from . import _http

ACCOUNT_COOKIE = "sandbox_account"
_AC = re.compile(r"^AC[0-9a-f]{32}$")
_WHERE = "/console"


def _signature(trainer_token: str, account_sid: str, auth_token: str) -> str:
    message = f"console-login:{account_sid}:{auth_token}".encode()
    return hmac.new(trainer_token.encode(), message, hashlib.sha256).hexdigest()


def account_for_login(conn: sqlite3.Connection, account_sid: str, auth_token: str) -> str | None:
    """The Account SID if ``auth_token`` is its Auth Token (constant-time), else None."""
    sid = account_sid.strip()
    if not _AC.match(sid):
        return None
    row = conn.execute("SELECT auth_token FROM accounts WHERE sid = ?", (sid,)).fetchone()
    if row is None or not _http.token_matches(row["auth_token"], auth_token.strip()):
        return None
    return sid


def login_cookie(trainer_token: str, conn: sqlite3.Connection, account_sid: str) -> str:
    """The Set-Cookie value that logs this browser in to ``account_sid`` (checked first)."""
    row = conn.execute("SELECT auth_token FROM accounts WHERE sid = ?", (account_sid,)).fetchone()
    value = f"{account_sid}.{_signature(trainer_token, account_sid, row['auth_token'])}"
    return f"{ACCOUNT_COOKIE}={value}; HttpOnly; SameSite=Strict; Path={_WHERE}"


def logout_cookie() -> str:
    return f"{ACCOUNT_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path={_WHERE}"


def logged_in_account(headers: Message, trainer_token: str, conn: sqlite3.Connection) -> str | None:
    """The account this browser logged in to, if its cookie still matches the account's token."""
    for value in _http.cookie_values(headers, ACCOUNT_COOKIE):
        sid, _, signature = value.partition(".")
        if not _AC.match(sid):
            continue
        row = conn.execute("SELECT auth_token FROM accounts WHERE sid = ?", (sid,)).fetchone()
        if row is None:
            continue
        expected = _signature(trainer_token, sid, row["auth_token"])
        if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return sid
    return None
