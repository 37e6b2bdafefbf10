"""The sandbox Twilio, driven through the real twilio SDK."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from onboarding_helpers import sandbox
from onboarding_helpers.sandbox import SandboxServer
from onboarding_helpers.sandbox.resources.alpha_senders import ALPHA_REFUSED

ROOT = Path(__file__).resolve().parents[1]
RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")
ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SG_MOBILE = "+6591234567"


class SandboxHttpClient(TwilioHttpClient):
    """Sends the SDK's https://*.twilio.com requests to the sandbox instead (test-only copy)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=5)
        self.base_url = base_url.rstrip("/")
        if self.session is not None:
            self.session.trust_env = False  # never send loopback traffic to an env proxy

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        url = re.sub(r"^https://[a-z0-9.-]+\.twilio\.com", self.base_url, url)
        return super().request(method, url, *args, **kwargs)

    def last_json(self) -> Any:
        assert self._test_only_last_response is not None
        return json.loads(self._test_only_last_response.text)


class Acct:
    def __init__(self, url: str, **fields: Any) -> None:
        creds = sandbox.provision_account(url, **fields)
        self.url = url
        self.sid = creds["account_sid"]
        self.token = creds["auth_token"]
        self.http = SandboxHttpClient(url)
        self.client = Client(self.sid, self.token, http_client=self.http)

    def key_client(self) -> tuple[Client, SandboxHttpClient, str, str]:
        key = self.client.new_keys.create(friendly_name="Postman")
        http = SandboxHttpClient(self.url)
        return Client(key.sid, key.secret, self.sid, http_client=http), http, key.sid, key.secret

    def service(self, alpha: str | None = "MyAgency") -> str:
        mg = self.client.messaging.v1.services.create(friendly_name="Campaigns").sid
        if alpha:
            self.client.messaging.v1.services(mg).alpha_senders.create(alpha_sender=alpha)
        return mg


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3") as srv:
        yield srv


@pytest.fixture
def acct(server: SandboxServer) -> Acct:
    return Acct(server.url)


def rest_error(exc: pytest.ExceptionInfo[TwilioRestException], status: int, code: int) -> None:
    assert type(exc.value) is TwilioRestException
    assert (exc.value.status, exc.value.code) == (status, code), exc.value.msg


# ---------------------------------------------------------------- accounts and auth


def test_account_fetch_wire_format(acct: Acct) -> None:
    account = acct.client.api.v2010.accounts(acct.sid).fetch()
    assert (account.sid, account.type, account.status) == (acct.sid, "Full", "active")
    raw = acct.http.last_json()
    assert RFC2822.match(raw["date_created"]) and RFC2822.match(raw["date_updated"])
    assert raw["owner_account_sid"] == acct.sid
    assert "auth_token" not in raw
    assert re.fullmatch(r"AC[0-9a-f]{32}", acct.sid) and re.fullmatch(r"[0-9a-f]{32}", acct.token)
    assert [a.sid for a in acct.client.api.v2010.accounts.list()] == [acct.sid]


