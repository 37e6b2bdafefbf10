"""Which sender a recipient abroad sees, country by country: ONE table, each row with its source.

Once a Messaging Service holds an alphanumeric Sender ID, Twilio sends from it to every country
that supports one, and from a number in the sender pool only where alpha senders are not
supported (Twilio's glossary entry "Alphanumeric Sender ID"). Whether a country supports them,
needs them registered first, or refuses them is decided per country by its regulator and mobile
operators; Twilio publishes it on one guideline page per country
(``https://www.twilio.com/en-us/guidelines/<iso>/sms``, "Phone Numbers & Sender ID").

These rules change (Singapore, Thailand, Vietnam, the Philippines and Indonesia all started
blocking unregistered Sender IDs between 2023 and 2025). Each row says the page it was read from
and when (``source``, ``checked``); the rows were read on 2026-12-01 from stored copies of those
pages (the build machine cannot reach the live site). Re-check a row on its page before relying
on it, and update ``checked`` when you do. Where the page was unclear, the row says so
(``unclear``) rather than guess.

API for the steps: ``country_rule(iso2) -> CountryRule`` and ``sender_for(iso2, has_alpha,
pool_numbers) -> SenderPrediction``; ``parse_countries`` reads a list of destinations typed by
the officer. The sandbox keeps its own copy of the ``alpha`` column (it imports nothing from the
runbook); ``tests/test_countries.py`` proves the two agree.

Importing this module is cheap: standard library only (``phonenumbers`` only when an unknown
code is checked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from .errors import InputError
from .steps.registry import MESSAGING_SERVICE, PHONE_NUMBER

Alpha = Literal["supported", "registration", "not supported"]
CHECKED = "2026-12-01"
GUIDELINES = "https://www.twilio.com/en-us/guidelines/{iso}/sms"
GEO_PERMISSIONS = "Messaging > Settings > Geo permissions"
# Twilio's page for registering an alphanumeric Sender ID in a country that requires it.
REGISTER_ALPHA = "the Twilio Console's Sender ID registration (Phone Numbers > Sender IDs)"
US_REGISTRATION = (
    "A2P 10DLC registration of the US number (a brand and a campaign, Messaging > Regulatory"
    " Compliance) or a verified toll-free number"
)


@dataclass(frozen=True)
class CountryRule:
    """One destination: whether it takes an alphanumeric Sender ID, and what else it needs.

    ``alpha``: "supported" (sent as is, no registration), "registration" (only once registered
    for that country; unregistered ones are blocked or replaced), "not supported" (a number is
    needed, and maybe more: ``needs``). ``shown_as_sent``: False where operators replace the
    Sender ID with a number of their own; ``number_reaches``: False where a bought number does not
    help either (short codes only). ``advice``: what the officer must do before sending there.
    ``source``: the page read; ``checked``: when.
    """

    iso: str
    name: str
    alpha: Alpha
    needs: str
    advice: str
    source: str
    checked: str = CHECKED
    shown_as_sent: bool = True
    unclear: str = ""
    number_reaches: bool = True  # False: a bought (long code) number does not reach it either


def _page(iso: str) -> str:
    return GUIDELINES.format(iso=iso.lower())


def _rule(
    iso: str,
    name: str,
    alpha: Alpha,
    needs: str,
    advice: str,
    *,
    shown_as_sent: bool = True,
    unclear: str = "",
    number_reaches: bool = True,
) -> CountryRule:
    page = _page(iso)
    return CountryRule(
        iso, name, alpha, needs, advice, page, CHECKED, shown_as_sent, unclear, number_reaches
    )


_RULES: tuple[CountryRule, ...] = (
    _rule(
        "SG",
        "Singapore",
        "registration",
        "The Sender ID registered with SGNIC's SMS Sender ID Registry (SSIR), and registered with"
        " Twilio too (Twilio's Sender ID form with proof of the SSIR registration). Unregistered"
        " IDs show as 'Likely-SCAM' or are blocked. Numbers from abroad show as 'Likely-SCAM'.",
        "This is the onboarding itself: the SSIR registration and Twilio's Sender ID mapping.",
    ),
    _rule(
        "MY",
        "Malaysia",
        "supported",
        "No registration for traffic from abroad, but operators replace every Sender ID with a"
        " random short code. Each message must start with 'RM0', name your agency, and carry no"
        " URL, phone number or request for personal details (blocked since 1 Sep 2024).",
        "Start the text with 'RM0' and your agency's name; leave out links and phone numbers.",
        shown_as_sent=False,
    ),
    _rule(
        "ID",
        "Indonesia",
        "registration",
        "Pre-registration of the Sender ID (about 4 weeks for senders outside Indonesia); Twilio"
        " blocks unregistered IDs towards Telkomsel, XL Axiata and Smartfren since 21 Sep 2024."
        " Numbers are overwritten and delivered on a best-effort basis.",
        f"Register the Sender ID for Indonesia in {REGISTER_ALPHA} before sending.",
    ),
    _rule(
        "PH",
        "Philippines",
        "registration",
        "Registration of the Sender ID (about 2 weeks); unregistered IDs are blocked since 7 Apr"
        " 2025. IDs containing TEST, MESSAGE or SMS are not allowed; no shortened URLs.",
        f"Register the Sender ID for the Philippines in {REGISTER_ALPHA} before sending.",
    ),
    _rule(
        "TH",
        "Thailand",
        "registration",
        "Registration of the Sender ID (about 2 weeks); unregistered IDs are blocked since 6 Oct"
        " 2025. URLs must be registered with the ID; no marketing between 9 pm and 9 am.",
        f"Register the Sender ID for Thailand in {REGISTER_ALPHA} before sending.",
    ),
    _rule(
        "VN",
        "Vietnam",
        "registration",
        "Registration of the Sender ID and message templates (about 5 weeks); unregistered IDs"
        " are blocked since 25 Aug 2025. Each message must name your agency; no URLs or phone"
        " numbers in the text; transactional messages only.",
        f"Register the Sender ID and templates for Vietnam in {REGISTER_ALPHA} before sending.",
    ),
    _rule(
        "IN",
        "India",
        "supported",
        "From abroad (Twilio's international route) no registration, but operators replace the"
        " Sender ID with a random number starting with 5. Keeping the ID needs DLT registration"
        " in India, which is for organisations registered there.",
        "Tell recipients in India the message comes from a number starting with 5, or register"
        " on India's DLT portal if your agency can.",
        shown_as_sent=False,
    ),
    _rule(
        "CN",
        "China",
        "not supported",
        "Twilio supports no alphanumeric Sender ID for China; delivery from a number is on a"
        " best-effort basis only, and no URLs or political, financial or marketing content.",
        "Expect best-effort delivery only; a number in the sender pool is needed.",
    ),
    _rule(
        "HK",
        "Hong Kong",
        "registration",
        "Registration for China Mobile Hong Kong (about 18 days); other networks take"
        " unregistered IDs. OFCA's registry also offers IDs with a '#' prefix for all networks.",
        f"Register the Sender ID for Hong Kong in {REGISTER_ALPHA}, or with OFCA ('#' prefix).",
        unclear="Unregistered IDs reach every network except China Mobile Hong Kong.",
    ),
    _rule(
        "AU",
        "Australia",
        "registration",
        "Pre-registration of the Sender ID with Twilio (about 5 business days, proof that you may"
        " use it); unregistered IDs may be blocked since 25 Apr 2023.",
        f"Register the Sender ID for Australia in {REGISTER_ALPHA} before sending.",
    ),
    _rule(
        "NZ",
        "New Zealand",
        "not supported",
        "Operators take neither alphanumeric Sender IDs nor long codes for business messages:"
        " they require a dedicated short code (5-6 weeks, from Twilio).",
        "Ask Twilio for a New Zealand short code; a bought number is not enough.",
        number_reaches=False,
    ),
    _rule(
        "JP",
        "Japan",
        "supported",
        "None for Twilio's international route: the Sender ID is kept. No phone numbers in the"
        " message text.",
        "Nothing to register.",
    ),
    _rule(
        "KR",
        "South Korea",
        "not supported",
        "Only numeric senders: operators prefix the number with 009 or 006 and mark the message"
        " as sent from abroad.",
        "A number in the sender pool is needed.",
    ),
    _rule(
        "GB",
        "United Kingdom",
        "supported",
        "None, except for brand names protected by the MEF or BT, which must be registered."
        " Generic IDs (INFO, SMS, NOTIFY ...) are blocked; operators are restricting symbols"
        " other than . - _ & and space.",
        "Nothing to register unless your ID is a protected brand; avoid '+' in the ID.",
    ),
    _rule(
        "US",
        "United States",
        "not supported",
        "Since 1 Sep 2023 US phones receive business SMS only from a number registered for"
        " A2P 10DLC (a brand and a campaign) or a verified toll-free number; an unregistered US"
        " number is blocked (error 30034).",
        f"Buy a US number and complete {US_REGISTRATION} before sending; a number alone is"
        " blocked.",
    ),
    _rule(
        "CA",
        "Canada",
        "not supported",
        "Operators filter business messages strictly; Twilio recommends a short code or a"
        " verified toll-free number.",
        "Use a verified toll-free number or a short code (ask Twilio); a long code is filtered.",
        unclear="The page does not say whether an unverified number is blocked or only filtered.",
    ),
)

RULES: dict[str, CountryRule] = {rule.iso: rule for rule in _RULES}

# Every other country: not checked by the runbook. Twilio's glossary: the Sender ID is used where
# the country supports it, else a number from the pool.
DEFAULT_RULE = CountryRule(
    iso="",
    name="another country",
    alpha="supported",
    needs="Not checked by the runbook. Many countries take an alphanumeric Sender ID as is; many"
    " need it registered first; some take numbers only.",
    advice="Read the country's page in Twilio's SMS guidelines before sending there.",
    source="https://www.twilio.com/docs/glossary/what-alphanumeric-sender-id",
    unclear="Whether this country supports alphanumeric Sender IDs was not checked.",
)


def country_rule(iso2: str) -> CountryRule:
    """The rule for a destination by ISO code ("MY", "us"); ``DEFAULT_RULE`` for the rest."""
    iso = str(iso2 or "").strip().upper()
    if iso in RULES:
        return RULES[iso]
    if not iso:
        return DEFAULT_RULE
    return replace(
        DEFAULT_RULE,
        iso=iso,
        name=iso,
        advice=f"Read Twilio's SMS guidelines for {iso} ({_page(iso)}) before sending there.",
    )


Reach = Literal["yes", "if registered", "no"]


@dataclass(frozen=True)
class SenderPrediction:
    """Which sender a recipient in one country sees when the service sends there.

    ``sender``: "sender_id" (the service's alphanumeric Sender ID), "number" (``number``, the
    first in the sender pool) or "" (nothing can reach the country as the service stands).
    ``reach``: "yes"; "if registered" (only once the Sender ID, or for the US the number, is
    registered for that country: the runbook cannot check that); "no" (Twilio refuses the
    message or it fails). ``shown_as``: what the handset shows. ``summary``: one sentence;
    ``advice``: what to do first ("" when nothing); ``notes``: reminders such as Geo Permissions.
    """

    iso: str
    country: str
    sender: Literal["sender_id", "number", ""]
    number: str
    reach: Reach
    shown_as: str
    summary: str
    advice: str
    rule: CountryRule
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def reachable(self) -> bool:
        """False when Twilio refuses the message or it surely fails, as the service stands."""
        return self.reach != "no"


def _the(name: str) -> str:
    """A country's name inside a sentence: "the United States", "Malaysia"."""
    return f"the {name}" if name.startswith(("United", "Philippines")) else name


