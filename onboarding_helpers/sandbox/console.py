"""The sandbox console: a small page per practice account, laid out like Twilio's console.

Trainees practise finding values where the guide says they are: the Account SID and Auth Token
under *Account Info* on the dashboard, API keys under *Admin > Account management > Keys &
credentials > API keys & tokens*, the Messaging Service SID on the service's *Properties*, its
*Sender Pool*, bought numbers, and the message log. Server-side HTML, standard library only.

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
from .console_page import PREFIX, Page, text_page
from .console_page import document as _document
from .console_page import escape as _e
from .console_page import html_page as _html
from .console_page import table as _table

REVEAL_HEADER = "X-Console-Reveal"
LOCKED = (
    "Trainers only: unlock this console with the trainer token first (the Trainer box on the"
    " page). The trainer prints it with: python -m onboarding_helpers.sandbox token --dir"
    " <sandbox folder>."
)
_AC = re.compile(r"^AC[0-9a-f]{32}$")
# Where unlock may send the browser back to: console pages, never elsewhere.
_BACK = re.compile(r"^/console(/AC[0-9a-f]{32}|/board)?$")
_MASK = "•" * 32
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
            return _html(200, _index_page(conn, True))
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
    back = f"{PREFIX}/{sid}" if sid else PREFIX
    body = console_login.login_section(sid, back, owner, problem) + _trainer_section(back, False)
    return _html(status, _document("Log in: sandbox console", body))


def _login_or_board(conn: Any, req: ConsoleRequest, what: str, owner: str | None) -> Page:
    """``POST /console/login`` (Account SID + Auth Token), ``POST /console/logout``, and the
    trainer's board ``GET /console/board`` (refreshed by the browser, ``board.py``)."""
    if what == "board" and req.method == "GET":
        if not req.trainer():
            return _html(
                403, _document("Trainer's board", _trainer_section("/console/board", False))
            )
        page = _html(
            200, _document("Trainer's board", board.board_section(board.cohort_progress(conn)))
        )
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


def _index_page(conn: Any, trainer: bool) -> str:
    rows = conn.execute(
        "SELECT sid, friendly_name, type, status FROM accounts ORDER BY date_created DESC, rowid"
    ).fetchall()
    cells = "".join(
        f"<tr><td><a href='{PREFIX}/{_e(r['sid'])}'><code>{_e(r['sid'])}</code></a></td>"
        f"<td>{_e(r['friendly_name'])}</td><td>{_e(r['type'])}</td><td>{_e(r['status'])}</td></tr>"
        for r in rows
    )
    table = (
        "<table><tr><th>Account SID</th><th>Name</th><th>Type</th><th>Status</th></tr>"
        f"{cells}</table>"
        if rows
        else "<p>No practice account yet. Run notebook 00 or the runner to make one.</p>"
    )
    body = f"<section><h2>Practice accounts (newest first)</h2>{table}</section>"
    return _document("Sandbox console", body + _trainer_section(PREFIX, trainer))


def _action_button(sid: str, action: str, label: str) -> str:
    return (
        f"<form method='post' action='{PREFIX}/{_e(sid)}/actions' style='display:inline'>"
        f"<input type='hidden' name='action' value='{_e(action)}'>"
        f"<button type='submit'>{_e(label)}</button></form>"
    )


def _section(title: str, where: str, content: str, anchor: str) -> str:
    return (
        f"<section id='{anchor}'><h2>{_e(title)} <span class='where'>{_e(where)}</span></h2>"
        f"{content}</section>"
    )


_REVEAL_SCRIPT = """
const button = document.getElementById('reveal-token');
const shown = document.getElementById('auth-token');
const mask = shown.textContent;
button.addEventListener('click', async () => {
  if (button.dataset.shown === '1') {
    shown.textContent = mask; button.textContent = 'Show'; button.dataset.shown = '0'; return;
  }
  const answer = await fetch(location.pathname.replace(/\\/$/, '') + '/auth-token',
                             {headers: {'HEADER': '1'}, cache: 'no-store'});
  if (!answer.ok) {
    shown.textContent = answer.status === 403 ? 'locked: a trainer unlocks it (Trainer, below)'
                                              : 'could not fetch the token';
    return;
  }
  shown.textContent = (await answer.json()).auth_token;
  button.textContent = 'Hide'; button.dataset.shown = '1';
});
""".replace("HEADER", REVEAL_HEADER)


