import pytest

from onboarding_helpers.errors import InputError
from onboarding_helpers.validation import (
    GENERIC_SENDER_IDS,
    SGNIC_GENERIC_SENDER_IDS,
    sender_id_check,
    sender_id_problems,
    sender_id_warnings,
    validate_account_sid,
    validate_api_key_sid,
    validate_auth_token,
    validate_flag,
    validate_friendly_name,
    validate_sender_id,
)

GOOD_AC = "AC" + "0123456789abcdef" * 2


def test_good_account_sid_is_returned_unchanged():
    assert validate_account_sid(GOOD_AC) == GOOD_AC
    assert validate_account_sid(GOOD_AC.upper().replace("AC", "AC", 1)) == GOOD_AC.upper()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "is empty"),
        ("SK" + "0" * 32, "looks like an API key SID"),
        ("MG" + "0" * 32, "looks like a Messaging Service SID"),
        ("ac" + "0" * 32, "capital 'AC'"),
        ("AC" + "0" * 31, "has 33 characters"),
        ("AC" + "0" * 33, "has 35 characters"),
        ("AC" + "g" * 32, "0-9 and letters a-f"),
        (" " + GOOD_AC, "starts or ends with a space"),
        (GOOD_AC + "\n", "starts or ends with a space"),
        ("AC" + "0" * 16 + "\u200b" + "0" * 15, "invisible character"),
        ("А" + "C" + "0" * 32, "CYRILLIC CAPITAL LETTER A"),
        (12345, "expected text"),
    ],
)
def test_bad_account_sid_names_field_and_problem(value, expected):
    with pytest.raises(InputError) as caught:
        validate_account_sid(value)
    assert caught.value.field == "Account SID"
    assert expected.lower() in str(caught.value).lower()
    assert caught.value.advice  # always says what to do


def test_api_key_sid_rejects_account_sid_and_says_so():
    with pytest.raises(InputError) as caught:
        validate_api_key_sid(GOOD_AC)
    err = caught.value
    assert err.field == "API key SID" and "'AC'" in err.problem  # what it starts with
    assert "Account SID" in err.problem and err.fix  # what it looks like, and where to copy from


@pytest.mark.parametrize(
    "value", ["", "short", "a" * 31 + " ", "a" * 33, "a" * 16 + "-" + "a" * 15]
)
def test_bad_auth_token_never_echoes_the_value(value):
    with pytest.raises(InputError) as caught:
        validate_auth_token(value)
    assert caught.value.field == "Auth Token"
    if len(value) > 4:
        assert value.strip() not in str(caught.value)


def test_good_auth_token():
    token = "f" * 32
    assert validate_auth_token(token) == token


@pytest.mark.parametrize(
    "value",
    ["GOVTECH", "MOH SG", "CPF", "HDB123", "A1B2C3D4E5F", "GOV-TECH", "A&B CO", "MY_AGENCY", "SG+"],
)
def test_good_sender_ids_including_twilios_symbols(value):
    # Twilio's spec takes - + _ &; SGNIC's Annex may too: only a warning, never a refusal.
    assert validate_sender_id(value) == value
    cleaned, _ = sender_id_check(value)
    assert cleaned == value  # as typed: no trimming, no case change


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "is empty"),
        ("AB", "at least 3"),
        ("ABCDEFGHIJKL", "limit is 11"),
        (" GOVTECH", "starts or ends with a space"),
        ("GOVTECH ", "starts or ends with a space"),
        ("GOV.SG", "'.'"),
        ("GOV#1", "'#'"),
        ("GOV@SG", "'@'"),
        ("12345", "no letter"),
        ("OTP", "SGNIC's own examples"),
        ("sms", "SGNIC's own examples"),
        ("GОVTECH", "CYRILLIC"),
        ("GOV\u200bTECH", "ZERO WIDTH SPACE"),
    ],
)
def test_bad_sender_ids_get_one_message_per_rule(value, fragment):
    problems = sender_id_problems(value)
    assert any(fragment in p for p in problems), problems
    with pytest.raises(InputError) as caught:
        sender_id_check(value)
    assert caught.value.field == "Sender ID"
    assert "SGNIC" in caught.value.advice  # the fix: as on the SSIR approval


def test_sender_id_breaking_several_rules_lists_each():
    problems = sender_id_problems(" 1#")
    assert len(problems) == 3  # leading space, a symbol Twilio refuses, no letter


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("NOTICE", "sounds generic"),
        ("info", "sounds generic"),
        ("GOV-TECH", "'-'"),
        ("A&B CO", "'&'"),
        ("MY_AGENCY", "'_'"),
        ("SG+", "UK operators"),
    ],
)
def test_what_we_only_suspect_is_a_warning(value, fragment):
    cleaned, warnings = sender_id_check(value)
    assert cleaned == value and sender_id_problems(value) == []
    assert any(fragment in w for w in warnings), warnings
    assert sender_id_warnings(value) == warnings


def test_a_plain_sender_id_has_no_warning():
    assert sender_id_check("GOVTECH") == ("GOVTECH", [])


def test_only_sgnics_own_examples_are_refused_as_generic():
    assert SGNIC_GENERIC_SENDER_IDS == {"OTP", "SMS"}
    assert not SGNIC_GENERIC_SENDER_IDS & GENERIC_SENDER_IDS  # the rest are warnings


@pytest.mark.parametrize("value", ["", "   ", "x" * 65, "bad\x00name"])
def test_bad_friendly_names(value):
    with pytest.raises(InputError):
        validate_friendly_name(value, "messaging_service_name")


def test_flag_refuses_text_that_python_would_call_true():
    assert validate_flag(True, "buy_phone_number") is True
    with pytest.raises(InputError, match="-p buy_phone_number True"):
        validate_flag("False", "buy_phone_number")
