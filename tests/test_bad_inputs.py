"""The bad-input matrix: every field, many ways to get it wrong, one clear message each.

Each case must raise InputError whose text names the field and whose advice says what to do;
secrets are never echoed back. Step-level cases also prove nothing was written or created.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboarding_helpers import validation as v
from onboarding_helpers.errors import InputError

HEX = "0123456789abcdef" * 2
CYRILLIC_A = "\u0410"  # looks like Latin A
ZERO_WIDTH = "\u200b"

# (validator, bad value, fragment expected in the message)
CASES: list[tuple[str, object, str]] = [
    # Account SID
    ("validate_account_sid", "", "is empty"),
    ("validate_account_sid", "AC", "has 2 characters"),
    ("validate_account_sid", "AC" + HEX[:31], "has 33 characters"),
    ("validate_account_sid", "AC" + HEX + "0", "has 35 characters"),
    ("validate_account_sid", "ac" + HEX, "capital 'AC'"),
    ("validate_account_sid", "Ac" + HEX, "capital 'AC'"),
    ("validate_account_sid", "SK" + HEX, "API key SID"),
    ("validate_account_sid", "MG" + HEX, "Messaging Service SID"),
    ("validate_account_sid", "AC" + "z" * 32, "0-9 and letters a-f"),
    ("validate_account_sid", " AC" + HEX, "starts or ends with a space"),
    ("validate_account_sid", "AC" + HEX + " ", "starts or ends with a space"),
    ("validate_account_sid", "AC" + HEX + "\n", "starts or ends with a space"),
    ("validate_account_sid", "AC" + HEX[:16] + ZERO_WIDTH + HEX[16:31], "invisible"),
    ("validate_account_sid", CYRILLIC_A + "C" + HEX, "CYRILLIC"),
    ("validate_account_sid", "AC" + HEX[:31] + "\u0435", "CYRILLIC"),
    ("validate_account_sid", "AC" + HEX[:31] + "\uff41", "FULLWIDTH"),
    ("validate_account_sid", None, "expected text"),
    ("validate_account_sid", 123, "expected text"),
    ("validate_account_sid", False, "expected text"),
    # API key SID
    ("validate_api_key_sid", "", "is empty"),
    ("validate_api_key_sid", "AC" + HEX, "Account SID"),
    ("validate_api_key_sid", "sk" + HEX, "capital 'SK'"),
    ("validate_api_key_sid", "SK" + HEX[:30], "has 32 characters"),
    ("validate_api_key_sid", "SK" + HEX[:31] + "g", "0-9 and letters a-f"),
    ("validate_api_key_sid", "\tSK" + HEX, "starts or ends with a space"),
    ("validate_api_key_sid", "SK" + HEX[:10] + "\u00a0" + HEX[10:31], "invisible"),
    # Messaging Service SID
    ("validate_messaging_service_sid", "", "is empty"),
    ("validate_messaging_service_sid", "MG" + HEX[:20], "has 22 characters"),
    ("validate_messaging_service_sid", "PN" + HEX, "phone number SID"),
    ("validate_messaging_service_sid", "mg" + HEX, "capital 'MG'"),
    ("validate_messaging_service_sid", "MG-" + HEX[:31], "0-9 and letters a-f"),
    # Auth Token
    ("validate_auth_token", "", "is empty"),
    ("validate_auth_token", "abc", "has 3 characters"),
    ("validate_auth_token", "a" * 31, "has 31 characters"),
    ("validate_auth_token", "a" * 33, "has 33 characters"),
    ("validate_auth_token", "a" * 16 + " " + "a" * 15, "contains a space"),
    ("validate_auth_token", " " + "a" * 32, "starts or ends with a space"),
    ("validate_auth_token", "a" * 32 + "\n", "starts or ends with a space"),
    ("validate_auth_token", "'" + "a" * 30 + "'", "letters and digits"),
    ("validate_auth_token", None, "expected text"),
    # API secret
    ("validate_api_secret", "", "is empty"),
    ("validate_api_secret", "short", "has 5 characters"),
    ("validate_api_secret", "s" * 20 + " " + "s" * 11, "contains a space"),
    ("validate_api_secret", "s" * 31 + "\u00e9", "non-Latin"),
    ("validate_api_secret", 42, "expected text"),
    # Sender ID
    ("validate_sender_id", "", "is empty"),
    ("validate_sender_id", "AB", "at least 3"),
    ("validate_sender_id", "A" * 12, "limit is 11"),
    ("validate_sender_id", " GOVTECH", "starts or ends"),
    ("validate_sender_id", "GOVTECH ", "starts or ends"),
    ("validate_sender_id", "GOV-TECH", "'-'"),
    ("validate_sender_id", "GOV+TECH", "'+'"),
    ("validate_sender_id", "GOV_TECH", "'_'"),
    ("validate_sender_id", "GOV&TECH", "'&'"),
    ("validate_sender_id", "GOV.SG", "'.'"),
    ("validate_sender_id", "1234567", "no letter"),
    ("validate_sender_id", "OTP", "generic word"),
    ("validate_sender_id", "SMS", "generic word"),
    ("validate_sender_id", "info", "generic word"),
    ("validate_sender_id", "G" + CYRILLIC_A + "VTECH", "CYRILLIC"),
    ("validate_sender_id", "GOV\u200bTECH", "ZERO WIDTH"),
    ("validate_sender_id", 7, "expected text"),
    # Friendly names
    ("validate_friendly_name", "", "is empty"),
    ("validate_friendly_name", "   ", "is empty"),
    ("validate_friendly_name", "x" * 65, "has 65 characters"),
    ("validate_friendly_name", "Postman\x07SMS", "control or invisible"),
    ("validate_friendly_name", None, "expected text"),
    # Use case
    ("validate_usecase", "spam", "not one of Twilio's use cases"),
    ("validate_usecase", "", "not one of Twilio's use cases"),
    ("validate_usecase", "Notifications", "not one of Twilio's use cases"),
]

FLAG_CASES: list[object] = ["False", "True", "false", 0, 1, None, "no", ""]

SECRET_VALIDATORS = {"validate_auth_token", "validate_api_secret"}


@pytest.mark.parametrize(
    ("validator", "value", "fragment"),
    CASES,
    ids=[f"{c[0].removeprefix('validate_')}-{i}" for i, c in enumerate(CASES)],
)
def test_bad_input_is_refused_naming_field_and_fix(validator, value, fragment):
    with pytest.raises(InputError) as caught:
        getattr(v, validator)(value)
    err = caught.value
    text = str(err)
    assert err.field and text.startswith(err.field), text
    assert fragment.lower() in text.lower(), text
    assert err.advice and err.advice in text
    if validator in SECRET_VALIDATORS and isinstance(value, str) and len(value.strip()) > 4:
        assert value.strip() not in text  # a secret is never echoed


@pytest.mark.parametrize("value", FLAG_CASES, ids=[repr(c) for c in FLAG_CASES])
def test_flags_of_the_wrong_type_are_refused(value):
    with pytest.raises(InputError) as caught:
        v.validate_flag(value, "buy_phone_number")
    assert "buy_phone_number" in str(caught.value)
    assert "-p buy_phone_number True" in caught.value.advice


def test_the_matrix_is_big_enough():
    assert len(CASES) + len(FLAG_CASES) >= 60


# Property-based: what the validators accept is exactly what the patterns allow.

hex32 = st.text(alphabet="0123456789abcdefABCDEF", min_size=32, max_size=32)


@given(hex32)
def test_any_well_formed_sid_is_accepted(body):
    assert v.validate_account_sid("AC" + body) == "AC" + body
    assert v.validate_messaging_service_sid("MG" + body) == "MG" + body


@given(st.text(max_size=40))
def test_sid_validator_accepts_only_the_pattern(value):
    import re

    ok = re.fullmatch(r"AC[0-9a-fA-F]{32}", value) is not None
    try:
        v.validate_account_sid(value)
    except InputError as err:
        assert not ok
        assert err.field == "Account SID" and err.advice
    else:
        assert ok


@given(st.text(max_size=16))
def test_sender_id_rules_hold_for_everything_accepted(value):
    problems = v.sender_id_problems(value)
    if not problems:
        assert 3 <= len(value) <= 11
        assert value == value.strip()
        assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in value)
        assert any(ch.isalpha() for ch in value)
        assert value.upper() not in v.GENERIC_SENDER_IDS
    else:
        assert all(isinstance(p, str) and p.endswith(".") for p in problems)


@given(st.text(max_size=40))
def test_secret_validators_never_echo_the_value(value):
    try:
        v.validate_api_secret(value)
    except InputError as err:
        if len(value) >= 6:
            assert value not in str(err)
