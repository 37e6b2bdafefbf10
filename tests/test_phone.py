"""test_phone: what is accepted, what is refused, and the reason given.

Singapore numbers are taken the way Postman takes them (its pattern, spaces and dashes dropped),
with a warning where the phone-number database does not list the range. Foreign numbers are
judged by the country table applied to the service's senders (``countries.sender_for``).
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboarding_helpers.countries import sender_for
from onboarding_helpers.errors import InputError
from onboarding_helpers.phone import (
    POSTMAN_SG_MOBILE,
    US_CONFIRMATION,
    check_reachable,
    mask_phone,
    parse_phone,
    validate_test_phone,
)

from .fresh_python import fresh_python_prints

US_NUMBER = "+12015550123"  # a number in the sender pool (bought in 04a)


@pytest.mark.parametrize(
    ("typed", "e164", "region"),
    [
        ("+6581234567", "+6581234567", "SG"),
        ("+65 8123 4567", "+6581234567", "SG"),
        ("8123 4567", "+6581234567", "SG"),  # Singapore is the default region, as in Postman
        ("91234567", "+6591234567", "SG"),
        ("  +65-9123-4567 ", "+6591234567", "SG"),
        ("6581234567", "+6581234567", "SG"),  # Postman's pattern: the plus is optional
        (6581234567, "+6581234567", "SG"),  # papermill's -p turns "+6581234567" into this int
        (14155550123, "+14155550123", "US"),  # ... and a foreign one into this
        ("+1 415 555 0123", "+14155550123", "US"),
        ("+61412345678", "+61412345678", "AU"),
    ],
)
def test_accepted_numbers_come_out_in_e164(typed, e164, region):
    phone = parse_phone(typed)
    assert phone.e164 == e164 and phone.region == region
    assert " " not in phone.e164  # as Postman's test-number field takes it
    if region == "SG":
        assert POSTMAN_SG_MOBILE.match(phone.e164)  # Postman's own check agrees


@pytest.mark.parametrize("typed", ["+65 9900 1234", "+65 8000 1234", "99001234", "+65-8000-1234"])
def test_singapore_numbers_postman_takes_pass_with_a_warning_where_the_database_lags(typed):
    number = phonenumbers.parse(re.sub(r"[ -]", "", typed), "SG")
    assert not phonenumbers.is_valid_number(number)  # python-phonenumbers calls it unallocated
    phone = parse_phone(typed)
    assert phone.is_singapore and phone.kind == "mobile"
    assert POSTMAN_SG_MOBILE.match(phone.e164)
    (warning,) = phone.warnings
    assert f"python-phonenumbers {phonenumbers.__version__}" in warning  # the database that lags
    assert "Postman" in warning  # and why the runbook goes on
    assert phone.e164[3:7] in warning  # names the number the officer typed


def test_a_known_singapore_mobile_has_no_warning():
    assert parse_phone("+65 8123 4567").warnings == ()


_SEPARATOR = st.sampled_from(["", " ", "-", "  "])


@given(
    prefix=st.sampled_from(["", "65", "+65"]),
    first=st.sampled_from("89"),
    rest=st.text(alphabet="0123456789", min_size=7, max_size=7),
    separators=st.lists(_SEPARATOR, min_size=3, max_size=3),
)
def test_every_number_postmans_pattern_takes_is_taken(prefix, first, rest, separators):
    """Property: whatever matches ``^(\\+?65)?(8|9)\\d{7}$`` once spaces and dashes are gone is a
    Singapore mobile, never refused; at most it carries a warning."""
    digits = first + rest
    typed = f"{prefix}{separators[0]}{digits[:4]}{separators[1]}{digits[4:]}{separators[2]}"
    assert POSTMAN_SG_MOBILE.match(re.sub(r"[\s-]", "", typed))
    phone = parse_phone(typed)
    assert phone.e164 == f"+65{digits}" and phone.kind == "mobile" and len(phone.warnings) <= 1
    database_knows = phonenumbers.number_type(phonenumbers.parse(phone.e164)) == 1
    assert bool(phone.warnings) == (not database_knows)


@pytest.mark.parametrize(
    ("typed", "fragments"),
    [
        ("", ["is empty", "+65 8123 4567"]),
        ("abc", ["not a phone number"]),
        ("+6561234567", ["Singapore landline", "21614", "starts with 8 or 9"]),
        ("6123 4567", ["Singapore landline"]),
        ("+6531234567", ["VoIP", "not a mobile", "21614"]),
        ("+6571234567", ["not a number Singapore has given out", "start with 8 or 9"]),
        ("+6512345", ["has 5 digits", "Singapore numbers have 8"]),
        ("14155550123", ["has 11 digits", "must start with + and its country code"]),
        ("+442079460958", ["United Kingdom landline", "cannot receive SMS"]),
        ("+6581234567 ext 12", ["extension"]),
        ("+1 415 555", ["not a valid number for country code +1 (US)"]),
        (True, ["expected text"]),
        (None, ["expected text"]),
    ],
)
def test_refused_numbers_say_why(typed, fragments):
    with pytest.raises(InputError) as caught:
        parse_phone(typed)
    assert caught.value.field == "test_phone"
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)


def _refused(phone, prediction, **options) -> str:
    with pytest.raises(InputError) as caught:
        check_reachable(phone, prediction, **options)
    assert caught.value.field == "test_phone" and caught.value.advice
    return str(caught.value)


def test_a_country_that_takes_the_sender_id_needs_no_bought_number():
    numbers = (("+60123456789", "MY"), ("+447400123456", "GB"), ("+819012345678", "JP"))
    for typed, country in numbers:
        phone = parse_phone(typed)
        prediction = sender_for(phone.region, True, [], sender_id="GOVTECH")
        assert phone.region == country and prediction.sender == "sender_id"
        check_reachable(phone, prediction)  # not refused for lack of a bought number


def test_a_us_number_without_a_registered_us_sender_is_refused_naming_a2p_10dlc():
    us = parse_phone("+1 415 555 0123")
    # No number in the pool: nothing reaches the US, whatever the officer confirms.
    for confirmed in (False, True):
        text = _refused(us, sender_for("US", True, []), us_sender_registered=confirmed)
        assert "A2P 10DLC" in text and "toll-free" in text and "Nothing was sent" in text
    # A number in the pool, but its registration is not confirmed: refused, saying how to confirm.
    with_number = sender_for("US", True, [US_NUMBER])
    text = _refused(us, with_number)
    assert "A2P 10DLC" in text and "toll-free" in text and US_NUMBER in text
    assert f"-p {US_CONFIRMATION} True" in text and "30034" in text  # the fix; the block's code
    check_reachable(us, with_number, us_sender_registered=True)  # confirmed: it may go


def test_a_country_nothing_in_the_pool_reaches_is_refused_with_its_advice():
    nz = parse_phone("+64 21 234 567")
    text = _refused(nz, sender_for("NZ", True, []))
    assert "New Zealand" in text and "short code" in text and "Singapore mobile" in text
    korea = parse_phone("+82 10 1234 5678")
    assert "04a" in _refused(korea, sender_for("KR", True, []))
    check_reachable(korea, sender_for("KR", True, [US_NUMBER]))  # from the pool's number


def test_singapore_is_always_reachable_and_validate_test_phone_asks_only_abroad():
    asked = []

    def prediction_for(phone):
        asked.append(phone.e164)
        return sender_for(phone.region, True, [], sender_id="GOVTECH")

    assert validate_test_phone("+65 8123 4567", prediction_for).e164 == "+6581234567"
    assert asked == []  # no prediction needed for Singapore
    check_reachable(parse_phone("+6581234567"), None)
    assert validate_test_phone("+60123456789", prediction_for).region == "MY"
    with pytest.raises(InputError, match="A2P 10DLC"):
        validate_test_phone("+14155550123", prediction_for)
    assert asked == ["+60123456789", "+14155550123"]


def test_masking_keeps_country_and_last_four_digits():
    assert mask_phone("+6581234567") == "+65 ••••4567"
    assert mask_phone("+14155550123") == "+1 ••••0123"
    assert parse_phone("81234567").masked == "+65 ••••4567"
    assert mask_phone("garbage1234") == "••••1234"


def test_every_countrys_name_is_the_geocoders_without_loading_its_place_data():
    # The names come from phonenumbers' locale table alone; checked against the geocoder itself,
    # for an example mobile of every region phonenumbers knows.
    from phonenumbers import geocoder

    from onboarding_helpers.countries import RULES

    compared = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is None:
            continue
        expected = geocoder.country_name_for_number(number, "en")
        found = phonenumbers.region_code_for_number(number) or ""
        expected = expected or (RULES[found].name if found in RULES else "") or found
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert parse_phone(e164).country == expected, region  # the name an officer is shown
        compared += 1
    assert compared > 200
    code = (
        "import sys, phonenumbers\n"
        "from onboarding_helpers.phone import parse_phone\n"
        "parse_phone('+44 7400 123456')\n"
        "print('phonenumbers.geodata' in sys.modules)"
    )
    assert fresh_python_prints(code) == "False"