_DONE = {
    "upgrade": "Billing upgraded: the account is now Full.",
    "reactivate": "The account is active again.",
    "map-sender-ids": "The Sender IDs are mapped: messages from them are no longer filtered.",
    "enable-alpha-senders": "Alphanumeric Sender IDs are enabled for the account.",
}


def _account_page(conn: Any, sid: str, done: str, trainer: bool) -> Page:
    snap = admin_snapshot(conn, sid)
    account = snap["account"]
    nonce = secrets.token_urlsafe(16)
    services = "".join(_service(s) for s in snap["services"]) or (
        "<p class='note'>No Messaging Service yet.</p>"
    )
    messages = _table(
        ["Sent", "SID", "From", "To", "Status", "Error"],
        [_message_row(m) for m in reversed(snap["messages"][-_RECENT_MESSAGES:])],
        "No messages yet.",
    )
    flash = (
        f"<section class='ok'>{_e(_DONE[done])} Run the step again.</section>"
        if done in _DONE
        else ""
    )
    body = (
        flash
        + _section("Account Info", "Console dashboard", _account_info(sid, account), "account-info")
        + _section("API keys", "Keys & credentials > API keys & tokens", _keys(snap), "api-keys")
        + _section("Messaging Services", "Messaging > Services", services, "services")
        + _section(
            "Active numbers", "Phone Numbers > Manage > Active numbers", _numbers(snap), "numbers"
        )
        + _section("Messaging logs", "Monitor > Logs > Messaging", messages, "messages")
        + _section(
            "Sandbox settings",
            "trainers only: not in Twilio",
            _sandbox_settings(sid, account),
            "sandbox",
        )
        + _trainer_section(f"{PREFIX}/{sid}", trainer)
    )
    title = f"{account['friendly_name']} · {sid}"
    return _html(200, _document(title, body, nonce, _REVEAL_SCRIPT), nonce)


def _account_info(sid: str, account: Mapping[str, Any]) -> str:
    """The dashboard's Account Info: SID, masked Auth Token, type and status (with the trainer's
    buttons where they apply), and the balance."""
    kind = account["type"]
    type_cell = f"<span class='badge {'warn' if kind == 'Trial' else 'ok'}'>{_e(kind)}</span>"
    if kind == "Trial":
        type_cell += " " + _action_button(sid, "upgrade", "Upgrade (Billing > Manage Billing)")
    status = account["status"]
    status_cell = f"<span class='badge {'ok' if status == 'active' else 'bad'}'>{_e(status)}</span>"
    if status != "active":
        status_cell += " " + _action_button(sid, "reactivate", "Reactivate (as Twilio support)")
    return (
        "<table>"
        f"<tr><th>Account SID</th><td><code id='account-sid'>{_e(sid)}</code></td></tr>"
        f"<tr><th>Auth Token</th><td><code id='auth-token'>{_MASK}</code> "
        "<button type='button' id='reveal-token'>Show</button></td></tr>"
        f"<tr><th>Account name</th><td>{_e(account['friendly_name'])}</td></tr>"
        f"<tr><th>Type</th><td>{type_cell}</td></tr>"
        f"<tr><th>Status</th><td>{status_cell}</td></tr>"
        f"<tr><th>Balance</th><td id='balance'>{_e(account['currency'])}"
        f" {_e(account['balance'])} <span class='where'>(Billing Overview)</span></td></tr>"
        "</table>"
    )


def _keys(snap: Mapping[str, Any]) -> str:
    rows = [
        [f"<code>{_e(k['sid'])}</code>", _e(k["friendly_name"]), _e(k["key_type"])]
        + [_e(k["date_created"])]
        for k in snap["keys"]
    ]
    return _table(["SID", "Friendly name", "Type", "Created"], rows, "No API keys yet.") + (
        "<p class='note'>A key's secret is shown once, when the key is made, and never again:"
        " not here, not by Twilio.</p>"
    )


