"""Step 04a against the sandbox: nothing bought without confirmation, never bought twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboarding_helpers.errors import InputError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import NumberAttached, NumberBought, NumberBuying, ServiceCreated
from onboarding_helpers.runbook import Runbook
from onboarding_helpers.steps.messaging_service import set_up_messaging_service
from onboarding_helpers.steps.phone_number import buy_phone_number, panel
from onboarding_helpers.steps.registry import PHONE_NUMBER as STEP

from .presses import press
from .test_messaging_service import make_runbook, requests, state


@pytest.fixture
def rb(tmp_path: Path, sandbox) -> Runbook:
    return make_runbook(tmp_path, sandbox.url)


def test_without_buy_it_lists_candidates_and_creates_nothing(rb):
    result = buy_phone_number(rb)

    assert result.phone_number is None and result.service_sid is None
    assert len(result.candidates) == 5
    assert all(c.phone_number.startswith("+1") for c in result.candidates)
    snap = state(rb)
    assert snap["incoming_phone_numbers"] == [] and snap["services"] == []
    assert requests(rb, "POST") == []
    assert rb.progress.read(STEP).status == "skipped"
    shown = str(panel(result))
    assert "USD 1.15" in shown and result.candidates[0].phone_number in shown


def test_buy_without_confirmation_buys_nothing(rb):
    with pytest.raises(StepBlocked) as caught:
        buy_phone_number(rb, buy=True)

    err = caught.value
    assert err.field == "confirm_purchase" and "Nothing was bought" in err.message
    assert "USD 1.15" in err.message and "+1" in err.message  # cost and what is on offer
    assert "confirm_purchase True" in err.advice
    snap = state(rb)
    assert snap["incoming_phone_numbers"] == [] and snap["services"] == []
    assert requests(rb, "POST") == []
    assert rb.progress.read(STEP).status == "blocked"


@pytest.mark.parametrize(("buy", "confirm"), [("True", True), (True, "yes"), (1, True)])
def test_flags_must_be_real_booleans(rb, buy, confirm):
    with pytest.raises(InputError):
        buy_phone_number(rb, buy=buy, confirm=confirm)
    assert requests(rb) == []


def test_bad_phone_number_is_refused_before_any_request(rb):
    with pytest.raises(InputError) as caught:
        buy_phone_number(rb, buy=True, confirm=True, phone_number="+6591234567")
    assert caught.value.field == "phone_number"
    assert requests(rb) == []


def test_confirmed_purchase_buys_one_number_into_the_service(rb):
    result = buy_phone_number(rb, "Postman SMS – MOH", buy=True, confirm=True)

    assert result.bought and result.attached
    snap = state(rb)
    [number] = snap["incoming_phone_numbers"]
    [service] = snap["services"]
    assert number["sid"] == result.phone_number_sid == service["phone_numbers"][0]["sid"]
    assert service["friendly_name"] == "Postman SMS – MOH" and service["alpha_senders"] == []
    kinds = [type(e) for e in rb.progress.events(step=STEP)]
    assert kinds == [NumberBuying, NumberBought, ServiceCreated, NumberAttached]
    assert "Bought" in str(panel(result))

    # Step 04 with an empty name finds the same service and adds the Sender ID after the number.
    done = set_up_messaging_service(rb, "MOH")
    assert done.service_sid == result.service_sid and not done.created_service
    assert done.phone_numbers == (result.phone_number,) and done.attached_number is None
    [service] = state(rb)["services"]
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["MOH"]


def test_chosen_number_is_bought_without_a_search(rb):
    offered = buy_phone_number(rb).candidates[2].phone_number
    result = buy_phone_number(rb, buy=True, confirm=True, phone_number=offered)
    assert result.phone_number == offered
    assert not any("AvailablePhoneNumbers" in r["path"] for r in requests(rb)[1:])


def test_rerun_buys_nothing_and_needs_no_confirmation(rb):
    first = buy_phone_number(rb, buy=True, confirm=True)
    before, posts = state(rb), len(requests(rb, "POST"))

    again = buy_phone_number(rb, buy=True, confirm=False)  # nothing to buy: no cost to confirm
    also = buy_phone_number(rb, buy=True, confirm=True)

    for result in (again, also):
        assert result.phone_number_sid == first.phone_number_sid
        assert not result.bought and not result.attached
    assert state(rb) == before
    assert len(requests(rb, "POST")) == posts
    assert "nothing was bought" in str(panel(again))
    listed = buy_phone_number(rb)  # without buy: shows the number already owned
    assert listed.phone_number == first.phone_number and listed.candidates == ()


def test_purchase_whose_answer_was_lost_is_found_not_repeated(rb):
    # As if the POST reached Twilio but the answer never came back: intent journalled, number
    # bought, no "bought" entry.
    number = buy_phone_number(rb).candidates[0].phone_number
    rb.progress.log(STEP, NumberBuying(phone_number=number, account_sid=rb.saved_account()[0]))
    rb.auth_token_client("test").incoming_phone_numbers.create(phone_number=number)

    result = buy_phone_number(rb, buy=True, confirm=True)

    assert result.phone_number == number and not result.bought
    assert len(state(rb)["incoming_phone_numbers"]) == 1
    assert rb.progress.events(step=STEP)[-3].recovered is True


def test_refused_purchase_is_settled_and_not_looked_for_again(rb):
    taken = buy_phone_number(rb).candidates[0].phone_number
    rb.auth_token_client("test").incoming_phone_numbers.create(phone_number=taken)

    with pytest.raises(TwilioActionError) as caught:
        buy_phone_number(rb, buy=True, confirm=True, phone_number=taken)
    assert caught.value.code == 21422 and "searches again" in caught.value.advice
    assert state(rb)["services"] == []  # bought first, service second: nothing left behind

    start = len(requests(rb))
    buy_phone_number(rb)
    assert len(requests(rb)) - start == 1  # just the search: no hunt for the refused purchase


def test_released_number_is_said_and_a_new_one_bought_only_when_confirmed(rb):
    first = buy_phone_number(rb, buy=True, confirm=True)
    rb.auth_token_client("test").incoming_phone_numbers(first.phone_number_sid).delete()

    listed = buy_phone_number(rb)
    assert listed.phone_number is None
    assert any("no longer on the account" in n for n in listed.notes)

    second = buy_phone_number(rb, buy=True, confirm=True)
    assert second.bought and second.phone_number_sid != first.phone_number_sid
    assert second.service_sid == first.service_sid
    assert len(state(rb)["incoming_phone_numbers"]) == 1


def test_form_buys_only_after_the_tick(rb):
    from onboarding_helpers.steps.phone_number import form

    shown = form(rb)
    press(shown.action, "search")
    choice = shown.phone_number
    assert len(choice.options) == 5
    choice.value = choice.options[3][1]
    press(shown.action, "buy")
    assert "Nothing was bought" in str(shown.output.outputs)
    assert state(rb)["incoming_phone_numbers"] == []
    shown.confirm_purchase.value = True
    press(shown.action, "buy")
    assert "Phone number ready" in str(shown.output.outputs)
    assert shown.confirm_purchase.value is False  # one tick, one purchase
    assert [n["phone_number"] for n in state(rb)["incoming_phone_numbers"]] == [choice.value]


def test_destinations_are_explained_before_anything_is_bought(rb):
    result = buy_phone_number(rb, foreign_countries="MY, US, GB")

    assert [d.iso for d in result.destinations] == ["MY", "US", "GB"]
    assert [d.number_helps for d in result.destinations] == [False, True, False]
    [malaysia, us, _] = result.destinations
    shown = panel(result)
    assert all(d.line in shown.notes for d in result.destinations)  # each country, in turn
    assert "no phone number" in malaysia.line and "A2P 10DLC" in us.line and "toll-free" in us.line
    (needed,) = [n for n in shown.notes if n.startswith("A number in the sender pool")]
    assert "United States" in needed and "Malaysia" not in needed and "Kingdom" not in needed
    assert "Geo permissions" in str(shown)
    # Each country's page, with the date it was read.
    assert all(f"{d.source} (checked {d.checked})" in str(shown) for d in result.destinations)
    assert us.source == "https://www.twilio.com/en-us/guidelines/us/sms"
    assert "reach US phones" not in str(panel(buy_phone_number(rb)))  # nothing named
    assert requests(rb, "POST") == []


def test_no_destination_needing_a_number_is_said_when_buying_is_asked(rb):
    with pytest.raises(StepBlocked) as caught:
        buy_phone_number(rb, buy=True, foreign_countries="GB, JP")
    err = caught.value
    assert "None of the countries" in err.message and "confirm_purchase" in err.advice
    assert state(rb)["incoming_phone_numbers"] == []


@pytest.mark.parametrize("typed", ["UK", "XX, MY", "Atlantis", 42])
def test_a_destination_that_is_not_a_country_is_refused_before_any_request(rb, typed):
    with pytest.raises(InputError) as caught:
        buy_phone_number(rb, buy=True, confirm=True, foreign_countries=typed)
    assert caught.value.field == "foreign_countries" and caught.value.advice
    assert requests(rb) == []
    assert rb.progress.read(STEP) == STEP.record()  # never recorded


def test_form_shows_what_each_destination_needs_as_you_type(rb):
    from onboarding_helpers.steps.phone_number import form

    shown = form(rb, foreign_countries="US")
    assert "A2P 10DLC" in str(shown.destinations.outputs)
    shown.foreign_countries.value = "UK"
    assert "the United Kingdom's is GB" in str(shown.destinations.outputs)
    shown.foreign_countries.value = "KR"
    press(shown.action, "search")
    assert "South Korea" in str(shown.output.outputs)
