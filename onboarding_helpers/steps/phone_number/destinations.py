"""What the destinations the agency names need, before anything is bought (``countries`` table).

A bought number helps only where alphanumeric Sender IDs are not taken; most countries that take
them need no number at all, some need the Sender ID registered there, and the US needs more than a
number (A2P 10DLC or toll-free verification). This says so, country by country, in the
officer's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...countries import GEO_PERMISSIONS, country_rule, sender_for


@dataclass(frozen=True)
class Destination:
    """One destination: what reaches it with the Sender ID alone, and whether a number helps."""

    iso: str
    country: str
    alpha: str  # "supported" | "registration" | "not supported" (countries.CountryRule.alpha)
    needs_number: bool  # the Sender ID is not taken there: something else must reach it
    number_helps: bool  # a bought number is (part of) that something
    line: str  # what to tell the officer, one paragraph
    source: str  # the page the country's rule was read from
    checked: str  # when


def _line(iso: str) -> Destination:
    rule = country_rule(iso)
    alone = sender_for(iso, True, [])
    if alone.sender == "sender_id":
        line = f"{rule.name}: {alone.summary} {alone.advice}".strip()
        return Destination(
            rule.iso, rule.name, rule.alpha, False, False, line, rule.source, rule.checked
        )
    if rule.iso == "US":
        what = (
            "alphanumeric Sender IDs do not work in the US, and a US number alone does not reach"
            f" US phones either. {rule.advice}"
        )
    else:
        what = f"alphanumeric Sender IDs do not work there. {rule.needs} {rule.advice}"
    line = f"{rule.name}: {what}"
    return Destination(
        rule.iso, rule.name, rule.alpha, True, rule.number_reaches, line, rule.source, rule.checked
    )


def plan_destinations(countries: tuple[str, ...]) -> tuple[Destination, ...]:
    """What each destination (ISO codes) needs, assuming the service holds the Sender ID."""
    return tuple(_line(iso) for iso in countries if iso != "SG")


def destination_notes(destinations: tuple[Destination, ...], *, buying: bool) -> list[str]:
    """The notes 04a shows: each destination, then whether a number is worth buying."""
    if not destinations:
        return [
            "Name the countries your agency sends to (foreign_countries, e.g. 'MY, US') and this"
            " step says what each needs before you buy anything."
        ]
    notes = [d.line for d in destinations]
    helped = [d.country for d in destinations if d.number_helps]
    if helped:
        notes.append(
            f"A number in the sender pool is needed for: {', '.join(helped)} (see above for what"
            " else each needs)."
        )
    else:
        notes.append(
            "None of these countries is reached by a bought number: your Sender ID reaches the"
            " others as they are (registered where they require it)."
            + (" This number adds nothing for them." if buying else " Skip buying.")
        )
    notes.append(
        f"Messaging Geo Permissions must allow each of these countries ({GEO_PERMISSIONS} in"
        " the console), else Twilio refuses the messages (error 21408)."
    )
    sources = ", ".join(f"{d.source} (checked {d.checked})" for d in destinations)
    notes.append(f"Rules change; re-check each country's page: {sources}.")
    return notes
