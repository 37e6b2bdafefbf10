r"""The officer's own phone number for test messages (parameter ``test_phone``).

Singapore numbers are taken the way Postman takes them: spaces and dashes dropped, then any
number matching Postman's own pattern ``^(\+?65)?(8|9)\d{7}$`` is a Singapore mobile. Postman
skips the phone-number database for Singapore on purpose (its ranges lag behind what the
operators give out); when ``phonenumbers`` does not list a number's range, the runbook says so as
a warning and goes on. Anything else is parsed with ``phonenumbers``, Singapore as the default
region (Postman's default too), and refused with the reason: anything that is not a number, a
number no country has assigned, and landlines or other non-mobiles, which cannot receive SMS
(Twilio answers 21614 for Singapore landlines).

Whether a *foreign* mobile can be reached depends on the country and on the Messaging Service's
senders (``countries.sender_for``): ``check_reachable`` refuses, before anything is sent, a
number that cannot be reached, and a US number unless the officer confirms that the US sender is
registered (A2P 10DLC or toll-free verification, which the runbook cannot check).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from .countries import RULES
from .errors import InputError

if TYPE_CHECKING:
    from .countries import SenderPrediction

DEFAULT_REGION = "SG"
FIELD = "test_phone"
# Postman's own check for Singapore numbers (shared/src/utils/phone-number.service.ts): every
# number it matches is taken as a Singapore mobile, after spaces and dashes are dropped.
POSTMAN_SG_MOBILE = re.compile(r"^(\+?65)?(8|9)\d{7}$")
_SEPARATORS = re.compile(r"[\s\-]")
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

    e164: str  # as Postman's test-number field takes it too: no spaces
    region: str  # ISO code, e.g. "SG"
    country: str  # in words, e.g. "Singapore"
    kind: str  # "mobile", "mobile or landline", ...
    warnings: tuple[str, ...] = field(default=(), compare=False)  # taken, with a doubt to say

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
            f"'{text}' is not a number Singapore has given out (Singapore mobiles start with 8"
            " or 9).",
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
    """The country's English name, as phonenumbers' geocoder names it (``country_name_for_number``):
    none for a number valid in several countries that share its code (+61: Australia and two
    islands), else our own table's name."""
    regions = phonenumbers.region_codes_for_country_code(number.country_code)
    if len(regions) > 1:
        regions = tuple(r for r in regions if phonenumbers.is_valid_number_for_region(number, r))
    named = _country_name(regions[0]) if len(regions) == 1 else ""
    region = phonenumbers.region_code_for_number(number) or ""
    return named or (RULES[region].name if region in RULES else "")


@functools.cache
def _country_names() -> dict[str, dict[str, str]]:
    """phonenumbers' country names (the geocoder's ``LOCALE_DATA``), read from their own module.

    Importing the geocoder loads its package's place names for every number prefix first (19 MB
    of source, half a second of CPU in each process and several seconds of bytecode to compile
    at install), none of which a country's name needs. Should the module move in a later
    phonenumbers, the geocoder supplies the table as before.
    """
    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    try:
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names: dict[str, dict[str, str]] = module.LOCALE_DATA
    except (AssertionError, OSError, ImportError, AttributeError):
        from phonenumbers.geocoder import LOCALE_DATA as names
    return names


def _country_name(region: str) -> str:
    names = _country_names().get(region, {})
    name = names.get("en", "")
    if name.startswith("*"):  # the name is held under another language's entry
        name = names.get(name[1:], "")
    return name


def recipient_country(e164: str) -> tuple[str, str]:
    """(ISO code, English name) of the country of an E.164 number; ("", "") when no country's
    code starts it. Read from the calling code alone where one country has it, so a campaign's
    thousands of recipients are counted by country cheaply; a shared code (+1, +7, +44 ...) has
    the number parsed in full."""
    digits = e164[1:] if e164.startswith("+") else e164
    regions: tuple[str, ...] = ()
    for length in (1, 2, 3):
        code = digits[:length]
        if code.isdigit() and int(code) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            regions = tuple(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)])
            break
    regions = tuple(r for r in regions if r != "001")  # non-geographic codes
    if not regions:
        return "", ""
    region = regions[0]
    if len(regions) > 1:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or region
        except NumberParseException:
            pass
    name = _country_name(region) or (RULES[region].name if region in RULES else region)
    return region, name


