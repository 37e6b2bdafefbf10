"""Who is calling the fake Twilio API: HTTP Basic auth with the Account SID and Auth Token, or an
API key's SID and secret, as Twilio accepts them; and what each kind of key may do.

Key types, as Twilio documents them: Main (everything), Standard (everything but the Accounts and
Keys resources), Restricted (only the permissions its policy lists, e.g.
``/twilio/messaging/messages/create``). A request a restricted key's policy does not allow is
refused with error 70051, "Authorization Failed" (Twilio's error page names a restricted key
missing a permission as a cause; the HTTP status, 403, is the sandbox's choice).

Credentials are compared as bytes in constant time, and only credentials that decode as ASCII
``user:password`` are considered at all, so nothing here depends on the server's header guard
(``_http.checked_basic``) to avoid a crash on odd input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sqlite3
from dataclasses import dataclass

from .wire import ApiError

# Log a username only if it is one of these SIDs: a secret pasted into the wrong field must not
# reach the request log.
SID_RE = re.compile(r"^(AC|SK|MG|AI|PN|SM)[0-9a-f]{32}$")

# API key types (``api_keys.key_type``). Keys made through the 2010-04-01 Keys resource are
# Standard; the iam v1 Keys resource makes Standard or Restricted ones.
MAIN_KEY = "main"
STANDARD_KEY = "standard"
RESTRICTED_KEY = "restricted"
KEY_TYPES = (MAIN_KEY, STANDARD_KEY, RESTRICTED_KEY)

# The permission names Twilio gives the resources the sandbox serves, for restricted keys'
# policies: ``<resource>/<action>``, the action "list" or "create" on a collection, "read",
# "update" or "delete" on one item. Resources not listed here have no permission a restricted
# key could hold in the sandbox (Accounts, Keys, phone numbers): such a key is refused there.
_PERMISSION_RESOURCES = (
    (
        re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages(/[^/]+)?\.json$"),
        "/twilio/messaging/messages",
    ),
    (re.compile(r"^/v1/Services(/[^/]+)?$"), "/twilio/messaging/services"),
    (
        re.compile(r"^/v1/Services/[^/]+/AlphaSenders(/[^/]+)?$"),
        "/twilio/messaging/services.alphasenders",
    ),
    (
        re.compile(r"^/v1/Services/[^/]+/PhoneNumbers(/[^/]+)?$"),
        "/twilio/messaging/services.phonenumbers",
    ),
)
_ACTIONS = {("GET", False): "list", ("POST", False): "create", ("GET", True): "read"}
_ACTIONS.update({("POST", True): "update", ("DELETE", True): "delete"})


@dataclass
class Identity:
    kind: str  # "auth_token" | "api_key" | "none" | "bad"
    username: str | None = None  # only ever a SID, never free text that could be a secret
    account: sqlite3.Row | None = None
    key_type: str | None = None
    log_account_sid: str | None = None
    policy: tuple[str, ...] = ()  # a restricted key's allowed permissions


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of a Basic header, or None unless it decodes as ASCII
    ``user:password``."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("ascii")
    except ValueError:  # binascii.Error, non-ASCII text or bytes (UnicodeDecodeError)
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def secret_hash(secret: str) -> str:
    """What the sandbox keeps of an API key's secret: like Twilio, it never shows it again."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _same(expected: str, given: str) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters (it raised a 500 once).
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def authenticate(conn: sqlite3.Connection, header: str | None) -> Identity:
    """Who sent the ``Authorization`` header ``header``; kind "bad" when it opens nothing."""
    if not header:
        return Identity("none")
    creds = basic_credentials(header)
    if creds is None:
        return Identity("bad")
    user, password = creds
    username = user if SID_RE.match(user) else None
    if user.startswith("AC"):
        account = conn.execute("SELECT * FROM accounts WHERE sid = ?", (user,)).fetchone()
        ident = Identity("bad", username, log_account_sid=account["sid"] if account else None)
        if account and _same(account["auth_token"], password):
            ident.kind, ident.account = "auth_token", account
        return ident
    if user.startswith("SK"):
        key = conn.execute("SELECT * FROM api_keys WHERE sid = ?", (user,)).fetchone()
        ident = Identity("bad", username, log_account_sid=key["account_sid"] if key else None)
        if key and _same(key["secret_sha256"], secret_hash(password)):
            account = conn.execute(
                "SELECT * FROM accounts WHERE sid = ?", (key["account_sid"],)
            ).fetchone()
            if account is not None:
                ident.kind, ident.account, ident.key_type = "api_key", account, key["key_type"]
                ident.policy = key_policy(conn, user)
        return ident
    return Identity("bad", username)


def may_manage_account(ident: Identity) -> bool:
    """Whether ``ident`` may use the Accounts and Keys resources: the Auth Token or a Main key
    may, a Standard key may not (Twilio's documented rule)."""
    return ident.kind != "api_key" or ident.key_type == MAIN_KEY


def key_policy(conn: sqlite3.Connection, key_sid: str) -> tuple[str, ...]:
    """The permissions a restricted key's policy allows (none for other keys)."""
    row = conn.execute("SELECT policy FROM key_policies WHERE key_sid = ?", (key_sid,)).fetchone()
    if row is None:
        return ()
    return tuple(str(p) for p in json.loads(row["policy"]).get("allow", []))


def permission_for(method: str, path: str) -> str | None:
    """The permission a restricted key needs for this request, or None if none exists."""
    for pattern, resource in _PERMISSION_RESOURCES:
        match = pattern.match(path)
        if match:
            action = _ACTIONS.get((method, match.group(1) is not None))
            return f"{resource}/{action}" if action else None
    return None


def refuse_outside_policy(ident: Identity, method: str, path: str) -> None:
    """Raise Twilio's 70051 when a restricted key's policy does not allow this request; other
    credentials pass. A ``<resource>/*`` permission allows every action on the resource."""
    if ident.kind != "api_key" or ident.key_type != RESTRICTED_KEY:
        return
    wanted = permission_for(method, path)
    if wanted is not None:
        everything = wanted.rsplit("/", 1)[0] + "/*"
        if wanted in ident.policy or everything in ident.policy:
            return
    what = f"the permission {wanted}" if wanted else f"{method} {path}"
    raise ApiError(
        403,
        70051,
        f"Authorization Failed: this restricted API key's policy does not allow {what}",
    )