def test_wrong_token_is_20003(acct: Acct) -> None:
    bad = Client(acct.sid, "0" * 32, http_client=SandboxHttpClient(acct.url))
    with pytest.raises(TwilioRestException) as exc:
        bad.api.v2010.accounts(acct.sid).fetch()
    rest_error(exc, 401, 20003)
    assert exc.value.msg.endswith("Authenticate")
    with pytest.raises(TwilioException) as listing:
        bad.messaging.v1.services.list()
    assert type(listing.value) is TwilioException
    body = json.loads(listing.value.args[1].text)
    assert body == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_api_keys_lifecycle_and_standard_key_limits(acct: Acct) -> None:
    key_client, key_http, sk, secret = acct.key_client()
    raw = acct.http.last_json()
    assert re.fullmatch(r"SK[0-9a-f]{32}", sk) and re.fullmatch(r"[A-Za-z0-9]{32}", secret)
    assert raw["secret"] == secret and RFC2822.match(raw["date_created"])
    assert acct.http._test_only_last_response.status_code == 201
    assert sk in [k.sid for k in acct.client.keys.list()]
    assert acct.client.keys(sk).fetch().friendly_name == "Postman"
    assert "secret" not in acct.http.last_json()

    # A Standard key may use everything but the Accounts and Keys resources.
    assert key_client.messaging.v1.services.list() == []
    assert key_client.incoming_phone_numbers.list() == []
    with pytest.raises(TwilioRestException) as exc:
        key_client.api.v2010.accounts(acct.sid).fetch()
    rest_error(exc, 401, 20003)
    with pytest.raises(TwilioRestException) as exc:
        key_client.new_keys.create(friendly_name="sneaky")
    rest_error(exc, 401, 20003)
    with pytest.raises(TwilioRestException) as exc:
        key_client.keys(sk).delete()
    rest_error(exc, 401, 20003)
    with pytest.raises(TwilioException) as listing:
        key_client.keys.list()
    assert type(listing.value) is TwilioException
    with pytest.raises(TwilioException):
        key_client.api.v2010.accounts.list()

    with pytest.raises(TwilioRestException) as exc:
        acct.client.new_keys.create(friendly_name="x" * 65)
    rest_error(exc, 400, 20001)

    assert acct.client.keys(sk).delete() is True
    assert acct.client.http_client._test_only_last_response.status_code == 204
    with pytest.raises(TwilioRestException) as exc:
        key_client.messaging.v1.services.create(friendly_name="after delete")
    rest_error(exc, 401, 20003)
    with pytest.raises(TwilioRestException) as exc:
        acct.client.keys(sk).fetch()
    rest_error(exc, 404, 20404)


def test_key_works_only_in_its_own_account(acct: Acct, server: SandboxServer) -> None:
    other = Acct(server.url)
    _, _, sk, secret = acct.key_client()
    # Without account_sid the SDK puts the key SID in the path: Twilio answers "not found".
    no_account = Client(sk, secret, http_client=SandboxHttpClient(acct.url))
    with pytest.raises(TwilioRestException) as exc:
        no_account.messages.create(to=SG_MOBILE, from_="MG" + "0" * 32, body="hi")
    rest_error(exc, 404, 20404)
    wrong = Client(sk, secret, other.sid, http_client=SandboxHttpClient(acct.url))
    with pytest.raises(TwilioRestException) as exc:
        wrong.incoming_phone_numbers.create(phone_number="+14155550100")
    rest_error(exc, 401, 20003)
    with pytest.raises(TwilioRestException) as exc:
        acct.client.api.v2010.accounts(other.sid).fetch()
    rest_error(exc, 404, 20404)


def test_suspended_account(acct: Acct) -> None:
    mg = acct.service()
    sandbox.set_account(acct.url, acct.sid, status="suspended")
    assert acct.client.api.v2010.accounts(acct.sid).fetch().status == "suspended"
    with pytest.raises(TwilioRestException) as exc:
        acct.client.messages.create(to=SG_MOBILE, from_=mg, body="hi")
    rest_error(exc, 403, 20005)
    with pytest.raises(TwilioException):
        acct.client.messaging.v1.services.list()
    sandbox.set_account(acct.url, acct.sid, status="active")
    assert len(acct.client.messaging.v1.services.list()) == 1


def test_unknown_path_and_method(acct: Acct) -> None:
    resp = acct.http.request(
        "GET", "https://api.twilio.com/2010-04-01/Nothing.json", auth=(acct.sid, acct.token)
    )
    assert resp.status_code == 404 and json.loads(resp.text)["code"] == 20404
    resp = acct.http.request(
        "PUT", "https://messaging.twilio.com/v1/Services", auth=(acct.sid, acct.token)
    )
    assert resp.status_code == 405


# ---------------------------------------------------------------- messaging services


