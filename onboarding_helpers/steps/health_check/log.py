"""The service's messages of the window, read from Twilio's message log into counts.

Twilio's Messages list has no filter by Messaging Service: the account's messages sent in the
window (``DateSent>`` and ``DateSent<``) are read page by page, up to 1000 a page (the most
Twilio gives), following each page's next page, and only the service's are counted. Each message
goes into the counts as it is read and is then dropped: memory holds one page, whatever the
account sent. A line per page says how far the reading got. Phone numbers never leave here
whole: recipients are counted by country, and a few are kept per error code, masked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...phone import mask_phone, recipient_country
from ...twilio_gateway import call

if TYPE_CHECKING:
    from twilio.rest import Client

PAGE_SIZE = 1000  # the most Twilio's Messages list gives in one page
EXAMPLES = 3  # masked recipients kept per error code, to find them in Postman's results
MAX_SENDERS = 20  # distinct senders kept per error code (a pool rarely holds more)
# Statuses of a message still on its way: not yet delivered, not yet failed.
IN_PROGRESS = ("accepted", "scheduled", "queued", "sending")


@dataclass(frozen=True)
class PageRead:
    """One page read: how many pages and messages so far, and how many were the service's."""

    pages: int
    read: int
    counted: int

    def line(self) -> str:
        return (
            f"Message log: page {self.pages} read, {self.read:,} messages so far,"
            f" {self.counted:,} of them through the service."
        )


@dataclass
class MessageCounts:
    """The service's messages of the window, counted as Twilio's list gives them."""

    service_sid: str
    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_error: Counter[str] = field(default_factory=Counter)  # codes as strings
    countries: Counter[str] = field(default_factory=Counter)  # ISO codes
    country_names: dict[str, str] = field(default_factory=dict)
    senders: dict[str, Counter[str]] = field(default_factory=dict)  # by error code, masked
    examples: dict[str, list[str]] = field(default_factory=dict)  # by error code, masked
    read: int = 0  # every message of the window, the service's or not
    pages: int = 0

    @property
    def other_services(self) -> int:
        return self.read - self.total

    @property
    def delivered(self) -> int:
        return self.by_status.get("delivered", 0)

    @property
    def finished(self) -> int:
        return self.total - sum(self.by_status.get(s, 0) for s in IN_PROGRESS)

    @property
    def delivery_rate(self) -> float | None:
        """Delivered out of the messages no longer on their way; None when there are none."""
        return self.delivered / self.finished if self.finished else None

    def add(self, message: Any) -> None:
        """Count one message of the log (a ``MessageInstance``) if it is the service's."""
        self.read += 1
        if message.messaging_service_sid != self.service_sid:
            return
        self.total += 1
        self.by_status[message.status or "unknown"] += 1
        iso, name = recipient_country(message.to or "")
        self.countries[iso or "unknown"] += 1
        self.country_names.setdefault(iso or "unknown", name or "unknown")
        if message.error_code:
            self._error(str(message.error_code), message)

    def _error(self, code: str, message: Any) -> None:
        self.by_error[code] += 1
        sender = str(message.from_ or "")
        senders = self.senders.setdefault(code, Counter())
        if sender and (sender in senders or len(senders) < MAX_SENDERS):
            senders[mask_phone(sender) if sender.startswith("+") else sender] += 1
        kept = self.examples.setdefault(code, [])
        if len(kept) < EXAMPLES and message.to:
            kept.append(mask_phone(message.to))


def read_log(
    client: Client,
    service_sid: str,
    since: datetime,
    until: datetime,
    on_page: Callable[[PageRead], Any] | None = None,
) -> MessageCounts:
    """The service's messages sent from ``since`` to ``until`` (UTC), counted page by page."""
    counts = MessageCounts(service_sid)
    messages = client.messages
    page = call(
        "read the message log",
        messages.page,
        date_sent_after=since,
        date_sent_before=until,
        page_size=PAGE_SIZE,
    )
    while True:
        for message in page:
            counts.add(message)
        counts.pages += 1
        if on_page is not None:
            on_page(PageRead(counts.pages, counts.read, counts.total))
        url = page.next_page_url
        del page  # one page in memory at a time: this one goes before the next arrives
        if url is None:
            return counts
        page = call("read the next page of the message log", messages.get_page, url)
