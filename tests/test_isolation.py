"""A cohort on one sandbox: a trainee can neither see nor change another trainee's practice account,
through the Twilio API (their credentials reach their own account only), the console (one
account's pages need its own login; the index and the board are the trainer's), or the runbook in
their class server (it never needs the trainer token, and never makes or replaces an account).

Files and kernels are kept apart by the class hub's system users: ``tests/hub``.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN, CredentialStore
from onboarding_helpers.errors import StepBlocked
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import admin, provision_account, snapshot
from onboarding_helpers.sandbox.board import foreign_requests
from onboarding_helpers.sandbox.console_login import ACCOUNT_COOKIE
from onboarding_helpers.training.hub.settings import ClassSettings
from onboarding_helpers.training.practice import (
    CLASS_HUB_VARIABLE,
    prepare_sandbox_account,
    start_scenario,
)
from onboarding_helpers.twilio_gateway import make_client

from .test_board import (
    new_browser,
    open_page,
    owner_browser,
    post_form,
    sandbox_file,
    trainer_browser,
)

SG_MOBILE = "+6581234567"


class Trainee:
    """One trainee's practice account with a key and a Messaging Service, as after step 04."""

    def __init__(self, url: str, name: str) -> None:
        account = provision_account(url, friendly_name=name)
        self.name, self.url = name, url
        self.sid, self.token = account["account_sid"], account["auth_token"]
        self.owner = make_client(self.sid, auth_token=self.token, base_url=url)
        key = self.owner.new_keys.create(friendly_name=f"{name} key")
        self.key_sid, self.secret = key.sid, key.secret
        self.keyed = make_client(self.sid, api_key_sid=key.sid, api_secret=key.secret, base_url=url)
        self.service = self.owner.messaging.v1.services.create(friendly_name=f"{name} service").sid

    def view(self) -> dict[str, object]:
        """What the sandbox holds for this account (the trainer's view), message times aside."""
        return snapshot(self.url, self.sid)


def _refused(attempt) -> int:
    with pytest.raises(TwilioException) as caught:  # lists raise the SDK's base exception
        attempt()
    error = caught.value
    status = error.status if isinstance(error, TwilioRestException) else None
    if status is None:
        status = int(re.search(r"HTTP (\d{3})", str(error)).group(1))  # type: ignore[union-attr]
    assert status in (401, 403, 404), error
    return status


def test_a_trainees_credentials_reach_only_their_own_account(sandbox):
    ana, ben, cat = (Trainee(sandbox.url, name) for name in ("ana", "ben", "cat"))
    before = {t.name: t.view() for t in (ben, cat)}

    for client in (ana.owner, ana.keyed):  # the Auth Token, and the API key as Postman uses it
        _refused(client.api.v2010.accounts(ben.sid).fetch)
        _refused(lambda c=client: c.api.v2010.accounts(ben.sid).messages.list())
        _refused(lambda c=client: c.messaging.v1.services(ben.service).fetch())
        _refused(lambda c=client: c.messaging.v1.services(cat.service).delete())
        _refused(lambda c=client: c.api.v2010.accounts(ben.sid).keys(ben.key_sid).delete())
        _refused(
            lambda c=client: c.api.v2010.accounts(ben.sid).messages.create(
                to=SG_MOBILE, from_=ben.service, body="not mine"
            )
        )
    # Sending From another trainee's Messaging Service, on one's own account: refused too.
    with pytest.raises(TwilioRestException):
        ana.keyed.messages.create(to=SG_MOBILE, from_=ben.service, body="not mine")
    # Another trainee's key SID with one's own secret, or one's token under their SID: 401.
    for username, password in ((ben.key_sid, ana.secret), (ben.sid, ana.token)):
        stranger = make_client(ben.sid, api_key_sid=username, api_secret=password, base_url=ana.url)
        assert _refused(stranger.messaging.v1.services.list) == 401

    # Nothing of theirs changed, and ana's own account still works for ana.
    assert {t.name: t.view() for t in (ben, cat)} == before
    assert [s.sid for s in ana.keyed.messaging.v1.services.list()] == [ana.service]
    assert [s.sid for s in ben.keyed.messaging.v1.services.list()] == [ben.service]

    # The request log sees every attempt as a cross-account request (the cohort benchmark's
    # count), and nothing else: each names ben's or cat's account or resource.
    with sandbox_file(sandbox.db_path) as conn:
        found = foreign_requests(conn)
    assert found and {f["account"] for f in found} == {ana.sid}
    assert all(set(f["others"]) <= {ben.sid, ben.service, ben.key_sid, cat.service} for f in found)