def test_services_crud_and_paging(acct: Acct) -> None:
    services = acct.client.messaging.v1.services
    created = [services.create(friendly_name=f"svc {i}", usecase="notifications") for i in range(3)]
    raw = acct.http.last_json()
    assert ISO8601.match(raw["date_created"]) and raw["usecase"] == "notifications"
    assert raw["url"] == f"https://messaging.twilio.com/v1/Services/{created[-1].sid}"
    for field in ("sticky_sender", "smart_encoding", "us_app_to_person_registered", "links"):
        assert field in raw
    assert re.fullmatch(r"MG[0-9a-f]{32}", created[0].sid)

    # page_size=2 forces the SDK to follow meta.next_page_url (an absolute twilio.com URL).
    assert [s.sid for s in services.list(page_size=2)] == [s.sid for s in created]
    page = services.page(page_size=2)
    meta = acct.http.last_json()["meta"]  # the page as the sandbox sent it
    assert meta["key"] == "services" and meta["page"] == 0 and meta["page_size"] == 2
    assert meta["next_page_url"].startswith("https://messaging.twilio.com/v1/Services?")
    assert meta["previous_page_url"] is None
    assert page.next_page().next_page_url is None

    fetched = services(created[0].sid).fetch()
    assert fetched.friendly_name == "svc 0" and fetched.date_created.tzinfo is not None
    assert services(created[0].sid).update(friendly_name="renamed").friendly_name == "renamed"
    assert services(created[0].sid).delete() is True
    with pytest.raises(TwilioRestException) as exc:
        services(created[0].sid).fetch()
    rest_error(exc, 404, 20404)
    with pytest.raises(TwilioRestException) as exc:
        services.create(friendly_name="bad", usecase="spam")
    rest_error(exc, 400, 20001)
    with pytest.raises(TwilioRestException) as exc:
        services.create(friendly_name="")
    rest_error(exc, 400, 20001)
    with pytest.raises(TwilioRestException) as exc:
        services.create(friendly_name="x" * 65)
    rest_error(exc, 400, 20001)


def test_alpha_senders(acct: Acct, server: SandboxServer) -> None:
    mg = acct.service(alpha=None)
    senders = acct.client.messaging.v1.services(mg).alpha_senders
    for bad in ("", "123456", "TOOLONGNAME12", "Bad.Dot", "At@Sign"):
        with pytest.raises(TwilioRestException) as exc:
            senders.create(alpha_sender=bad)
        rest_error(exc, 400, 21709)
        assert exc.value.msg.endswith(ALPHA_REFUSED)  # Twilio's words, whatever the cause
    ai = senders.create(alpha_sender="My Agency-1")
    raw = acct.http.last_json()
    assert re.fullmatch(r"AI[0-9a-f]{32}", ai.sid) and ai.capabilities == ["SMS"]
    assert raw["service_sid"] == mg and ISO8601.match(raw["date_updated"])
    with pytest.raises(TwilioRestException) as exc:
        senders.create(alpha_sender="Another")
    rest_error(exc, 400, 21714)
    assert [a.alpha_sender for a in senders.list()] == ["My Agency-1"]
    assert senders(ai.sid).fetch().alpha_sender == "My Agency-1"
    assert senders(ai.sid).delete() is True
    assert senders.list() == []

    # An ID another organisation registered with SGNIC is added: Twilio cannot see the registry.
    senders.create(alpha_sender="govsg")
    assert [a.alpha_sender for a in senders.list()] == ["govsg"]

    trial = Acct(server.url, type="Trial")
    trial_mg = trial.service(alpha=None)
    with pytest.raises(TwilioRestException) as exc:
        trial.client.messaging.v1.services(trial_mg).alpha_senders.create(alpha_sender="MyAgency")
    rest_error(exc, 400, 21709)
    # Trial accounts never have alpha senders, whatever the setting says.
    sandbox.set_account(server.url, trial.sid, alpha_sender_enabled=True)
    with pytest.raises(TwilioRestException) as exc:
        trial.client.messaging.v1.services(trial_mg).alpha_senders.create(alpha_sender="MyAgency")
    rest_error(exc, 400, 21709)


def test_alpha_senders_switched_off_refuse_with_21709_until_switched_on(acct: Acct) -> None:
    settings = sandbox.set_account(acct.url, acct.sid, alpha_sender_enabled=False)
    assert settings["alpha_sender_enabled"] is False
    mg = acct.service(alpha=None)
    senders = acct.client.messaging.v1.services(mg).alpha_senders
    with pytest.raises(TwilioRestException) as exc:
        senders.create(alpha_sender="GOVTECH")
    rest_error(exc, 400, 21709)
    assert exc.value.msg.endswith(ALPHA_REFUSED)
    assert senders.list() == []

    sandbox.set_account(acct.url, acct.sid, alpha_sender_enabled="true")
    assert senders.create(alpha_sender="GOVTECH").alpha_sender == "GOVTECH"


