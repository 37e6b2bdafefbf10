"""The trainer's board: each practice account's progress read from the sandbox's own data (its
request log and resources), shown to the trainer only, with no secret and no full phone number.

Real sandbox, real ``twilio`` SDK: each milestone is earned the way a trainee's notebook earns it.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.base.exceptions import TwilioRestException

from onboarding_helpers.sandbox import SandboxServer, provision_account, set_account
from onboarding_helpers.sandbox.board import board_section, cohort_progress, foreign_requests
from onboarding_helpers.twilio_gateway import make_client

SG_MOBILE = "+6581234567"
SG_LANDLINE = "+6561234567"  # Singapore non-mobile: refused with 21614


@contextmanager
def sandbox_file(db_path: str | Path) -> Iterator[sqlite3.Connection]:
    """The sandbox's own database file, opened as its server opens it: columns by name, each
    statement committed at once (the board reads it so; a test may write what no API takes)."""
    conn = sqlite3.connect(db_path, timeout=10, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def new_browser() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor()
    )


def post_form(opener: urllib.request.OpenerDirector, url: str, form: dict[str, str]) -> int:
    try:
        with opener.open(urllib.request.Request(url, data=urlencode(form).encode()), timeout=10):
            return 200
    except urllib.error.HTTPError as err:
        return err.code


def open_page(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with opener.open(url, timeout=10) as page:
            return page.status, page.read().decode(), dict(page.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def trainer_browser(url: str, token: str) -> urllib.request.OpenerDirector:
    opener = new_browser()
    post_form(opener, f"{url}/console/unlock", {"token": token, "next": "/console"})
    return opener


def owner_browser(url: str, account_sid: str, auth_token: str) -> urllib.request.OpenerDirector:
    opener = new_browser()
    post_form(
        opener, f"{url}/console/login", {"account_sid": account_sid, "auth_token": auth_token}
    )
    return opener


def _board(sandbox) -> dict[str, object]:
    with sandbox_file(sandbox.db_path) as conn:
        return {p.trainee: p for p in cohort_progress(conn)}


def _wait_delivered(client, sid: str) -> None:
    deadline = time.monotonic() + 10
    while client.messages(sid).fetch().status != "delivered":
        assert time.monotonic() < deadline, "the test SMS was never delivered"
        time.sleep(0.05)


def _walk_every_milestone(url: str, ana: dict[str, str]) -> dict[str, str]:
    """What steps 01-07 do in Twilio, for ``ana``: returns the secrets they made."""
    sid = ana["account_sid"]
    owner = make_client(sid, auth_token=ana["auth_token"], base_url=url)
    first = owner.new_keys.create(friendly_name="postman key")
    keyed = make_client(sid, api_key_sid=first.sid, api_secret=first.secret, base_url=url)
    keyed.messaging.v1.services.list(limit=1)  # the secret verified
    service = owner.messaging.v1.services.create(friendly_name="Postman")
    owner.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="GOVTECH")
    # Postman's own send: API-key auth, From = the Messaging Service SID.
    sent = keyed.messages.create(to=SG_MOBILE, from_=service.sid, body="Test")
    _wait_delivered(owner, sent.sid)
    second = owner.new_keys.create(friendly_name="postman key 2")
    owner.api.v2010.accounts(sid).keys(first.sid).delete()
    keyed = make_client(sid, api_key_sid=second.sid, api_secret=second.secret, base_url=url)
    with pytest.raises(TwilioRestException):  # a landline: 21614, the trainee's last error
        keyed.messages.create(to=SG_LANDLINE, messaging_service_sid=service.sid, body="Test")
    return {"first": first.secret, "second": second.secret, "service": service.sid}


def test_each_milestone_comes_from_the_sandbox_data(sandbox):
    ana = provision_account(sandbox.url, friendly_name="ana")
    ben = provision_account(sandbox.url, friendly_name="ben")
    set_account(sandbox.url, ana["account_sid"], message_step_seconds=0.01)
    set_account(sandbox.url, ben["account_sid"], scenario="trial-account")

    before = _board(sandbox)["ana"]
    assert not any(before.milestones().values()) and before.last_error is None

    _walk_every_milestone(sandbox.url, ana)
    board = _board(sandbox)
    progress = board["ana"]
    assert progress.milestones() == {
        "key": True,
        "secret verified": True,
        "service": True,
        "alpha sender": True,
        "test SMS delivered": True,
        "Postman check": True,
        "rotation": True,
    }
    error = progress.last_error
    assert error is not None and error.status == 400 and error.code == 21614
    assert error.link == "https://www.twilio.com/docs/errors/21614"
    assert error.message and "6561234567" not in error.message  # the number masked
    assert error.request.startswith("POST /2010-04-01/Accounts/")

    quiet = board["ben"]
    assert quiet.scenario == "trial-account" and quiet.requests == 0
    assert not any(quiet.milestones().values()) and quiet.last_error is None


def test_a_message_sent_with_the_auth_token_is_not_the_postman_check(sandbox):
    ana = provision_account(sandbox.url, friendly_name="ana")
    set_account(sandbox.url, ana["account_sid"], message_step_seconds=0.01)
    owner = make_client(ana["account_sid"], auth_token=ana["auth_token"], base_url=sandbox.url)
    service = owner.messaging.v1.services.create(friendly_name="Postman")
    owner.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender="GOVTECH")
    sent = owner.messages.create(to=SG_MOBILE, messaging_service_sid=service.sid, body="Hi")
    _wait_delivered(owner, sent.sid)
    progress = _board(sandbox)["ana"]
    # Delivered, but Postman sends with an API key and From=MG: not yet the Postman check.
    assert progress.delivered and not progress.postman_check and not progress.secret_verified
    assert not progress.key and not progress.rotation
    first = owner.new_keys.create(friendly_name="k")
    keyed = make_client(
        ana["account_sid"], api_key_sid=first.sid, api_secret=first.secret, base_url=sandbox.url
    )
    keyed.messages.create(to=SG_MOBILE, messaging_service_sid=service.sid, body="Hi")
    progress = _board(sandbox)["ana"]
    assert progress.secret_verified and progress.key and not progress.postman_check


def test_the_board_page_is_the_trainers_and_shows_no_secret(sandbox):
    ana = provision_account(sandbox.url, friendly_name="ana")
    ben = provision_account(sandbox.url, friendly_name="ben <b>")
    set_account(sandbox.url, ana["account_sid"], message_step_seconds=0.01)
    made = _walk_every_milestone(sandbox.url, ana)
    token = sandbox.token_path.read_text().strip()

    status, page, headers = open_page(
        trainer_browser(sandbox.url, token), f"{sandbox.url}/console/board"
    )
    assert status == 200 and int(headers["Refresh"]) <= 10
    assert "Trainer's board" in page and ">ana<" in page and "ben &lt;b&gt;" in page
    assert "21614" in page and "https://www.twilio.com/docs/errors/21614" in page
    for secret in (ana["auth_token"], ben["auth_token"], made["first"], made["second"], token):
        assert secret not in page
    assert "6581234567" not in page and "6561234567" not in page

    # A trainee's own login does not open it, nor does nothing, nor their Auth Token as a token.
    own = owner_browser(sandbox.url, ana["account_sid"], ana["auth_token"])
    for opener in (own, new_browser(), trainer_browser(sandbox.url, ana["auth_token"])):
        status, page, _ = open_page(opener, f"{sandbox.url}/console/board")
        assert status == 403 and "name='token'" in page and ana["account_sid"] not in page


def test_foreign_requests_name_another_accounts_resource(sandbox):
    ana = provision_account(sandbox.url, friendly_name="ana")
    ben = provision_account(sandbox.url, friendly_name="ben")
    ben_client = make_client(ben["account_sid"], auth_token=ben["auth_token"], base_url=sandbox.url)
    ben_service = ben_client.messaging.v1.services.create(friendly_name="Ben's")
    ana_client = make_client(ana["account_sid"], auth_token=ana["auth_token"], base_url=sandbox.url)
    ana_client.messaging.v1.services.list()

    with sandbox_file(sandbox.db_path) as conn:
        assert foreign_requests(conn) == []

    with pytest.raises(TwilioRestException):  # ana asks for ben's service: refused
        ana_client.messaging.v1.services(ben_service.sid).fetch()
    with sandbox_file(sandbox.db_path) as conn:
        found = foreign_requests(conn)
    assert [(f["account"], f["others"]) for f in found] == [(ana["account_sid"], [ben_service.sid])]


def test_an_empty_board_says_so():
    assert "No practice account yet" in board_section([])


def test_a_sandbox_file_from_before_the_board_still_opens(tmp_path):
    path = tmp_path / "old.sqlite3"
    with SandboxServer(path):
        pass  # the file as a sandbox leaves it
    with sandbox_file(path) as conn:  # as one from before the board has it
        conn.execute("DROP TABLE request_errors")
        conn.execute("DROP TABLE account_scenarios")
    with SandboxServer(path) as server:  # opening the file again brings the tables back
        token = server.token_path.read_text().strip()
        status, page, _ = open_page(
            trainer_browser(server.url, token), f"{server.url}/console/board"
        )
    assert status == 200 and "No practice account yet" in page
    with sandbox_file(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"request_errors", "account_scenarios"} <= names