def _singapore_mobile_for_postman(text: str) -> PhoneNumber | None:
    """A Singapore mobile by Postman's pattern (spaces and dashes dropped), or None. Where the
    phone-number database does not list the range, a warning says so: Postman takes it all the
    same, so the runbook does too."""
    compact = _SEPARATORS.sub("", text)
    if not POSTMAN_SG_MOBILE.match(compact):
        return None
    e164 = "+65" + compact[-8:]
    number = phonenumbers.parse(e164, None)
    warnings: tuple[str, ...] = ()
    if phonenumbers.number_type(number) != PhoneNumberType.MOBILE:
        shown = f"+65 {e164[3:7]} {e164[7:]}"
        warnings = (
            f"{shown} is in a range the runbook's phone-number database (python-phonenumbers"
            f" {phonenumbers.__version__}) does not list as given out yet. Postman takes every"
            " Singapore number starting with 8 or 9, so the runbook goes on; if this is not your"
            " own mobile number, correct it.",
        )
    return PhoneNumber(e164, "SG", "Singapore", "mobile", warnings)


def parse_phone(value: object) -> PhoneNumber:
    """Check ``test_phone``: a valid number that can receive SMS. Raises InputError with the reason.

    Does not decide whether a foreign number is reachable from the Messaging Service: see
    ``check_reachable``.
    """
    text, was_int = _text(value)
    if not text:
        raise InputError(FIELD, "is empty.", _EXAMPLE)
    singapore_mobile = _singapore_mobile_for_postman(text)
    if singapore_mobile is not None:
        return singapore_mobile
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
    if kind_code not in _TEXTABLE:
        raise InputError(
            FIELD,
            f"{e164} is a {country} {kind} number, which cannot receive SMS.",
            "Use a mobile number.",
        )
    return PhoneNumber(e164=e164, region=region, country=country, kind=kind)


def check_reachable(
    phone: PhoneNumber, prediction: SenderPrediction | None, *, us_sender_registered: bool = False
) -> None:
    """Refuse, before anything is sent, a foreign number the service cannot reach.

    ``prediction``: ``countries.sender_for`` for the phone's country and the service's senders
    (None for Singapore, always reachable). Refused: a country nothing in the sender pool reaches
    (Twilio would answer 21612 or the message would surely fail), and the United States unless
    ``us_sender_registered``: US phones take SMS only from a number registered for A2P 10DLC or a
    verified toll-free number, which the runbook cannot check, so the officer confirms it.
    """
    if phone.is_singapore or prediction is None:
        return
    if not prediction.reachable:
        raise InputError(
            FIELD,
            f"{phone.e164} is a {phone.country} number. {prediction.summary} Nothing was sent.",
            f"{prediction.advice} Or test with your Singapore mobile.",
        )
    if prediction.iso == "US" and not us_sender_registered:
        number = prediction.number or "your US number"
        raise InputError(
            FIELD,
            f"{phone.e164} is a United States number. US phones receive SMS only from a number"
            " registered for A2P 10DLC (a brand and a campaign) or a verified toll-free number,"
            f" and messages from {number} are blocked until it is (error 30034). The runbook"
            " cannot check the registration itself, so nothing was sent.",
            "Once the A2P 10DLC registration or toll-free verification is approved (console:"
            f" Messaging > Regulatory Compliance), confirm it: headless -p {US_CONFIRMATION} True,"
            " in the form tick 'My US number is registered'. Or test with your Singapore mobile.",
        )


# The parameter (and form tick) with which the officer confirms the US sender is registered.
US_CONFIRMATION = "us_sender_registered"


def validate_test_phone(
    value: object,
    prediction_for: Callable[[PhoneNumber], SenderPrediction | None] | None = None,
    *,
    us_sender_registered: bool = False,
) -> PhoneNumber:
    """``parse_phone`` then ``check_reachable`` with ``prediction_for(phone)`` (the country table
    applied to the service's senders; not asked for Singapore numbers)."""
    phone = parse_phone(value)
    if not phone.is_singapore and prediction_for is not None:
        check_reachable(phone, prediction_for(phone), us_sender_registered=us_sender_registered)
    return phone