def _final(acct: Acct, mg: str, to: str) -> Any:
    """Send through service ``mg`` (steps of 0 s) and fetch the message as it ends."""
    sid = acct.client.messages.create(to=to, from_=mg, body="x").sid
    return acct.client.messages(sid).fetch()


@pytest.mark.parametrize(
    ("to", "status", "error", "from_alpha"),
    [
        ("+6581234567", "delivered", None, True),  # registered in Singapore by default
        ("+447911123456", "delivered", None, True),  # the UK takes it as is
        ("+60123456789", "delivered", None, True),  # Malaysia too (operators replace it)
        ("+81901234567", "delivered", None, True),  # Japan
        ("+66812345678", "failed", 30007, True),  # Thailand: registration required
        ("+639171234567", "failed", 30007, True),  # the Philippines too
        ("+27821234567", "delivered", None, True),  # another country: the default rule
    ],
)
def test_the_sender_id_goes_wherever_the_country_takes_one(
    acct: Acct, to: str, status: str, error: int | None, from_alpha: bool
) -> None:
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0)
    mg = acct.service(alpha="MyAgency")
    msg = _final(acct, mg, to)
    assert (msg.status, msg.error_code, msg.from_) == (status, error, "MyAgency")


def test_registering_the_id_in_a_country_lets_it_through(acct: Acct) -> None:
    sandbox.set_account(
        acct.url, acct.sid, message_step_seconds=0, alpha_registered_countries="SG,TH"
    )
    msg = _final(acct, acct.service(alpha="MyAgency"), "+66812345678")
    assert (msg.status, msg.from_) == ("delivered", "MyAgency")
    sandbox.set_account(acct.url, acct.sid, alpha_registered_countries="")
    msg = _final(acct, acct.service(alpha="MyAgency"), "+6581234567")
    assert (msg.status, msg.error_code) == ("failed", 30007)  # not registered in Singapore


def test_a_protected_id_is_blocked_in_singapore_only(acct: Acct) -> None:
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0)
    mg = acct.service(alpha="GOVSG")  # in the default protected list
    assert (
        _final(acct, mg, "+6581234567").error_code,
        _final(acct, mg, "+447911123456").status,
    ) == (
        30007,
        "delivered",
    )


def test_where_alpha_is_not_taken_a_pool_number_goes_and_the_us_needs_it_registered(
    acct: Acct,
) -> None:
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0)
    mg = acct.service(alpha="MyAgency")
    for to in ("+14155550123", "+14165550123", "+821012345678", "+64211234567"):
        with pytest.raises(TwilioRestException) as exc:
            acct.client.messages.create(to=to, from_=mg, body="x")
        rest_error(exc, 400, 21612)
    offer = acct.client.available_phone_numbers("US").local.list(limit=1)[0]
    pn = acct.client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    acct.client.messaging.v1.services(mg).phone_numbers.create(phone_number_sid=pn.sid)

    us = _final(acct, mg, "+14155550123")
    assert (us.status, us.error_code, us.from_) == ("failed", 30034, offer.phone_number)
    assert us.price is None  # failed messages are not priced
    for to in ("+14165550123", "+821012345678"):  # Canada, South Korea: from the number
        other = _final(acct, mg, to)
        assert (other.status, other.from_) == ("delivered", offer.phone_number)
    assert _final(acct, mg, "+6581234567").from_ == "MyAgency"  # Singapore keeps the ID

    sandbox.set_account(acct.url, acct.sid, us_senders_registered=True)
    registered = _final(acct, mg, "+14155550123")
    assert (registered.status, registered.from_) == ("delivered", offer.phone_number)


def test_delivery_settings_are_checked_and_shown(acct: Acct) -> None:
    settings = sandbox.snapshot(acct.url, acct.sid)["account"]
    assert settings["alpha_sender_enabled"] is True
    assert settings["alpha_registered_countries"] == ["SG"]
    assert settings["us_senders_registered"] is False
    for bad in ({"alpha_sender_enabled": "maybe"}, {"alpha_registered_countries": "Singapore"}):
        with pytest.raises(sandbox.SandboxError):
            sandbox.set_account(acct.url, acct.sid, **bad)
    assert sandbox.snapshot(acct.url, acct.sid)["account"] == settings  # nothing changed


