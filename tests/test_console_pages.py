"""The console's pages: markup that came from outside is shown as text, and the templates the
pages are made from are installed with the package.

The trainer's cookie opens every console page, and the pages show what trainees and their
requests put into the sandbox: names, numbers, Sender IDs, Twilio's error words, a login form's
Account SID, a requested path. Each such field here carries markup that would break out of an
element or an attribute (``'"><x-inj-FIELD>&amp;``); every page that shows the field must show it
as those characters, and no page may hold an ``x-inj-*`` element.

Real sandbox server and ``twilio`` SDK: fields the API accepts are set through it; fields it
validates (numbers, Sender IDs, the error words it writes itself) are written into the sandbox's
file, as a page must not trust the file either.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode
from zipfile import ZipFile

from twilio.base.exceptions import TwilioRestException

from onboarding_helpers.sandbox import provision_account
from onboarding_helpers.twilio_gateway import make_client

from .conftest import ROOT
from .test_board import sandbox_file, trainer_browser


def injected(field: str) -> str:
    """Markup that closes a quoted attribute and opens an element named after ``field``."""
    return f"'\"><x-inj-{field}>&amp;"


class _Shown(HTMLParser):
    """What a browser would make of a page: its elements, and its text and attribute values."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.values: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.values.extend(value or "" for _, value in attrs)

    def handle_data(self, data: str) -> None:
        self.values.append(data)


def assert_shown_as_text(page: str, fields: list[str]) -> None:
    shown = _Shown(page)
    assert not [t for t in shown.tags if t.startswith("x-inj")], "markup from a field went live"
    text = "\n".join(shown.values)
    missing = [f for f in fields if f"<x-inj-{f}>&amp;" not in text]
    assert not missing, f"these fields are not shown as typed: {missing}"


def _fetch(opener: urllib.request.OpenerDirector, request: urllib.request.Request | str) -> str:
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as err:  # refusals are pages too
        return err.read().decode()


def _account_with_markup_everywhere(url: str, db_path) -> str:
    """A practice account whose every outside field holds ``injected(field)``; its SID."""
    ana = provision_account(url, friendly_name=injected("trainee"))
    sid = ana["account_sid"]
    client = make_client(sid, auth_token=ana["auth_token"], base_url=url)
    key = client.new_keys.create(friendly_name=injected("key"))
    service = client.messaging.v1.services.create(friendly_name=injected("service"))
    offer = client.available_phone_numbers("US").local.list(sms_enabled=True, limit=1)[0]
    number = client.incoming_phone_numbers.create(
        phone_number=offer.phone_number, friendly_name=injected("number-name")
    )
    client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="GOVTECH")
    message = client.messages.create(to="+6581234567", from_=number.phone_number, body="hi")
    try:  # a refused request: the board shows the newest one, its words and its path
        client.messaging.v1.services("MG" + "0" * 32).fetch()
    except TwilioRestException:
        pass
    with sandbox_file(db_path) as conn:  # each change committed at once
        for query, value in (
            ("UPDATE api_keys SET key_type = ? WHERE sid = ?", (injected("key-type"), key.sid)),
            ("UPDATE services SET usecase = ? WHERE sid = ?", (injected("usecase"), service.sid)),
            (
                "UPDATE alpha_senders SET alpha_sender = ? WHERE account_sid = ?",
                (injected("alpha"), sid),
            ),
            (
                "UPDATE incoming_numbers SET phone_number = ? WHERE sid = ?",
                (injected("number"), number.sid),
            ),
            (
                "UPDATE messages SET sender = ?, to_number = ? WHERE sid = ?",
                (injected("from"), injected("to"), message.sid),
            ),
            ("INSERT OR REPLACE INTO account_scenarios VALUES (?, ?)", (sid, injected("scenario"))),
            ("UPDATE request_errors SET message = ?", (injected("error-words"),)),
            ("UPDATE request_log SET path = ? WHERE status >= 400", (injected("error-request"),)),
            (
                "UPDATE accounts SET type = ?, status = ?, protected_sender_ids = ?,"
                " filtered_sender_ids = ?, message_step_seconds = ? WHERE sid = ?",
                (
                    injected("type"),
                    injected("status"),
                    json.dumps([injected("protected")]),
                    json.dumps([injected("filtered")]),
                    injected("step"),
                    sid,
                ),
            ),
        ):
            conn.execute(query, value)
    return sid


ACCOUNT_FIELDS = [
    "trainee", "type", "status", "key", "key-type", "service", "usecase", "alpha",
    "number", "number-name", "from", "to", "protected", "filtered", "step",
]  # fmt: skip
BOARD_FIELDS = ["trainee", "type", "status", "scenario", "error-words", "error-request"]


def test_every_console_page_shows_outside_markup_as_text(sandbox):
    sid = _account_with_markup_everywhere(sandbox.url, sandbox.db_path)
    trainer = trainer_browser(sandbox.url, sandbox.token_path.read_text().strip())
    url = sandbox.url

    assert_shown_as_text(_fetch(trainer, f"{url}/console"), ["trainee", "type", "status"])
    account_page = _fetch(trainer, f"{url}/console/{sid}")
    assert_shown_as_text(account_page, ACCOUNT_FIELDS)
    assert_shown_as_text(_fetch(trainer, f"{url}/console/board"), BOARD_FIELDS)

    # What a request itself carries: a login form's Account SID, a path, a button's action.
    stranger = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    login = urlencode({"account_sid": injected("login"), "auth_token": "x"}).encode()
    assert_shown_as_text(
        _fetch(stranger, urllib.request.Request(f"{url}/console/login", login)), ["login"]
    )
    assert_shown_as_text(_fetch(stranger, f"{url}/console/{injected('path')}"), ["path"])
    action = urlencode({"action": injected("action")}).encode()
    refused = _fetch(trainer, urllib.request.Request(f"{url}/console/{sid}/actions", action))
    assert_shown_as_text(refused, ["action"])


def test_the_page_templates_are_installed_with_the_package(tmp_path: Path):
    """A wheel built from the project (setuptools' build hook, as pip calls it) holds every
    template: an install that is not editable renders the same pages."""
    source = tmp_path / "project"
    shutil.copytree(
        ROOT / "onboarding_helpers",
        source / "onboarding_helpers",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    subprocess.run(
        [sys.executable, "-c", build, str(tmp_path)], cwd=source, check=True, capture_output=True
    )
    (wheel,) = tmp_path.glob("*.whl")
    folder = ROOT / "onboarding_helpers" / "sandbox" / "templates"
    templates = {
        f"onboarding_helpers/sandbox/templates/{p.name}" for p in folder.iterdir() if p.is_file()
    }
    assert len(templates) >= 5 and templates <= set(ZipFile(wheel).namelist())