def _first(name: str) -> str:
    """A country's name starting a sentence: "The United States", "Malaysia"."""
    named = _the(name)
    return named[:1].upper() + named[1:]


def _geo_note(rule: CountryRule) -> tuple[str, ...]:
    if rule.iso == "SG":
        return ()
    return (
        f"Messaging Geo Permissions must allow {_the(rule.name)} ({GEO_PERMISSIONS} in the"
        " console), else Twilio refuses the message (error 21408).",
    )


def _from_sender_id(rule: CountryRule, the_id: str) -> tuple[Reach, str, str, str]:
    shown = the_id if rule.shown_as_sent else "a number the operators put in its place"
    if rule.alpha == "registration":
        summary = (
            f"Twilio sends from {the_id}; {_the(rule.name)} delivers it only once it is registered"
            " there (the runbook cannot check that)."
        )
        return "if registered", shown, summary, rule.advice
    if rule.source == DEFAULT_RULE.source:
        summary = (
            f"Twilio sends from {the_id} if {rule.name} takes alphanumeric Sender IDs, else from"
            " a number in the sender pool; the runbook has not checked which."
        )
        return "yes", shown, summary, rule.advice
    summary = f"Twilio sends from {the_id}; no phone number is needed for {_the(rule.name)}."
    if not rule.shown_as_sent:
        summary += f" Operators in {_the(rule.name)} replace it with a number of their own."
    advice = "" if rule.advice.startswith("Nothing to register.") else rule.advice
    return "yes", shown, summary, advice