# ---------------------------------------------------------------- phone numbers


def test_available_and_incoming_numbers(acct: Acct) -> None:
    found = acct.client.available_phone_numbers("US").local.list(sms_enabled=True, limit=3)
    raw = acct.http.last_json()
    assert len(found) == 3 and raw["next_page_uri"] is None
    assert "SmsEnabled=true" in raw["uri"] and "PageSize=3" in raw["uri"]
    assert all(re.fullmatch(r"\+1\d{3}5550\d{3}", n.phone_number) for n in found)
    assert found[0].capabilities["sms"] is True and found[0].iso_country == "US"

    bought = [acct.client.incoming_phone_numbers.create(phone_number=n.phone_number) for n in found]
    raw = acct.http.last_json()
    assert re.fullmatch(r"PN[0-9a-f]{32}", bought[0].sid)
    assert raw["capabilities"] == {"voice": True, "sms": True, "mms": True, "fax": False}
    assert RFC2822.match(raw["date_created"]) and raw["uri"].endswith(f"{bought[-1].sid}.json")
    again = acct.client.available_phone_numbers("US").local.list(sms_enabled=True, limit=3)
    assert not {n.phone_number for n in again} & {n.phone_number for n in found}

    # v2010 paging: next_page_uri is relative and the SDK makes it absolute on api.twilio.com.
    listed = acct.client.incoming_phone_numbers.list(page_size=2)
    assert [n.sid for n in listed] == [n.sid for n in bought]
    acct.client.incoming_phone_numbers.page(page_size=2)
    payload = acct.http.last_json()  # the page as the sandbox sent it
    for field in ("first_page_uri", "end", "previous_page_uri", "uri", "page_size", "start"):
        assert field in payload
    assert payload["next_page_uri"].startswith(f"/2010-04-01/Accounts/{acct.sid}/Incoming")
    assert (payload["page"], payload["page_size"], payload["start"], payload["end"]) == (0, 2, 0, 1)

    with pytest.raises(TwilioRestException) as exc:
        acct.client.incoming_phone_numbers.create(phone_number=found[0].phone_number)
    rest_error(exc, 400, 21422)
    with pytest.raises(TwilioRestException) as exc:
        acct.client.incoming_phone_numbers.create(phone_number="not a number")
    rest_error(exc, 400, 21421)
    assert acct.client.incoming_phone_numbers(bought[2].sid).delete() is True
    assert len(acct.client.incoming_phone_numbers.list()) == 2


def test_trial_may_buy_one_number(server: SandboxServer) -> None:
    trial = Acct(server.url, type="Trial")
    numbers = trial.client.available_phone_numbers("US").local.list(sms_enabled=True, limit=2)
    trial.client.incoming_phone_numbers.create(phone_number=numbers[0].phone_number)
    with pytest.raises(TwilioRestException) as exc:
        trial.client.incoming_phone_numbers.create(phone_number=numbers[1].phone_number)
    rest_error(exc, 400, 21404)


def test_service_phone_numbers(acct: Acct) -> None:
    number = acct.client.available_phone_numbers("US").local.list(limit=1)[0]
    pn = acct.client.incoming_phone_numbers.create(phone_number=number.phone_number).sid
    mg, mg2 = acct.service(alpha=None), acct.service(alpha=None)
    pool = acct.client.messaging.v1.services(mg).phone_numbers
    added = pool.create(phone_number_sid=pn)
    raw = acct.http.last_json()
    assert (added.sid, added.phone_number, added.service_sid) == (pn, number.phone_number, mg)
    assert ISO8601.match(raw["date_created"]) and "SMS" in raw["capabilities"]
    with pytest.raises(TwilioRestException) as exc:
        pool.create(phone_number_sid=pn)
    rest_error(exc, 409, 21710)
    with pytest.raises(TwilioRestException) as exc:
        acct.client.messaging.v1.services(mg2).phone_numbers.create(phone_number_sid=pn)
    rest_error(exc, 409, 21712)
    with pytest.raises(TwilioRestException) as exc:
        pool.create(phone_number_sid="PN" + "0" * 32)
    rest_error(exc, 400, 21421)
    assert [p.phone_number for p in pool.list()] == [number.phone_number]
    assert pool(pn).fetch().sid == pn
    assert pool(pn).delete() is True
    assert acct.client.messaging.v1.services(mg2).phone_numbers.create(phone_number_sid=pn)


