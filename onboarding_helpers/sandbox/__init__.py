"""Sandbox Twilio: a fake Twilio REST API on 127.0.0.1 for training and tests.

It speaks Twilio's wire format (form-encoded requests, JSON answers, Twilio error bodies), so the
real ``twilio`` SDK runs against it unchanged through an ``http_client`` that rewrites
``https://api.twilio.com`` and ``https://messaging.twilio.com`` to the sandbox URL. State lives
in one SQLite file, so every kernel and process sees the same fake accounts, across restarts.

Starting it on its own (trainers)::

    python -m onboarding_helpers.sandbox serve --dir ~/.postman-sandbox            # foreground
    python -m onboarding_helpers.sandbox provision --dir ~/.postman-sandbox        # new account
    python -m onboarding_helpers.sandbox provision --dir ~/.postman-sandbox --type Trial
    python -m onboarding_helpers.sandbox token --dir ~/.postman-sandbox     # the trainer token
    python -m onboarding_helpers.sandbox stop --dir ~/.postman-sandbox

``serve`` prints the URL and writes ``<dir>/server.json``; ``provision`` starts a background server
if none is running and prints the new Account SID and Auth Token. From Python::

    from onboarding_helpers import sandbox
    url = sandbox.ensure_running("~/.postman-sandbox")
    acct = sandbox.provision_account(url, type="Full")
    sandbox.set_account(url, acct["account_sid"], filtered_sender_ids=["MYAGENCY"])

Per-account settings (``set_account``; admin ``POST /_sandbox/accounts/{AC}``):

- ``type``: ``Full`` (default) or ``Trial``.
- ``status``: ``active`` (default), ``suspended`` or ``closed``.
- ``protected_sender_ids`` default ``GOVSG, SINGPASS, DBS, OCBC``: IDs another organisation
  registered with SGNIC. Adding one as an alpha sender succeeds (Twilio cannot see SGNIC's
  registry); its messages to Singapore end ``failed`` with 30007, as the guide describes a
  protected ID (the test SMS never arrives).
- ``filtered_sender_ids`` default empty: messages sent from one of these Sender IDs end ``failed``
  with error 30007 (Sender ID not yet mapped to the account). Like the step length, it is read
  when a message is created and does not change messages already sent.
- ``alpha_sender_enabled`` default true (Trial accounts never): off, adding an alpha sender fails
  with 21709 in Twilio's words (alphanumeric Sender IDs not enabled for the account).
- ``alpha_registered_countries`` default ``SG``: where the account's Sender ID is registered; a
  country that requires registration and is not listed ends ``failed`` with 30007.
- ``us_senders_registered`` default false: US messages from a number end ``failed`` with 30034
  (unregistered 10DLC) until set.
- ``balance`` default 50.00 (USD): each message that reaches the carrier is debited per segment
  (``pricing.py``); one the balance cannot pay for ends ``failed`` with 30002, uncharged.
- ``scenario`` default empty: the training scenario the account was made for (letters, digits,
  ``-``, ``_``), shown on the trainer's board; it changes nothing the account does.
- ``message_step_seconds`` default 0.2: a message's status moves one step per interval,
  ``accepted -> queued -> sending -> sent -> delivered`` (``queued`` first when sent from a number).
- ``message_history`` (JSON, ``history.py``): adds a campaign's past messages to one of the
  account's services, spread over the last days, each already in its final status (delivered,
  sent, or a Twilio error code: 30003, 30005, 30007, 30008, 21610, 30002, 30034); the answer
  says how many (``messages_added``). Recipients of its 21610 messages have replied STOP.

Behaviours trainers can trigger:

- Trial account: adding an alpha sender -> 400/21709; sending -> 400/21608; only one number may be
  bought (a second -> 400/21404).
- Suspended or closed account: the account fetch still works and shows the status; every other
  call answers 403 with code 20005 "Account not active".
- Standard API key on the Accounts or Keys resources -> 401/20003 (auth token needed); a
  Restricted key (iam v1 ``/v1/Keys``, ``KeyType=restricted``) outside its policy -> 403/70051.
- Alpha sender: bad format -> 400/21709; alphanumeric Sender IDs not enabled -> 400/21709;
  second alpha sender in one service -> 400/21714.
- Number into a service: unknown PN -> 400/21421; already in this service -> 409/21710; in
  another service -> 409/21712.
- Sending: no To -> 21604; To not E.164 -> 21211; unknown service -> 21701; no From and no service
  -> 21603; From not one of your numbers -> 21606; no Body -> 21602; empty sender pool -> 21703;
  Singapore non-mobile (+65 6xxx xxxx, +65 3xxx xxxx) -> 21614; a destination no sender in the
  pool can reach (an alpha sender only, to a country that takes none) -> 21612 (all 400).
- After sending: To ending in ``0003``, ``0005`` or ``0008`` -> ``undelivered`` with 30003
  (unreachable handset), 30005 (unknown number) or 30008; To ending in ``9999`` -> stays ``sent``
  forever; a recipient who replied STOP to the service -> accepted, then ``failed`` with 21610
  (from one of the account's numbers: refused, 400/21610); the outcomes above (30007, 30034,
  30002). A service sends from its
  alpha sender to every country that takes one (``delivery.py``: the same rules as the runbook's
  ``countries`` table), otherwise from the first number in its pool.

The message log (``GET .../Messages.json``) pages as Twilio's does: ``PageSize`` up to 1000,
newest first, each ``next_page_uri`` carrying a ``PageToken``; filters ``To``, ``From``,
``DateSent``, ``DateSent>`` and ``DateSent<`` (a message's ``date_sent``: when it went to the
carrier, or when it failed).

Admin endpoints answer only a Host of 127.0.0.1, localhost or ``[::1]`` (any port) and, if an
``Origin`` is sent, only ``http://<Host>`` (else 403: no DNS rebinding, no cross-site posts; the
console checks the same). All but ``GET /_sandbox/health`` need ``Authorization: Bearer <trainer
token>`` (else 401); Twilio credentials never open them. The token is in ``trainer.token`` beside
the database (``<dir>/trainer.token``, 0600, made once at the first start, never rewritten); the
``token`` command prints it. The functions below find it themselves (``trainer_token``: this
process's servers and ``ensure_running``, ``ONBOARDING_SANDBOX_TOKEN``, or the file beside the
database health names) or take ``token=``, and send it only to a server that first proved it holds
it: ``GET /_sandbox/health?challenge=<fresh random>`` answers ``proof``, HMAC-SHA256 keyed with the
token over the challenge and the server's address, checked before the token goes out on that same
connection (``verify_sandbox`` checks alone; a program that took the port gets ``SandboxNotProven``
and never the token). The console's Auth Token reveal and trainer buttons
need the console unlocked with the token (its Trainer box). An account's console pages need a login
with that account's own Account SID and Auth Token (``/console/login``) or the trainer's unlock; the
index of every account and the trainer's board (``/console/board``: each practice account's
progress and last error, read from the request log, no secret) need the trainer's unlock. Endpoints:
``GET /_sandbox/health``, ``POST /_sandbox/accounts``,
``POST /_sandbox/accounts/{AC}``, ``GET /_sandbox/accounts/{AC}/snapshot``,
``GET /_sandbox/requests[?account_sid=AC]``, and injected faults ``POST|GET|DELETE
/_sandbox/faults`` (``set_faults``, ``list_faults``, ``clear_faults``; see ``faults.py``): e.g. fail
the first request after an API key was created, or create a key and lose the answer. Chaos, a
random share of requests answered 429/500/503, slow, dropped or lost after the work: ``POST|GET|
DELETE /_sandbox/chaos`` (``set_chaos``, ``chaos_status``, ``clear_chaos``), or at server start
``ONBOARDING_SANDBOX_CHAOS="rate=0.2;kinds=429,500,503,slow,drop,lost;seed=7"`` (``faults.py``).

Every request's framing is checked before its body is read: a Content-Length that is not a
whole number -> 400, over 1 MiB -> 413, a chunked body -> 411 (each closes the connection);
Basic credentials that do not decode as ASCII ``user:password`` -> 401/20003.

Importing this package is cheap: the server and helpers load on first use.

Layout (shaped like moto: one module per Twilio resource). ``server.py`` is the HTTP layer and
``SandboxServer``; ``routing.py`` authenticates (``auth.py``) and dispatches to the resource
modules in ``resources/`` (each with its ``ROUTES``), which speak ``wire.py`` (errors, dates,
lists); ``delivery.py`` and ``pricing.py`` are what the fake carriers do with a message;
``_db.py`` is the SQLite schema. Trainers' side: ``admin_api.py`` (the ``/_sandbox`` endpoints),
``admin_accounts.py`` (account settings, snapshot, request log), ``console.py``, ``faults.py``;
``admin.py`` and ``process.py`` are the Python client. Nothing here imports the rest of the
runbook: the sandbox is Twilio's side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._db import DEFAULT_PROTECTED_SENDER_IDS
    from .admin import (
        SandboxError,
        SandboxNotProven,
        account_exists,
        chaos_status,
        clear_chaos,
        clear_faults,
        health,
        list_faults,
        provision_account,
        remember_token,
        request_log,
        set_account,
        set_chaos,
        set_faults,
        snapshot,
        trainer_token,
        verify_sandbox,
    )
    from .process import ensure_running, stop_running
    from .server import SandboxServer

__all__ = [
    "DEFAULT_PROTECTED_SENDER_IDS",
    "SandboxError",
    "SandboxNotProven",
    "account_exists",
    "chaos_status",
    "clear_chaos",
    "clear_faults",
    "set_chaos",
    "list_faults",
    "set_faults",
    "SandboxServer",
    "ensure_running",
    "health",
    "provision_account",
    "remember_token",
    "request_log",
    "set_account",
    "snapshot",
    "stop_running",
    "trainer_token",
    "verify_sandbox",
]

_LAZY = {
    "DEFAULT_PROTECTED_SENDER_IDS": "_db",
    "SandboxServer": "server",
    "ensure_running": "process",
    "stop_running": "process",
    "SandboxError": "admin",
    "SandboxNotProven": "admin",
    "account_exists": "admin",
    "chaos_status": "admin",
    "clear_chaos": "admin",
    "set_chaos": "admin",
    "clear_faults": "admin",
    "list_faults": "admin",
    "set_faults": "admin",
    "health": "admin",
    "provision_account": "admin",
    "request_log": "admin",
    "set_account": "admin",
    "snapshot": "admin",
    "remember_token": "admin",
    "trainer_token": "admin",
    "verify_sandbox": "admin",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
