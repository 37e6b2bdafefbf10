"""test_phone: what is accepted, what is refused, and the reason given."""

from __future__ import annotations

import pytest

from onboarding_helpers.errors import InputError
from onboarding_helpers.phone import (
    POSTMAN_SG_MOBILE,
    check_reachable,
    mask_phone,
    parse_phone,
    validate_test_phone,
)


@pytest.mark.parametrize(
    ("typed", "e164", "region"),
    [
        ("+6581234567", "+6581234567", "SG"),
        ("+65 8123 4567", "+6581234567", "SG"),
        ("8123 4567", "+6581234567", "SG"),  # Singapore is the default region, as in Postman
        ("91234567", "+6591234567", "SG"),
        ("  +65-9123-4567 ", "+6591234567", "SG"),
        (6581234567, "+6581234567", "SG"),  # papermill's -p turns "+6581234567" into this int
        (14155550123, "+14155550123", "US"),  # ... and a foreign one into this
        ("+1 415 555 0123", "+14155550123", "US"),
        ("+61412345678", "+61412345678", "AU"),
    ],
)
def test_accepted_numbers_come_out_in_e164(typed, e164, region):
    phone = parse_phone(typed)
    assert phone.e164 == e164 and phone.region == region
    if region == "SG":
        assert POSTMAN_SG_MOBILE.match(phone.e164)  # Postman's own check agrees


@pytest.mark.parametrize(
    ("typed", "fragments"),
    [
        ("", ["is empty", "+65 8123 4567"]),
        ("abc", ["not a phone number"]),
        ("+6561234567", ["Singapore landline", "21614", "starts with 8 or 9"]),
        ("6123 4567", ["Singapore landline"]),
        ("+6531234567", ["VoIP", "not a mobile", "21614"]),
        ("+6580001234", ["not a number Singapore has given out"]),
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


def test_foreign_number_needs_the_phone_number_branch():
    uk = parse_phone("+447911123456")
    with pytest.raises(InputError) as caught:
        check_reachable(uk, has_phone_number=False)
    text = str(caught.value)
    assert "test_phone" in text and "21612" in text and "04a" in text
    check_reachable(uk, has_phone_number=True)  # with a bought number it may go
    check_reachable(parse_phone("+6581234567"), has_phone_number=False)  # SG always may
    assert validate_test_phone("+447911123456", foreign_allowed=True).e164 == "+447911123456"
    with pytest.raises(InputError):
        validate_test_phone("+447911123456", foreign_allowed=False)


def test_masking_keeps_country_and_last_four_digits():
    assert mask_phone("+6581234567") == "+65 ••••4567"
    assert mask_phone("+14155550123") == "+1 ••••0123"
    assert parse_phone("81234567").masked == "+65 ••••4567"
    assert mask_phone("garbage1234") == "••••1234"