# ---------------------------------------------------------------- messages


def _wait_final(client: Client, sid: str, final: set[str], timeout: float = 3.0) -> Any:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        msg = client.messages(sid).fetch()
        if not seen or seen[-1] != msg.status:
            seen.append(msg.status)
        if msg.status in final or time.monotonic() > deadline:
            return msg, seen
        time.sleep(0.01)


def test_send_like_postman_and_status_progression(acct: Acct) -> None:
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0.03)
    mg = acct.service()
    key_client, key_http, _, _ = acct.key_client()
    msg = key_client.messages.create(to=SG_MOBILE, from_=mg, body="Your credential works")
    raw = key_http.last_json()
    assert key_http._test_only_last_response.status_code == 201
    assert re.fullmatch(r"SM[0-9a-f]{32}", msg.sid)
    assert (msg.status, msg.messaging_service_sid, msg.direction) == (
        "accepted",
        mg,
        "outbound-api",
    )
    assert raw["from"] is None and RFC2822.match(raw["date_created"]) and raw["date_sent"] is None
    assert raw["api_version"] == "2010-04-01" and raw["num_segments"] == "1"

    final, seen = _wait_final(key_client, msg.sid, {"delivered"})
    order = ["accepted", "queued", "sending", "sent", "delivered"]
    assert seen == sorted(seen, key=order.index) and final.status == "delivered"
    assert final.from_ == "MyAgency" and final.error_code is None
    assert RFC2822.match(key_http.last_json()["date_sent"]) and final.price.startswith("-")

    via_param = acct.client.messages.create(to=SG_MOBILE, messaging_service_sid=mg, body="x")
    assert via_param.status == "accepted"
    assert [m.sid for m in acct.client.messages.list(limit=2)] == [via_param.sid, msg.sid]


def test_message_failure_modes(acct: Acct) -> None:
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0.01)
    mg = acct.service()
    send = acct.client.messages.create

    undelivered = send(to="+6591230008", from_=mg, body="x").sid
    stuck = send(to="+6591239999", from_=mg, body="x").sid
    sandbox.set_account(acct.url, acct.sid, filtered_sender_ids=["myagency"])
    filtered = send(to=SG_MOBILE, from_=mg, body="x").sid
    time.sleep(0.1)
    got = {sid: acct.client.messages(sid).fetch() for sid in (undelivered, stuck, filtered)}
    assert (got[undelivered].status, got[undelivered].error_code) == ("undelivered", 30008)
    assert (got[stuck].status, got[stuck].error_code) == ("sent", None)
    assert (got[filtered].status, got[filtered].error_code) == ("failed", 30007)


def test_message_create_errors(acct: Acct, server: SandboxServer) -> None:
    mg = acct.service()
    send = acct.client.messages.create
    cases = [
        ({"to": "", "from_": mg, "body": "x"}, 21604),
        ({"to": "91234567", "from_": mg, "body": "x"}, 21211),
        ({"to": SG_MOBILE, "from_": "MG" + "0" * 32, "body": "x"}, 21701),
        ({"to": SG_MOBILE, "messaging_service_sid": "MG" + "1" * 32, "body": "x"}, 21701),
        ({"to": SG_MOBILE, "from_": "+15005550006", "body": "x"}, 21606),
        ({"to": SG_MOBILE, "from_": mg, "body": ""}, 21602),
        ({"to": SG_MOBILE, "from_": acct.service(alpha=None), "body": "x"}, 21703),
        ({"to": "+6561234567", "from_": mg, "body": "x"}, 21614),
        ({"to": "+14155550123", "from_": mg, "body": "x"}, 21612),
    ]
    for kwargs, code in cases:
        with pytest.raises(TwilioRestException) as exc:
            send(**kwargs)
        rest_error(exc, 400, code)

    # With a US number in the pool, foreign recipients get the number as sender.
    number = acct.client.available_phone_numbers("US").local.list(limit=1)[0]
    pn = acct.client.incoming_phone_numbers.create(phone_number=number.phone_number).sid
    acct.client.messaging.v1.services(mg).phone_numbers.create(phone_number_sid=pn)
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0)
    sid = send(to="+14155550123", from_=mg, body="x").sid
    assert acct.client.messages(sid).fetch().from_ == number.phone_number
    direct = send(to="+14155550124", from_=number.phone_number, body="x")
    assert (direct.status, direct.messaging_service_sid) == ("queued", None)

    trial = Acct(server.url, type="Trial")
    with pytest.raises(TwilioRestException) as exc:
        trial.client.messages.create(to=SG_MOBILE, from_=trial.service(alpha=None), body="x")
    rest_error(exc, 400, 21608)


