"""The officer's own phone number for test messages (parameter ``test_phone``).

Parsed with ``phonenumbers``, Singapore as the default region (Postman's default too), so
``8123 4567`` and ``+65 8123 4567`` are the same number. Refused with the reason: anything that is
not a number, a number no country has assigned, and landlines or other non-mobiles, which cannot
receive SMS (Twilio answers 21614 for Singapore landlines). Whether a *foreign* mobile can be
reached depends on the Messaging Service (an alphanumeric Sender ID does not reach most countries),
so that decision is ``check_reachable``'s, given whether the phone-number branch (04a) was taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from .errors import InputError

DEFAULT_REGION = "SG"
FIELD = "test_phone"
# Postman's own check for Singapore numbers; a cross-check on what phonenumbers accepts.
POSTMAN_SG_MOBILE = re.compile(r"^(\+?65)?(8|9)\d{7}$")
_EXAMPLE = "Write your own mobile number, e.g. +65 8123 4567 (foreign: + and the country code)."

_KIND_WORDS = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile or landline",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "internet (VoIP)",
    PhoneNumberType.PERSONAL_NUMBER: "personal (forwarding)",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "company (UAN)",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
# Number types that can receive SMS. Several countries (the US among them) do not tell mobiles
# from landlines by the number, so "mobile or landline" has to be allowed.
_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class PhoneNumber:
    """A checked phone number: E.164 form, its region and what kind of line it is."""

    e164: str
    region: str  # ISO code, e.g. "SG"
    country: str  # in words, e.g. "Singapore"
    kind: str  # "mobile", "mobile or landline", ...

    @property
    def is_singapore(self) -> bool:
        return self.e164.startswith("+65")

    @property
    def masked(self) -> str:
        return mask_phone(self.e164)


def mask_phone(e164: str) -> str:
    """Country code and last four digits only, for reports and the journal: ``+65 ••••4567``."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return "••••" + e164[-4:]
    return f"+{number.country_code} ••••{str(number.national_number)[-4:]}"


def _text(value: object) -> tuple[str, bool]:
    """The typed number as text, and whether it came in as a bare integer.

    papermill's ``-p test_phone +6581234567`` turns the value into the int 6581234567 (the plus
    is lost), so integers get a second chance with the plus put back.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(FIELD, f"expected text, got {type(value).__name__}.", _EXAMPLE)
    if isinstance(value, int):
        return str(value), True
    return value.strip(), False


def _parse(text: str, was_int: bool) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException as err:
        reason = str(err).split(") ", 1)[-1].rstrip(".")  # "(1) The string supplied ..."
        raise InputError(FIELD, f"'{text}' is not a phone number: {reason}.", _EXAMPLE) from None
    if was_int and not phonenumbers.is_valid_number(number):
        try:
            retry = phonenumbers.parse("+" + text, None)
        except NumberParseException:
            return number
        if phonenumbers.is_valid_number(retry):
            return retry
    return number


def _invalid_reason(text: str, number: phonenumbers.PhoneNumber) -> tuple[str, str]:
    digits = str(number.national_number)
    if number.country_code == 65:
        if len(digits) != 8:
            problem = (
                f"'{text}' has {len(digits)} digits after the country code; Singapore numbers"
                " have 8."
            )
            if not text.startswith("+") and len(digits) > 8:
                problem += " A foreign number must start with + and its country code."
            return problem, _EXAMPLE
        return (
            f"'{text}' is not a number Singapore has given out (mobiles start with 8 or 9, and"
            " not every range is in use).",
            "Check the digits against your phone's own number.",
        )
    region = phonenumbers.region_code_for_country_code(number.country_code)
    if region == "ZZ":
        return f"'{text}': +{number.country_code} is not a country code.", _EXAMPLE
    return (
        f"'{text}' is not a valid number for country code +{number.country_code} ({region}).",
        "Check the digits and the country code.",
    )


def _country(number: phonenumbers.PhoneNumber) -> str:
    # Most officers test with a Singapore mobile: name it without loading the geocoder's data,
    # which costs about a second of CPU per kernel.
    if number.country_code == 65:
        return "Singapore"
    from phonenumbers import geocoder

    return geocoder.country_name_for_number(number, "en") or ""


def parse_phone(value: object) -> PhoneNumber:
    """Check ``test_phone``: a valid number that can receive SMS. Raises InputError with the reason.

    Does not decide whether a foreign number is reachable from the Messaging Service: see
    ``check_reachable``.
    """
    text, was_int = _text(value)
    if not text:
        raise InputError(FIELD, "is empty.", _EXAMPLE)
    number = _parse(text, was_int)
    if number.extension:
        raise InputError(
            FIELD, f"'{text}' has an extension, which SMS cannot use.", "Leave the extension out."
        )
    if not phonenumbers.is_valid_number(number):
        problem, fix = _invalid_reason(text, number)
        raise InputError(FIELD, problem, fix)
    kind_code = phonenumbers.number_type(number)
    kind = _KIND_WORDS.get(kind_code, "unknown kind of")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(number) or ""
    country = _country(number) or region
    if number.country_code == 65 and kind_code != PhoneNumberType.MOBILE:
        if kind_code == PhoneNumberType.FIXED_LINE:
            problem = (
                f"{e164} is a Singapore landline (numbers starting with 6 are fixed lines)."
                " Landlines cannot receive SMS: Twilio refuses them (error 21614) and Postman's"
                " check would fail."
            )
        else:
            problem = (
                f"{e164} is a Singapore {kind} number, not a mobile, so it cannot receive SMS"
                " (Twilio error 21614)."
            )
        raise InputError(FIELD, problem, "Use your own mobile number: it starts with 8 or 9.")
    if number.country_code == 65 and not POSTMAN_SG_MOBILE.match(e164):
        # phonenumbers and Postman disagree: trust the stricter, Postman decides in the end.
        raise InputError(
            FIELD,
            f"{e164} does not match Postman's pattern for Singapore mobiles (8 digits, the"
            " first 8 or 9).",
            "Use your own Singapore mobile number.",
        )
    if kind_code not in _TEXTABLE:
        raise InputError(
            FIELD,
            f"{e164} is a {country} {kind} number, which cannot receive SMS.",
            "Use a mobile number.",
        )
    return PhoneNumber(e164=e164, region=region, country=country, kind=kind)


def check_reachable(phone: PhoneNumber, *, has_phone_number: bool) -> None:
    """Refuse a foreign number when the service has only its alphanumeric Sender ID.

    ``has_phone_number``: the phone-number branch (step 04a) was taken, so the sender pool holds
    a number that foreign messages go out from.
    """
    if phone.is_singapore or has_phone_number:
        return
    raise InputError(
        FIELD,
        f"{phone.e164} is a {phone.country} number, and this Messaging Service has only the"
        " alphanumeric Sender ID in its sender pool. Twilio cannot deliver a Sender ID to most"
        " countries outside Singapore, so the message would fail (error 21612).",
        "Test with your Singapore mobile number. If your campaigns go to foreign numbers too,"
        " take step 04a (buy a phone number), run 04_messaging_service again, then this step.",
    )


def validate_test_phone(value: object, *, foreign_allowed: bool) -> PhoneNumber:
    """``parse_phone`` then ``check_reachable``: the whole check for ``test_phone``."""
    phone = parse_phone(value)
    check_reachable(phone, has_phone_number=foreign_allowed)
    return phone