def _numbers(snap: Mapping[str, Any]) -> str:
    rows = [
        [f"<code>{_e(n['phone_number'])}</code>", f"<code>{_e(n['sid'])}</code>"]
        + [_e(n["friendly_name"])]
        for n in snap["incoming_phone_numbers"]
    ]
    return _table(["Number", "SID", "Friendly name"], rows, "No phone numbers bought.")


def _service(service: Mapping[str, Any]) -> str:
    alphas = ", ".join(f"<code>{_e(a['alpha_sender'])}</code>" for a in service["alpha_senders"])
    numbers = ", ".join(f"<code>{_e(n['phone_number'])}</code>" for n in service["phone_numbers"])
    return (
        f"<h3 style='font-size:1em;margin:8px 0 4px'>{_e(service['friendly_name'])}</h3><table>"
        "<tr><th>Messaging Service SID</th>"
        f"<td><code>{_e(service['sid'])}</code> <span class='where'>(Properties)</span></td></tr>"
        f"<tr><th>Use case</th><td>{_e(service['usecase'])}</td></tr>"
        f"<tr><th>Sender Pool: alpha sender</th><td>{alphas or 'none'}</td></tr>"
        f"<tr><th>Sender Pool: phone numbers</th><td>{numbers or 'none'}</td></tr></table>"
    )


def _message_row(message: Mapping[str, Any]) -> list[str]:
    code = message["error_code"]
    error = (
        f"<a href='https://www.twilio.com/docs/errors/{_e(code)}'>{_e(code)}</a>" if code else ""
    )
    status = message["status"]
    badge = "bad" if status in ("failed", "undelivered") else "ok" if status == "delivered" else ""
    return [
        _e(message["date_created"]),
        f"<code>{_e(message['sid'])}</code>",
        _e(message["from"]),
        _e(message["to"]),
        f"<span class='badge {badge}'>{_e(status)}</span>",
        error,
    ]


def _sandbox_settings(sid: str, account: Mapping[str, Any]) -> str:
    filtered = account["filtered_sender_ids"]
    map_button = (
        " " + _action_button(sid, "map-sender-ids", "Map Sender IDs (as Twilio would)")
        if filtered
        else ""
    )
    protected = ", ".join(account["protected_sender_ids"]) or "none"
    enabled = account.get("alpha_sender_enabled", True)
    alpha = (
        "on"
        if enabled
        else "off " + _action_button(sid, "enable-alpha-senders", "Enable alphanumeric Sender IDs")
    )
    return (
        "<table>"
        f"<tr><th>Alphanumeric Sender ID (Messaging settings)</th><td>{alpha}</td></tr>"
        f"<tr><th>Protected Sender IDs (another agency's)</th><td>{_e(protected)}</td></tr>"
        "<tr><th>Sender IDs not yet mapped (messages filtered, 30007)</th>"
        f"<td>{_e(', '.join(filtered) or 'none')}{map_button}</td></tr>"
        f"<tr><th>Seconds per message status step</th><td>{_e(account['message_step_seconds'])}"
        "</td></tr></table>"
    )


def _trainer_section(back: str, unlocked: bool) -> str:
    """Unlock (or lock) trainer mode in this browser; the token is typed, never shown."""
    hidden = f"<input type='hidden' name='next' value='{_e(back)}'>"
    if unlocked:
        content = (
            f"<form method='post' action='{PREFIX}/lock'>{hidden}<p>Trainer mode is on in this"
            " browser: the Auth Token can be shown and the trainer buttons work."
            " <button type='submit'>Lock</button></p></form>"
        )
    else:
        content = (
            f"<form method='post' action='{PREFIX}/unlock'>{hidden}<label>Trainer token"
            " <input type='password' name='token' autocomplete='off' required></label>"
            " <button type='submit'>Unlock</button></form><p class='note'>Showing the Auth Token"
            " and the trainer buttons need the trainer token. The trainer prints it with"
            " <code>python -m onboarding_helpers.sandbox token --dir &lt;sandbox folder&gt;</code>."
            "</p>"
        )
    return _section("Trainer", "unlock trainer mode in this browser", content, "trainer")