# ---------------------------------------------------------------- admin, log, storage


def test_request_log_and_snapshot(acct: Acct) -> None:
    key_client, _, sk, secret = acct.key_client()
    mg = acct.service()
    key_client.messaging.v1.services(mg).fetch()
    with pytest.raises(TwilioException):
        Client(acct.sid, "wrong" * 6, http_client=SandboxHttpClient(acct.url)).messages.list()
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{acct.url}/2010-04-01/Accounts/{acct.sid}.json")

    rows = sandbox.request_log(acct.url, acct.sid)
    kinds = {(r["auth_kind"], r["auth_username"]) for r in rows}
    assert ("auth_token", acct.sid) in kinds and ("api_key", sk) in kinds
    assert ("bad", acct.sid) in kinds
    assert ("none", None) in kinds  # the unauthenticated call is filed under the path's account
    create = next(r for r in rows if r["method"] == "POST" and r["path"] == "/v1/Services")
    assert create["form"] == {"FriendlyName": "Campaigns"} and create["status"] == 201
    assert create["user_agent"].startswith("twilio-python/") and create["duration_ms"] >= 0
    assert next(r for r in rows if r["auth_kind"] == "bad")["error_code"] == 20003
    dumped = json.dumps(sandbox.request_log(acct.url))
    assert acct.token not in dumped and secret not in dumped and "Basic " not in dumped

    snap = sandbox.snapshot(acct.url, acct.sid)
    assert snap["account"]["type"] == "Full" and snap["keys"][0]["sid"] == sk
    assert snap["services"][0]["alpha_senders"][0]["alpha_sender"] == "MyAgency"
    text = json.dumps(snap)
    assert acct.token not in text and secret not in text and "sha256" not in text


def test_secrets_hashed_on_disk_and_state_survives_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    with SandboxServer(db) as first:
        acct = Acct(first.url)
        _, _, sk, secret = acct.key_client()
        mg = acct.service()
    disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(db.name))
    assert secret.encode() not in disk and sk.encode() in disk
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # the file holds auth tokens
    with SandboxServer(db) as second:
        assert second.url  # any free port; the state comes from the file
        client = Client(sk, secret, acct.sid, http_client=SandboxHttpClient(second.url))
        assert client.messaging.v1.services(mg).fetch().sid == mg
        fetched = Client(acct.sid, acct.token, http_client=SandboxHttpClient(second.url))
        assert fetched.api.v2010.accounts(acct.sid).fetch().sid == acct.sid


def test_a_stopped_sandbox_answers_nothing_even_on_an_open_connection(tmp_path: Path) -> None:
    """The SDK keeps its connection open between requests; once the sandbox is stopped, a request
    on that connection fails as on any other: nothing answers from a server that has gone."""
    with SandboxServer(tmp_path / "sandbox.sqlite3") as server:
        acct = Acct(server.url)
        acct.client.api.v2010.accounts(acct.sid).fetch()  # the connection is now open, kept alive
    with pytest.raises(requests.ConnectionError):
        acct.client.api.v2010.accounts(acct.sid).fetch()


def test_concurrent_requests(acct: Acct) -> None:
    mg = acct.service()
    sandbox.set_account(acct.url, acct.sid, message_step_seconds=0)

    def send(i: int) -> str:
        client = Client(acct.sid, acct.token, http_client=SandboxHttpClient(acct.url))
        return client.messages.create(to=SG_MOBILE, from_=mg, body=f"n{i}").sid

    with ThreadPoolExecutor(max_workers=8) as pool:
        sids = list(pool.map(send, range(40)))
    assert len(set(sids)) == 40
    assert len(acct.client.messages.list()) == 40


