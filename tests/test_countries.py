"""The country table (``onboarding_helpers.countries``): every row sourced and dated, the
sandbox's own copy agrees with it, and the predictions say which sender a recipient sees."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from onboarding_helpers import countries
from onboarding_helpers.countries import (
    DEFAULT_RULE,
    RULES,
    country_rule,
    parse_countries,
    sender_for,
)
from onboarding_helpers.errors import InputError
from onboarding_helpers.sandbox import delivery
from onboarding_helpers.steps.registry import PHONE_NUMBER

REQUIRED = "SG MY ID PH TH VN IN CN HK AU NZ JP KR GB US CA".split()
US_NUMBER = "+12025550100"


def test_the_table_covers_the_countries_asked_for_each_with_its_page_and_date():
    assert set(REQUIRED) <= set(RULES)
    for iso, rule in RULES.items():
        assert rule.iso == iso and rule.name
        assert rule.alpha in ("supported", "registration", "not supported")
        assert rule.source == f"https://www.twilio.com/en-us/guidelines/{iso.lower()}/sms"
        assert date.fromisoformat(rule.checked) <= date(2026, 12, 1)
        assert rule.needs and rule.advice
    assert DEFAULT_RULE.source.startswith("https://www.twilio.com/")
    assert DEFAULT_RULE.unclear and date.fromisoformat(DEFAULT_RULE.checked)
    assert "re-check" in countries.__doc__.lower() or "re-check" in countries.__doc__


def test_the_rows_say_what_twilios_pages_say():
    assert RULES["US"].alpha == RULES["CA"].alpha == "not supported"
    assert "A2P 10DLC" in RULES["US"].needs and "toll-free" in RULES["US"].needs
    for iso in ("SG", "ID", "PH", "TH", "VN", "AU"):
        assert RULES[iso].alpha == "registration", iso
    for iso in ("GB", "JP", "MY", "IN"):
        assert RULES[iso].alpha == "supported", iso
    assert not RULES["MY"].shown_as_sent and not RULES["IN"].shown_as_sent
    assert not RULES["NZ"].number_reaches  # short codes only


def test_the_sandbox_copy_agrees_with_the_table():
    assert set(delivery.ALPHA_RULES) == set(RULES)
    for iso, rule in RULES.items():
        assert delivery.alpha_rule(iso) == rule.alpha, iso
    assert delivery.DEFAULT_ALPHA == DEFAULT_RULE.alpha
    assert delivery.alpha_rule("ZA") == country_rule("ZA").alpha


@pytest.mark.parametrize("iso", REQUIRED)
def test_the_sandbox_tells_each_countrys_numbers_apart(iso):
    example = phonenumbers.example_number_for_type(iso, PhoneNumberType.MOBILE)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert delivery.country_of(e164) == iso


def test_unknown_countries_get_the_default_rule_and_their_page():
    rule = country_rule("za")
    assert rule.iso == "ZA" and rule.alpha == DEFAULT_RULE.alpha
    assert "https://www.twilio.com/en-us/guidelines/za/sms" in rule.advice  # the country's page
    assert country_rule("") is DEFAULT_RULE


def test_a_country_that_takes_sender_ids_needs_no_number():
    uk = sender_for("GB", True, [], sender_id="GOVTECH")
    assert (uk.sender, uk.reach, uk.reachable) == ("sender_id", "yes", True)
    assert uk.shown_as == "your Sender ID 'GOVTECH'" and uk.number == ""
    assert "no phone number" in uk.summary
    assert "Geo Permissions" in uk.notes[0] and "21408" in uk.notes[0]
    # With a number in the pool, Twilio still prefers the Sender ID there.
    assert sender_for("GB", True, [US_NUMBER]).sender == "sender_id"


def test_operators_that_replace_the_id_are_said():
    my = sender_for("MY", True, [])
    assert my.sender == "sender_id" and not my.rule.shown_as_sent
    assert "operators" in my.shown_as and "Operators" in my.summary  # what the handset shows
    assert "RM0" in my.advice


def test_a_registration_country_reaches_only_once_registered():
    th = sender_for("TH", True, [US_NUMBER])
    assert (th.sender, th.reach) == ("sender_id", "if registered")
    assert th.advice == RULES["TH"].advice and "Register" in th.advice  # the country's own


def test_singapore_is_the_onboarding_itself():
    sg = sender_for("SG", True, [])
    assert sg.sender == "sender_id" and sg.notes == ()
    assert "SSIR" in sg.advice


def test_the_us_needs_a_registered_number():
    alone = sender_for("US", True, [])
    assert (alone.sender, alone.reach, alone.reachable) == ("", "no", False)
    assert "21612" in alone.summary
    assert alone.rule.advice in alone.advice and "A2P 10DLC" in alone.advice
    assert PHONE_NUMBER.number in alone.advice  # the step that buys a number
    with_number = sender_for("US", True, [US_NUMBER])
    assert (with_number.sender, with_number.number) == ("number", US_NUMBER)
    assert with_number.reach == "if registered" and "30034" in with_number.summary
    assert "toll-free" in with_number.advice


def test_numbers_only_countries_and_short_code_only_ones():
    kr = sender_for("KR", True, [US_NUMBER])
    assert (kr.sender, kr.reach, kr.shown_as) == ("number", "yes", US_NUMBER)
    assert sender_for("KR", True, []).reach == "no"
    nz = sender_for("NZ", True, [US_NUMBER])
    assert nz.reach == "no" and "short code" in nz.advice


def test_a_service_with_no_sender_at_all():
    none = sender_for("GB", False, [])
    assert none.reach == "no" and "21703" in none.summary


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("", ()),
        ("MY, us", ("MY", "US")),
        ("Malaysia; United States; MY", ("MY", "US")),
        (["gb", "ZA"], ("GB", "ZA")),
    ],
)
def test_destinations_typed_by_the_officer(typed, codes):
    assert parse_countries(typed) == codes


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("UK", "the United Kingdom's is GB"),
        ("XX", "not a country code"),
        ("Malay sia", "neither a two-letter ISO country code"),
        (7, "expected text"),
    ],
)
def test_what_is_not_a_country_is_refused_with_the_field_and_the_fix(typed, fragment):
    with pytest.raises(InputError) as caught:
        parse_countries(typed)
    assert caught.value.field == "foreign_countries"
    assert fragment in str(caught.value) and caught.value.advice
    assert re.search(r"'MY, US", caught.value.advice)