def test_the_console_shows_one_account_to_its_owner_and_everything_to_the_trainer(sandbox):
    ana, ben = Trainee(sandbox.url, "ana"), Trainee(sandbox.url, "ben")
    url = sandbox.url
    mine = owner_browser(url, ana.sid, ana.token)

    status, page, _ = open_page(mine, f"{url}/console/{ana.sid}")
    assert status == 200 and "Account Info" in page and ana.key_sid in page
    assert ana.token not in page  # masked, as before
    for path in (f"/console/{ben.sid}", f"/console?account={ben.sid}"):
        status, page, _ = open_page(mine, url + path)
        assert status == 403 and ben.key_sid not in page and "ben" not in page.split("<main>")[1]
    status, page, _ = open_page(
        mine, f"{url}/console"
    )  # the index of every account: trainer's only
    assert status == 200 and ben.sid not in page and "name='auth_token'" in page
    assert open_page(mine, f"{url}/console/board")[0] == 403
    # The owner's login reveals nothing the trainer's unlock guards.
    reveal = urllib.request.Request(
        f"{url}/console/{ana.sid}/auth-token", headers={"X-Console-Reveal": "1"}
    )
    status, page, _ = open_page(mine, reveal)  # type: ignore[arg-type]
    assert status == 403 and ana.token not in page
    assert post_form(mine, f"{url}/console/{ben.sid}/actions", {"action": "upgrade"}) == 403

    # Wrong token, another's SID with one's own token: no login.
    for sid, token in ((ben.sid, ana.token), (ana.sid, "0" * 32), ("not a sid", ana.token)):
        browser = new_browser()
        assert (
            post_form(browser, f"{url}/console/login", {"account_sid": sid, "auth_token": token})
            == 403
        )
        assert open_page(browser, f"{url}/console/{ben.sid}")[0] == 403

    # A cookie made up from ana's for ben's account is refused.
    signature = next(c.value for c in _cookies(mine) if c.name == ACCOUNT_COOKIE).split(".")[1]
    forged = new_browser()
    forged.addheaders = [("Cookie", f"{ACCOUNT_COOKIE}={ben.sid}.{signature}")]
    assert open_page(forged, f"{url}/console/{ben.sid}")[0] == 403

    trainer = trainer_browser(url, sandbox.token_path.read_text().strip())
    status, page, _ = open_page(trainer, f"{url}/console")
    assert status == 200 and ana.sid in page and ben.sid in page
    assert open_page(trainer, f"{url}/console/{ben.sid}")[0] == 200


def _cookies(opener: urllib.request.OpenerDirector) -> list:
    for handler in opener.handlers:
        if isinstance(handler, urllib.request.HTTPCookieProcessor):
            return list(handler.cookiejar)
    return []


# ---------------------------------------------------------------- the runbook in a class server


def _class_runbook(tmp_path: Path, url: str) -> Runbook:
    return Runbook(
        Settings(
            mode="sandbox",
            env_file=tmp_path / "work" / ".env.sandbox",
            state_dir=tmp_path / "work" / ".runbook",
            sandbox_dir=tmp_path / "work" / ".sandbox",
            base_url=url,
        )
    )


@contextmanager
def trainer_token_out_of_reach(sandbox) -> Iterator[None]:
    """This process as a trainee's server in a class: it cannot read the trainer token (the hub's
    folder is root's), has no token in its environment, and holds none that this sandbox proves
    (a token remembered from before is not the sandbox's). Any call of the admin API then fails
    with SandboxError; the token and its file are put back after."""
    token = sandbox.token_path.read_text().strip()
    hidden = sandbox.token_path.rename(sandbox.token_path.with_name("trainer.token.hidden"))
    admin.remember_token(sandbox.url, "not the trainer token")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv(admin.TOKEN_ENV, raising=False)
            yield
    finally:
        hidden.rename(sandbox.token_path)
        admin.remember_token(sandbox.url, token)