def test_request_log_records_server_time(acct: Acct) -> None:
    # Latency targets are measured by benchmarks/, not asserted here: timed tests flake on a
    # shared machine. This only checks the figure the benchmark reads is recorded.
    mg = acct.service()
    acct.client.messaging.v1.services(mg).fetch()
    served = [r["duration_ms"] for r in sandbox.request_log(acct.url, acct.sid)]
    assert served and all(isinstance(ms, (int, float)) and ms >= 0 for ms in served)


def test_admin_errors(server: SandboxServer, acct: Acct) -> None:
    with pytest.raises(sandbox.SandboxError):
        sandbox.set_account(server.url, acct.sid, type="Premium")
    with pytest.raises(sandbox.SandboxError):
        sandbox.set_account(server.url, acct.sid, colour="blue")
    with pytest.raises(sandbox.SandboxError):
        sandbox.snapshot(server.url, "AC" + "0" * 32)
    settings = sandbox.set_account(server.url, acct.sid, type="Trial", message_step_seconds=1.5)
    assert (settings["type"], settings["message_step_seconds"]) == ("Trial", 1.5)
    assert settings["protected_sender_ids"] == ["GOVSG", "SINGPASS", "DBS", "OCBC"]
    assert "auth_token" not in settings


def test_ensure_running_spawns_reuses_and_stops(tmp_path: Path) -> None:
    sandbox_dir = tmp_path / "state" / "sandbox"
    url = sandbox.ensure_running(sandbox_dir)
    try:
        assert stat.S_IMODE(sandbox_dir.stat().st_mode) == 0o700
        info = json.loads((sandbox_dir / "server.json").read_text())
        assert info["url"] == url and info["pid"] != os.getpid()
        assert sandbox.health(url)["pid"] == info["pid"]
        assert sandbox.ensure_running(sandbox_dir) == url
        cli = subprocess.run(
            [sys.executable, "-m", "onboarding_helpers.sandbox", "provision", "--dir"]
            + [str(sandbox_dir), "--type", "Trial"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=20,
            check=True,
        )
        sid = re.search(r"AC[0-9a-f]{32}", cli.stdout)
        assert sid and url in cli.stdout
        assert sandbox.snapshot(url, sid.group())["account"]["type"] == "Trial"
    finally:
        assert sandbox.stop_running(sandbox_dir) is True
    assert not (sandbox_dir / "server.json").exists()
    with pytest.raises(sandbox.SandboxError):
        sandbox.health(url)
    assert sandbox.stop_running(sandbox_dir) is False
    assert (sandbox_dir / "sandbox.sqlite3").exists() and (sandbox_dir / "server.log").exists()


def test_a_sandbox_too_busy_to_answer_its_health_check_is_still_stopped(tmp_path):
    # Under load the 1 s health check can time out; stop must not then leave the server running.
    import signal

    sandbox_dir = tmp_path / "busy"
    sandbox.ensure_running(sandbox_dir)
    pid = json.loads((sandbox_dir / "server.json").read_text())["pid"]
    os.kill(pid, signal.SIGSTOP)  # alive, but answers nothing
    try:
        assert sandbox.stop_running(sandbox_dir) is True
    finally:
        with contextlib.suppress(ProcessLookupError):  # stop killed it (SIGKILL after 5 s)
            os.kill(pid, signal.SIGCONT)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (sandbox_dir / "server.json").exists()


def test_serve_stops_on_sigint_even_when_started_in_the_background(tmp_path):
    # A background job (`... &`) starts with SIGINT ignored; JupyterHub stops its services with
    # SIGINT, and waited 10 s for one that kept it ignored.
    import signal

    def background() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    server = subprocess.Popen(
        [sys.executable, "-m", "onboarding_helpers.sandbox", "serve", "--dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=background,
    )
    try:
        assert server.stdout is not None and "listening on" in server.stdout.readline()
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=5) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert not (tmp_path / "server.json").exists()  # it cleaned up after itself
