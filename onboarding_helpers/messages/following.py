"""Following a sent message: its status polled with backoff until a final state or a time limit.

Each fetch is one Twilio request, so they stay few: the first look comes after a second, then the
waits grow by half up to 3 s. Every status change is passed on as it is seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

DEFAULT_WAIT_SECONDS = 60.0
# The first look comes after a second: most deliveries to Singapore take that long, and an
# earlier look costs a request that shows only 'queued'.
FIRST_DELAY = 1.0
BACKOFF = 1.5
MAX_DELAY = 3.0
# "read" is WhatsApp's; "canceled" only for scheduled messages. Both are final all the same.
FINAL_STATES = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})
FAILED_STATES = frozenset({"undelivered", "failed", "canceled"})


@dataclass(frozen=True)
class StatusUpdate:
    """One status the message was seen in, ``elapsed`` seconds after it was sent."""

    status: str
    elapsed: float
    error_code: int | None = None


StatusCallback = Callable[[StatusUpdate], None]


@dataclass(frozen=True)
class Delivery:
    """What following one message found."""

    message_sid: str
    status: str  # the last status seen
    sender: str | None  # the message's ``from``: what the handset shows
    error_code: int | None
    error_message: str | None
    statuses: tuple[StatusUpdate, ...]
    fetches: int
    seconds: float
    timed_out: bool
    notes: tuple[str, ...] = ()  # how a lost answer or an interrupted run was made good

    @property
    def outcome(self) -> str:
        """delivered | failed | sent-not-confirmed | not-sent-yet."""
        if self.status in ("delivered", "read"):
            return "delivered"
        if self.status in FAILED_STATES:
            return "failed"
        if self.status == "sent":
            return "sent-not-confirmed"
        return "not-sent-yet"


def check_wait_seconds(wait_seconds: object) -> float:
    """The polling time limit, 0 to 600 seconds."""
    if isinstance(wait_seconds, bool) or not isinstance(wait_seconds, (int, float)):
        raise InputError("wait_seconds", "must be a number of seconds.", "Use e.g. 60.")
    if not 0 <= wait_seconds <= 600:
        raise InputError(
            "wait_seconds", f"is {wait_seconds}; allowed is 0 to 600 seconds.", "Use e.g. 60."
        )
    return float(wait_seconds)


def follow_message(
    fetch: Callable[[], Any],
    first: Any,
    *,
    wait_seconds: float,
    on_status: StatusCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    started: float | None = None,
) -> Delivery:
    """Poll a message until a final status or ``wait_seconds``; report each change.

    ``first`` is the message as created; ``fetch`` returns it afresh (one request each). Waits
    start at 1 s and grow by half each time up to 3 s, so a quick delivery costs one request and
    a slow one few.
    """
    started = clock() if started is None else started
    current = first
    seen = [StatusUpdate(current.status or "unknown", 0.0, current.error_code)]
    if on_status:
        on_status(seen[0])
    fetches, delay, timed_out = 0, FIRST_DELAY, False
    while current.status not in FINAL_STATES:
        remaining = wait_seconds - (clock() - started)
        if remaining <= 0:
            timed_out = True
            break
        sleep(min(delay, remaining))
        delay = min(delay * BACKOFF, MAX_DELAY)
        current = fetch()
        fetches += 1
        if current.status != seen[-1].status:
            update = StatusUpdate(
                current.status or "unknown", clock() - started, current.error_code
            )
            seen.append(update)
            if on_status:
                on_status(update)
    return Delivery(
        message_sid=current.sid,
        status=current.status or "unknown",
        sender=current.from_,
        error_code=current.error_code,
        error_message=current.error_message,
        statuses=tuple(seen),
        fetches=fetches,
        seconds=round(clock() - started, 3),
        timed_out=timed_out,
    )
