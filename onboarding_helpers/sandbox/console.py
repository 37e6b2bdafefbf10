"""The sandbox console: a small page per practice account, laid out like Twilio's console.

Trainees practise finding values where the guide says they are: the Account SID and Auth Token
under *Account Info* on the dashboard, API keys under *Admin > Account management > Keys &
credentials > API keys & tokens*, the Messaging Service SID on the service's *Properties*, its
*Sender Pool*, bought numbers, and the message log. Server-side HTML from the templates in
``templates/`` (``console_page.py``), every value escaped.

Routes (served by the sandbox server; every one answers only a Host of 127.0.0.1, localhost or
::1 and a same-origin Origin, see ``_http.local_refusal``):

- ``GET /console``: for the trainer, the practice accounts on this sandbox, linking to each; for
  anyone else the login page.
- ``POST /console/login`` (form ``account_sid``, ``auth_token``): as Twilio's console needs a
  login, one account's pages need that account's own values (``console_login.py``: a cookie for
  that account only); ``POST /console/logout`` forgets it. The trainer's cookie opens every page.
- ``GET /console/{AC}`` (or ``/console?account=AC``): the account's dashboard, for its owner or
  the trainer (else the login page, 403). The Auth Token is masked; its *Show* button fetches it
  from ``GET /console/{AC}/auth-token`` (JSON; answered only to the page's own script, a custom
  header cross-site pages cannot send, and only to the trainer: it was unlocked in this browser,
  since a trainee's own laptop has them be their own trainer). No key secret is ever shown: the
  sandbox keeps only their hashes, as Twilio shows a secret only once.
- ``GET /console/board``: the trainer's board (``board.py``), every practice account's progress,
  refreshed by the browser every few seconds; the trainer's cookie only.
- ``POST /console/{AC}/actions`` with ``action`` = ``upgrade`` (Trial -> Full, the guide's
  billing upgrade), ``reactivate`` (what Twilio support would do) or ``map-sender-ids`` (Twilio
  maps the Sender IDs: clears the account's filtered list). The trainer's way to play the part of
  Twilio or of the account owner during a training scenario; unlocked browsers only.
- ``POST /console/unlock`` (form ``token``, ``next``): given the trainer token, sets the cookie
  ``sandbox_trainer`` (HttpOnly, SameSite=Strict, Path=/console) and goes back to ``next``;
  ``POST /console/lock`` removes it. The token itself is never put into a page.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import _db, _http, board, console_login
from .admin_accounts import AdminError, admin_snapshot, admin_update_account
from .console_page import NO_STORE as _NO_STORE
from .console_page import PREFIX, Page, render, text_page
from .console_page import html_page as _html

REVEAL_HEADER = "X-Console-Reveal"
LOCKED = (
    "Trainers only: unlock this console with the trainer token first (the Trainer box on the"
    " page). The trainer prints it with: python -m onboarding_helpers.sandbox token --dir"
    " <sandbox folder>."
)
_AC = re.compile(r"^AC[0-9a-f]{32}$")
# Where unlock may send the browser back to: console pages, never elsewhere.
_BACK = re.compile(r"^/console(/AC[0-9a-f]{32}|/board)?$")
_ACTIONS = {
    "upgrade": {"type": "Full"},
    "reactivate": {"status": "active"},
    "map-sender-ids": {"filtered_sender_ids": ""},
    "enable-alpha-senders": {"alpha_sender_enabled": "true"},
}
_RECENT_MESSAGES = 20


@dataclass
class ConsoleRequest:
    method: str
    path: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    headers: Message
    client_host: str
    trainer_token: str

    def trainer(self) -> bool:
        """Whether this browser was unlocked with the trainer token (it sends the cookie)."""
        sent = _http.cookie_values(self.headers, _http.TRAINER_COOKIE)
        return any(_http.token_matches(self.trainer_token, value) for value in sent)


def console_url(base_url: str, account_sid: str) -> str:
    """Where the console page of ``account_sid`` is on the sandbox at ``base_url``."""
    return f"{base_url.rstrip('/')}{PREFIX}/{account_sid}"


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


# ---------------------------------------------------------------- requests


def handle(db_path: str | Path, req: ConsoleRequest) -> Page:
    """Answer one console request."""
    # The Host check stops a DNS-rebinding page from reading the console through its own name;
    # the Origin check stops other sites' forms.
    refusal = _http.local_refusal(req.headers, req.client_host)
    if refusal:
        return text_page(403, refusal)
    segments = [s for s in req.path[len(PREFIX) :].split("/") if s]
    if segments in (["unlock"], ["lock"]) and req.method == "POST":
        return _unlock(req) if segments == ["unlock"] else _lock(req)
    if not segments and req.query.get("account"):
        segments = [req.query["account"]]
    conn = _db.connect(db_path)
    try:
        # Who is asking: the trainer (cookie), or the owner of one account (its login cookie).
        owner = console_login.logged_in_account(req.headers, req.trainer_token, conn)
        if segments in (["login"], ["logout"], ["board"]):
            return _login_or_board(conn, req, segments[0], owner)
        if segments and not _AC.match(segments[0]):
            return text_page(
                404, f"No sandbox account {segments[0]!r}: an Account SID is AC + 32 hex."
            )
        if not segments and req.method == "GET":
            if not req.trainer():  # the list of every account is the trainer's
                return _login_page(200, "", owner)
            return _html(200, _index_page(conn))
        sid = segments[0] if segments else ""
        account = conn.execute("SELECT * FROM accounts WHERE sid = ?", (sid,)).fetchone()
        if account is None:
            return text_page(404, f"No sandbox account {sid} on this sandbox.")
        rest = segments[1:]
        if rest == [] and req.method == "GET":
            if not (req.trainer() or owner == sid):
                return _login_page(403, sid, owner, "This account's pages need its own login.")
            return _account_page(conn, sid, req.query.get("done", ""), req.trainer())
        if rest == ["auth-token"] and req.method == "GET":
            if req.headers.get(REVEAL_HEADER) != "1":
                return text_page(
                    403, "The Auth Token is revealed by the console page's Show button."
                )
            if not req.trainer():
                return text_page(403, LOCKED)
            body = json.dumps({"auth_token": account["auth_token"]}).encode()
            return Page(200, body, {"Content-Type": "application/json", **_NO_STORE})
        if rest == ["actions"] and req.method == "POST":
            if not req.trainer():
                return text_page(403, LOCKED)
            return _act(conn, sid, req.form.get("action", ""))
        return text_page(404, f"No console page {req.method} {req.path}.")
    finally:
        conn.close()


def _back(req: ConsoleRequest) -> str:
    wanted = req.form.get("next", "")
    return wanted if _BACK.match(wanted) else PREFIX


def _login_page(status: int, sid: str, owner: str | None, problem: str = "") -> Page:
    """The login box (``templates/login.html``), filled in with ``sid``, and the trainer's."""
    back = f"{PREFIX}/{sid}" if sid else PREFIX
    values = {"account_sid": sid, "back": back, "logged_in": owner, "problem": problem}
    return _html(status, render("login.html", **values))