@pytest.fixture
def in_class(monkeypatch, sandbox):
    """A trainee's server: the class hub's variable set, and no way to reach the admin API."""
    monkeypatch.setenv(CLASS_HUB_VARIABLE, "test-class")
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    with trainer_token_out_of_reach(sandbox):
        yield


def test_step_00_in_a_class_checks_the_account_with_its_own_credentials(tmp_path, sandbox):
    ana = provision_account(sandbox.url, friendly_name="ana")
    rb = _class_runbook(tmp_path, sandbox.url)
    rb.settings.env_file.parent.mkdir(parents=True)
    rb.store.save({ACCOUNT_SID: ana["account_sid"], AUTH_TOKEN: ana["auth_token"]})
    with pytest.MonkeyPatch.context() as patch, trainer_token_out_of_reach(sandbox):
        patch.setenv(CLASS_HUB_VARIABLE, "test-class")
        result = prepare_sandbox_account(rb)
    assert result.account_sid == ana["account_sid"] and not result.provisioned
    with sandbox_file(sandbox.db_path) as conn:
        fetched = conn.execute(
            "SELECT auth_kind, status FROM request_log WHERE path = ?",
            (f"/2010-04-01/Accounts/{ana['account_sid']}.json",),
        ).fetchall()
    assert [(r["auth_kind"], r["status"]) for r in fetched] == [("auth_token", 200)]


def test_step_00_in_a_class_never_makes_or_replaces_an_account(tmp_path, sandbox, in_class):
    rb = _class_runbook(tmp_path, sandbox.url)
    rb.settings.env_file.parent.mkdir(parents=True)
    with pytest.raises(StepBlocked) as caught:  # no account at all
        prepare_sandbox_account(rb)
    assert "Ask your trainer" in str(caught.value) and "'ana'" in str(caught.value)
    assert not rb.settings.env_file.exists() or not rb.store.values().get(ACCOUNT_SID)

    wrong = {ACCOUNT_SID: "AC" + "1" * 32, AUTH_TOKEN: "2" * 32}  # wiped, or a wrong token
    rb.store.save(wrong)
    text = rb.settings.env_file.read_text()
    with pytest.raises(StepBlocked) as caught:
        prepare_sandbox_account(rb)
    assert wrong[ACCOUNT_SID] in str(caught.value) and wrong[AUTH_TOKEN] not in str(caught.value)
    assert rb.settings.env_file.read_text() == text  # nothing changed


def test_a_scenario_in_a_class_is_the_trainers_to_start(tmp_path, sandbox, in_class):
    rb = _class_runbook(tmp_path, sandbox.url)
    rb.settings.env_file.parent.mkdir(parents=True)
    rb.store.save({ACCOUNT_SID: "AC" + "3" * 32, AUTH_TOKEN: "4" * 32})
    text = rb.settings.env_file.read_text()
    with pytest.raises(StepBlocked) as caught:
        start_scenario(rb, "trial-account")
    assert caught.value.field == "scenario"
    assert "trainer" in caught.value.advice and "'ana'" in caught.value.advice
    assert rb.settings.env_file.read_text() == text
    assert not (rb.settings.state_dir / "progress.json").exists()


def test_a_trainees_server_gets_no_trainer_token(tmp_path):
    settings = ClassSettings(class_dir=tmp_path / "hub")
    env = settings.trainee_environment(Path("/home/ana"), "ana")
    assert env[CLASS_HUB_VARIABLE] and env["ONBOARDING_MODE"] == "sandbox"
    assert env["ONBOARDING_ENV_FILE"].startswith("/home/ana/")
    assert env["ONBOARDING_STATE_DIR"].startswith("/home/ana/")
    assert not any("TOKEN" in name for name in env)
    assert not any(str(settings.class_dir) in value for value in env.values())


def test_a_trainees_env_file_is_theirs_alone(tmp_path):
    store = CredentialStore(tmp_path / ".env.sandbox", mode="sandbox")
    store.save({ACCOUNT_SID: "AC" + "5" * 32, AUTH_TOKEN: "6" * 32})
    assert (tmp_path / ".env.sandbox").stat().st_mode & 0o077 == 0
