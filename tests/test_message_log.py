"""The sandbox's message log as Twilio serves it: pages of up to 1000 that follow a page token,
the ``DateSent`` filters, the delivery outcomes a health check reads (30003, 30005, 21610 opt-outs
beside 30007 and 30008), and a staged message history. Driven through the real twilio SDK."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from onboarding_helpers.errors import TwilioActionError
from onboarding_helpers.sandbox import SandboxError, provision_account, set_account
from onboarding_helpers.twilio_gateway import call, make_client

SENDER_ID = "MYAGENCY"


@pytest.fixture
def account(sandbox):
    """A practice account with a service holding a Sender ID; its client (Auth Token)."""
    acct = provision_account(sandbox.url)
    ac, token = acct["account_sid"], acct["auth_token"]
    set_account(sandbox.url, ac, message_step_seconds=0)
    client = make_client(ac, auth_token=token, base_url=sandbox.url)
    service = client.messaging.v1.services.create(friendly_name="Postman SMS")
    client.messaging.v1.services(service.sid).alpha_senders.create(alpha_sender=SENDER_ID)
    return sandbox.url, ac, client, service.sid


def _history(url: str, ac: str, service_sid: str, **spec) -> int:
    spec = {"service_sid": service_sid, "days": 7, "seed": 3, **spec}
    return set_account(url, ac, message_history=json.dumps(spec))["messages_added"]


def _page_as_sent(client) -> dict:
    """The page the client fetched last, as the sandbox sent it (twilio's record of the last
    response, which its own tests read)."""
    return json.loads(client.http_client._test_only_last_response.text)


def _read_all(client, **filters) -> tuple[list, list[dict]]:
    """Every message the list gives, page by page, and each page's paging fields."""
    page = client.messages.page(page_size=1000, **filters)
    messages, pages = [], []
    while page is not None:
        messages += list(page)
        pages.append(dict(_page_as_sent(client), messages=None))
        page = page.next_page()
    return messages, pages


def test_the_list_pages_by_1000_with_a_page_token_like_twilio(account):
    url, ac, client, mg = account
    assert _history(url, ac, mg, mix={"delivered": 2500}) == 2500
    messages, pages = _read_all(client)
    assert len(messages) == 2500 and len({m.sid for m in messages}) == 2500
    assert [p["page_size"] for p in pages] == [1000, 1000, 1000]
    assert [p["start"] for p in pages] == [0, 1000, 2000]
    token = parse_qs(urlsplit(pages[0]["next_page_uri"]).query)["PageToken"][0]
    assert token == f"PA{messages[999].sid}"  # where the first page ended
    assert pages[-1]["next_page_uri"] is None
    created = [m.date_created for m in messages]
    assert created == sorted(created, reverse=True)  # newest first

    # A message sent while a client reads does not shift the pages it has yet to read.
    first = client.messages.page(page_size=1000)
    client.messages.create(to="+6591234567", messaging_service_sid=mg, body="new")
    rest = []
    page = first.next_page()
    while page is not None:
        rest += [m.sid for m in page]
        page = page.next_page()
    assert rest == [m.sid for m in messages[1000:]]


def test_a_page_size_over_1000_and_a_bad_token_are_refused(account):
    _, _, client, _ = account
    with pytest.raises(TwilioActionError) as big:
        call("list", client.messages.list, page_size=1001, limit=1001)
    assert big.value.status == 400
    with pytest.raises(TwilioActionError) as token:
        call("list", client.messages.page, page_token="PASM" + "0" * 32)
    assert token.value.code == 20001


def test_date_sent_filters_take_days_and_moments_and_failed_messages_are_dated(account):
    url, ac, client, mg = account
    _history(url, ac, mg, days=10, mix={"delivered": 300, "30007": 40, "21610": 20})
    everything, _ = _read_all(client)
    assert all(m.date_sent is not None for m in everything)  # failed ones too: when they failed
    now = datetime.now(timezone.utc)
    since = now - timedelta(days=3)
    recent, _ = _read_all(client, date_sent_after=since)
    assert {m.sid for m in recent} == {
        m.sid for m in everything if m.date_sent >= since.replace(microsecond=0)
    }
    until = now - timedelta(days=5)
    older, _ = _read_all(client, date_sent_before=until)
    assert {m.sid for m in older} == {m.sid for m in everything if m.date_sent <= until}
    both, _ = _read_all(client, date_sent_after=until, date_sent_before=since)
    assert len(both) == len(everything) - len(recent) - len(older)
    day = (now - timedelta(days=4)).date()
    that_day, _ = _read_all(client, date_sent=day.isoformat())  # a date: the whole GMT day
    assert {m.sid for m in that_day} == {m.sid for m in everything if m.date_sent.date() == day}
    with pytest.raises(TwilioActionError) as bad:
        call("list", client.messages.list, date_sent_after="last week", limit=1)
    assert bad.value.code == 20001


def test_carriers_answers_30003_30005_and_the_history_mix_read_back(account):
    url, ac, client, mg = account
    for ending, code in (("0003", 30003), ("0005", 30005), ("0008", 30008)):
        sent = client.messages.create(to=f"+659123{ending}", messaging_service_sid=mg, body="x")
        fetched = client.messages(sent.sid).fetch()
        assert (fetched.status, fetched.error_code) == ("undelivered", code)
    mix = {"delivered": 50, "sent": 3, "30003": 4, "30005": 5, "30007": 6, "30008": 7, "21610": 8}
    _history(url, ac, mg, mix=mix, senders={"30007": "GOVSG"}, countries={"SG": 9, "MY": 1})
    messages, _ = _read_all(client)
    seeded = [m for m in messages if m.body.endswith("(sandbox history).")]
    codes = Counter(str(m.error_code) if m.error_code else m.status for m in seeded)
    assert codes == {k: v for k, v in mix.items()}
    statuses = Counter(m.status for m in seeded)
    assert statuses == {"delivered": 50, "sent": 3, "undelivered": 16, "failed": 14}
    assert {m.from_ for m in seeded if m.error_code == 30007} == {"GOVSG"}
    assert {m.from_ for m in seeded if m.error_code != 30007} == {SENDER_ID}
    assert all(m.messaging_service_sid == mg for m in seeded)


def test_a_recipient_who_replied_stop_fails_with_21610_through_the_service(account):
    url, ac, client, mg = account
    _history(url, ac, mg, mix={"21610": 1})
    opted_out = client.messages.list(limit=1)[0].to
    again = client.messages.create(to=opted_out, messaging_service_sid=mg, body="again")
    assert again.status == "accepted"  # a service accepts first and fails it afterwards
    fetched = client.messages(again.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 21610)
    other = client.messages.create(to="+6591234567", messaging_service_sid=mg, body="fine")
    assert client.messages(other.sid).fetch().status == "delivered"


@pytest.mark.parametrize(
    "spec, says",
    [
        ({"mix": {"404": 1}}, "unknown outcome"),
        ({"mix": {"delivered": -1}}, "whole numbers"),
        ({"mix": {"delivered": 1}, "days": 0}, "days"),
        ({"mix": {"delivered": 1}, "countries": {"XX": 1}}, "countries"),
        ({"mix": {"delivered": 1}, "service_sid": "MG" + "0" * 32}, "service_sid"),
    ],
)
def test_a_history_that_cannot_be_staged_is_refused_and_adds_nothing(account, spec, says):
    url, ac, client, mg = account
    with pytest.raises(SandboxError, match=says):
        set_account(url, ac, message_history=json.dumps({"service_sid": mg, **spec}))
    assert client.messages.list(limit=5) == []