def _from_number(rule: CountryRule, number: str) -> tuple[Reach, str, str]:
    if not rule.number_reaches:
        return "no", f"Twilio would send from {number}, but {rule.needs}", rule.advice
    if rule.iso == "US":
        return (
            "if registered",
            f"US phones receive it only if {number} is registered for A2P 10DLC or is a verified"
            " toll-free number (an unregistered one is blocked: error 30034).",
            f"Complete {US_REGISTRATION} for {number} before sending to the US.",
        )
    if rule.alpha == "registration":
        return (
            "if registered",
            f"{_first(rule.name)} blocks or overwrites numbers from abroad; it expects a registered"
            " alphanumeric Sender ID.",
            rule.advice,
        )
    if rule.alpha == "not supported":
        why = f"alphanumeric Sender IDs do not work in {_the(rule.name)}. {rule.needs}"
        return "yes", f"Twilio sends from the number {number}: {why}", rule.advice
    return "yes", f"Twilio sends from the number {number}: the service has no Sender ID.", ""


def _unreachable(rule: CountryRule, has_alpha: bool) -> tuple[str, str]:
    if not has_alpha:
        return (
            "The service has no sender at all, so Twilio refuses the message (error 21703).",
            f"Run {MESSAGING_SERVICE.id} to add your Sender ID to the sender pool.",
        )
    summary = (
        f"{_first(rule.name)} does not take alphanumeric Sender IDs and the sender pool holds no"
        " number, so Twilio refuses the message (error 21612)."
    )
    if rule.iso in ("US", "CA"):
        advice = (
            f"Alphanumeric Sender IDs do not work in the US or Canada. {rule.advice} A number"
            f" can be bought in step {PHONE_NUMBER.number}."
        )
    else:
        advice = f"{rule.advice} Step {PHONE_NUMBER.number} buys a number for the sender pool."
    return summary, advice


