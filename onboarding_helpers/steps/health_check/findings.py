"""What the message log says about the campaigns: how many went through the service, how many
were delivered, and each error code with Twilio's cause and the fix in Postman's terms."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ...messages import campaign_advice
from ..api_key.policy import LIST_MESSAGES
from .checks import FAIL, OK, WARN, Check
from .log import MessageCounts

# The delivery rate at or above which campaigns count as healthy, and below which as failing.
GOOD_RATE, POOR_RATE = 0.90, 0.70
FOREIGN_TOP = 5  # countries shown, most recipients first


def log_refused(days: float) -> Check:
    return Check(
        "Message log",
        WARN,
        f"The key may not read the message log ({LIST_MESSAGES}), so the last {days:g} days'"
        " messages were not counted.",
        "Read them in the console (Monitor > Logs > Messaging, filtered by the service), or run"
        " this check with values whose key may list messages (a Standard key may).",
    )


def _status_words(counts: MessageCounts) -> str:
    order = ("delivered", "sent", "undelivered", "failed")
    shown = [f"{counts.by_status[s]:,} {s}" for s in order if counts.by_status.get(s)]
    shown += [f"{n:,} {s}" for s, n in sorted(counts.by_status.items()) if s not in order]
    return ", ".join(shown)


def volume_check(counts: MessageCounts, days: float) -> Check:
    if counts.total == 0:
        elsewhere = (
            f" The account sent {counts.other_services:,} other messages in that time, not"
            " through this service."
            if counts.other_services
            else ""
        )
        return Check(
            "Messages",
            WARN,
            f"No message went through the service in the last {days:g} days.{elsewhere}",
            "If Postman sent a campaign in that time, check the Messaging Service ID Postman"
            " holds is this one; a send Twilio refuses outright (wrong values) is not logged.",
        )
    summary = f"{counts.total:,} messages in the last {days:g} days: {_status_words(counts)}."
    if counts.by_status.get("sent"):
        summary += (
            " 'sent' means the carrier never confirmed delivery; Postman counts it as a success."
        )
    return Check("Messages", OK, summary)


def rate_check(counts: MessageCounts) -> Check | None:
    rate = counts.delivery_rate
    if rate is None:
        return None
    summary = (
        f"{rate:.1%} delivered ({counts.delivered:,} of the {counts.finished:,} messages no"
        " longer on their way)."
    )
    if rate >= GOOD_RATE:
        return Check("Delivery rate", OK, summary)
    return Check(
        "Delivery rate",
        WARN if rate >= POOR_RATE else FAIL,
        summary,
        "The error codes below say why; fix those marked ✖ first: they stop messages for"
        " everyone, not one recipient.",
    )


@dataclass(frozen=True)
class ErrorFinding:
    """One error code on the service's messages: how many, Twilio's cause, the fix, and what the
    messages went out as and a few of their recipients (masked)."""

    code: str
    messages: int
    severity: str
    cause: str
    advice: str
    senders: tuple[str, ...]
    examples: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "senders": list(self.senders), "examples": list(self.examples)}


def error_findings(counts: MessageCounts, sender_id: str) -> list[ErrorFinding]:
    """One finding per error code, most messages first (``messages.campaign_advice``)."""
    findings = []
    # What stops messages for everyone first, then by how many messages.
    for code, n in sorted(
        counts.by_error.most_common(),
        key=lambda item: (campaign_advice(int(item[0]))[0] != FAIL, -item[1]),
    ):
        senders = tuple(s for s, _ in counts.senders.get(code, {}).most_common())
        severity, cause, advice = campaign_advice(int(code), senders, sender_id or None)
        examples = tuple(counts.examples.get(code, ()))
        findings.append(ErrorFinding(code, n, severity, cause, advice, senders, examples))
    return findings


def error_checks(findings: list[ErrorFinding], total: int) -> list[Check]:
    """One line per error code: ✖ for what stops messages for everyone, ! for recipients."""
    checks = []
    for f in findings:
        share = f.messages / total if total else 0
        seen = f" For example: {', '.join(f.examples)}." if f.examples else ""
        checks.append(
            Check(
                f"Error {f.code}",
                FAIL if f.severity == FAIL else WARN,
                f"{f.messages:,} messages ({share:.1%}): {f.cause}{seen}",
                f"{f.advice} (Twilio's page: https://www.twilio.com/docs/api/errors/{f.code})",
            )
        )
    return checks


def top_countries(counts: MessageCounts) -> list[tuple[str, str, int]]:
    """(ISO code, name, messages) of the recipients' countries, most messages first."""
    return [
        (iso, counts.country_names.get(iso, iso), n)
        for iso, n in counts.countries.most_common(FOREIGN_TOP)
    ]


def foreign_countries(counts: MessageCounts) -> list[tuple[str, str]]:
    """Every country abroad the window's recipients live in (ISO code, name)."""
    return [
        (iso, counts.country_names.get(iso, iso))
        for iso, _ in counts.countries.most_common()
        if iso not in ("SG", "unknown")
    ]