def _login_or_board(conn: Any, req: ConsoleRequest, what: str, owner: str | None) -> Page:
    """``POST /console/login`` (Account SID + Auth Token), ``POST /console/logout``, and the
    trainer's board ``GET /console/board`` (refreshed by the browser, ``board.py``)."""
    if what == "board" and req.method == "GET":
        if not req.trainer():
            locked = render("trainer_only.html", title="Trainer's board", back=f"{PREFIX}/board")
            return _html(403, locked)
        page = _html(200, board.board_page(board.cohort_progress(conn)))
        page.headers["Refresh"] = str(board.REFRESH_SECONDS)
        return page
    if req.method != "POST" or what == "board":
        return text_page(404, f"No console page {req.method} {req.path}.")
    if what == "logout":
        return Page(303, b"", {"Location": PREFIX, "Set-Cookie": console_login.logout_cookie()})
    sid = console_login.account_for_login(
        conn, req.form.get("account_sid", ""), req.form.get("auth_token", "")
    )
    if sid is None:
        wrong = "That Account SID and Auth Token are not a practice account on this sandbox."
        return _login_page(403, req.form.get("account_sid", "")[:34], owner, wrong)
    cookie = console_login.login_cookie(req.trainer_token, conn, sid)
    return Page(303, b"", {"Location": f"{PREFIX}/{sid}", "Set-Cookie": cookie, **_NO_STORE})


def _unlock(req: ConsoleRequest) -> Page:
    if not _http.token_matches(req.trainer_token, req.form.get("token", "").strip()):
        return text_page(
            403,
            "That is not the trainer token. It is in trainer.token beside the sandbox's database;"
            " the trainer prints it with: python -m onboarding_helpers.sandbox token --dir"
            " <sandbox folder>.",
        )
    cookie = f"{_http.TRAINER_COOKIE}={req.trainer_token}; HttpOnly; SameSite=Strict; Path={PREFIX}"
    return Page(303, b"", {"Location": _back(req), "Set-Cookie": cookie, **_NO_STORE})


def _lock(req: ConsoleRequest) -> Page:
    cookie = f"{_http.TRAINER_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path={PREFIX}"
    return Page(303, b"", {"Location": _back(req), "Set-Cookie": cookie, **_NO_STORE})


def _act(conn: Any, sid: str, action: str) -> Page:
    if action not in _ACTIONS:
        return text_page(400, f"Unknown action {action!r}; use one of {', '.join(_ACTIONS)}.")
    try:
        conn.execute("BEGIN IMMEDIATE")
        admin_update_account(conn, sid, dict(_ACTIONS[action]))
        conn.execute("COMMIT")
    except AdminError as err:
        conn.execute("ROLLBACK")
        return text_page(err.status, err.message)
    return Page(303, b"", {"Location": f"{PREFIX}/{sid}?done={quote(action)}", **_NO_STORE})


# ---------------------------------------------------------------- pages


def _index_page(conn: Any) -> str:
    accounts = conn.execute(
        "SELECT sid, friendly_name, type, status FROM accounts ORDER BY date_created DESC, rowid"
    ).fetchall()
    return render("index.html", accounts=accounts)


_DONE = {
    "upgrade": "Billing upgraded: the account is now Full.",
    "reactivate": "The account is active again.",
    "map-sender-ids": "The Sender IDs are mapped: messages from them are no longer filtered.",
    "enable-alpha-senders": "Alphanumeric Sender IDs are enabled for the account.",
}


def _account_page(conn: Any, sid: str, done: str, trainer: bool) -> Page:
    """The account's dashboard (``templates/account.html``), with its own script nonce."""
    snap = admin_snapshot(conn, sid)
    nonce = secrets.token_urlsafe(16)
    text = render(
        "account.html",
        sid=sid,
        account=snap["account"],
        keys=snap["keys"],
        services=snap["services"],
        numbers=snap["incoming_phone_numbers"],
        messages=list(reversed(snap["messages"][-_RECENT_MESSAGES:])),
        done=_DONE.get(done, ""),
        trainer=trainer,
        nonce=nonce,
        reveal_header=REVEAL_HEADER,
    )
    return _html(200, text, nonce)