def sender_for(
    iso2: str, has_alpha: bool, pool_numbers: list[str], *, sender_id: str = ""
) -> SenderPrediction:
    """Which sender a recipient in ``iso2`` sees from a service with (``has_alpha``) or without
    an alphanumeric Sender ID and the numbers ``pool_numbers`` in its sender pool; or why the
    country cannot be reached and what to do. ``sender_id`` only names the ID in the text.

    Twilio's order: the Sender ID wherever the country takes one (registered or not: an
    unregistered one is then blocked there), else the pool's first number.
    """
    rule = country_rule(iso2)
    the_id = f"your Sender ID '{sender_id}'" if sender_id else "your Sender ID"
    notes = _geo_note(rule)
    if has_alpha and rule.alpha != "not supported":
        reach, shown, summary, advice = _from_sender_id(rule, the_id)
        return SenderPrediction(
            rule.iso, rule.name, "sender_id", "", reach, shown, summary, advice, rule, notes
        )
    numbers = [n for n in pool_numbers if n]
    if numbers:
        reach, summary, advice = _from_number(rule, numbers[0])
        return SenderPrediction(
            rule.iso,
            rule.name,
            "number",
            numbers[0],
            reach,
            numbers[0],
            summary,
            advice,
            rule,
            notes,
        )
    summary, advice = _unreachable(rule, has_alpha)
    return SenderPrediction(rule.iso, rule.name, "", "", "no", "", summary, advice, rule, notes)


# Names the officer may type instead of codes, and the codes people often get wrong.
_BY_NAME = {rule.name.lower(): rule.iso for rule in _RULES} | {
    "korea": "KR",
    "vietnam": "VN",
    "viet nam": "VN",
    "usa": "US",
    "america": "US",
}
_NOT_ISO = {"UK": "GB", "EN": "GB"}


def _known_region(iso: str) -> bool:
    """Whether ``iso`` is a region with phone numbers (phonenumbers' list; imported here only)."""
    import phonenumbers

    return iso in phonenumbers.SUPPORTED_REGIONS


def _one_country(text: str, field_name: str) -> str:
    example = "Write two-letter ISO codes separated by commas, e.g. 'MY, US, GB'."
    key = text.upper()
    if text.lower() in _BY_NAME:
        return _BY_NAME[text.lower()]
    if key in _NOT_ISO:
        raise InputError(
            field_name,
            f"'{text}' is not an ISO country code; the United Kingdom's is {_NOT_ISO[key]}.",
            example,
        )
    if not re.fullmatch(r"[A-Za-z]{2}", text):
        raise InputError(
            field_name,
            f"'{text}' is neither a two-letter ISO country code nor a country name the runbook"
            " knows.",
            example,
        )
    if key not in RULES and not _known_region(key):
        raise InputError(field_name, f"'{text}' is not a country code with phone numbers.", example)
    return key


def parse_countries(value: object, field_name: str = "foreign_countries") -> tuple[str, ...]:
    """The destinations typed as "MY, US" (or a list): ISO codes, upper case, each once.

    Empty text means none. Refuses, naming ``field_name``, what is not a country (and "UK",
    whose ISO code is GB).
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts = re.split(r"[,;]", value)
    elif isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    else:
        raise InputError(
            field_name,
            f"expected text such as 'MY, US', got {type(value).__name__}.",
            "Headless, pass it with -r foreign_countries 'MY, US' (text).",
        )
    codes = [_one_country(p.strip(), field_name) for p in parts if p.strip()]
    return tuple(dict.fromkeys(codes))
