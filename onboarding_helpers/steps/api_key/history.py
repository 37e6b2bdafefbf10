"""What earlier runs of steps 02 and 07 left: the journal's key events replayed into one picture.

Both steps make keys (07 rotates them), so their key events are one history. Every create is
journalled as an intent (``KeyCreating``) before it is sent. An intent with no
outcome means Twilio may have made a key whose secret nobody will ever see; such creates are
settled by listing the keys: a key of that name the runbook does not know is journalled as an
orphan (``KeyCreateAnswerLost``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...journal import (
    Event,
    KeyCreateAnswerLost,
    KeyCreated,
    KeyCreateRefused,
    KeyCreating,
    KeyGone,
    KeyReplaced,
    KeyRevoked,
    SecretRestored,
    UnansweredCreateResolved,
)
from ...runbook import Runbook
from ..registry import API_KEY as STEP
from ..registry import ROTATE_KEY, Step
from ..secret_key.pair import stored_pair
from .keys import KeyInfo, list_keys

if TYPE_CHECKING:
    from twilio.rest import Client

_REPLAYED = (
    KeyCreating,
    KeyCreated,
    KeyCreateRefused,
    KeyRevoked,
    KeyGone,
    KeyReplaced,
    KeyCreateAnswerLost,
    UnansweredCreateResolved,
    SecretRestored,
)


@dataclass
class History:
    created: dict[str, KeyCreated] = field(default_factory=dict)  # key SID -> its creation
    gone: set[str] = field(default_factory=set)  # revoked, or found missing
    replaced: dict[str, str] = field(default_factory=dict)  # old key SID -> new key SID
    # friendly name -> creates begun (KeyCreating) with no outcome yet
    pending: dict[str, int] = field(default_factory=dict)
    rescued: dict[str, str] = field(default_factory=dict)  # key SID -> rescue file path
    lost: set[str] = field(default_factory=set)  # made by a create whose answer was lost

    @property
    def unanswered(self) -> set[str]:
        """Names of creates that may have made a key nobody knows about."""
        return {name for name, count in self.pending.items() if count > 0}

    def known(self) -> set[str]:
        return (
            set(self.created) | self.gone | set(self.replaced) | set(self.replaced.values())
        ) | self.lost

    def add(self, event: Event) -> None:
        """Replay one event (oldest first)."""
        if isinstance(event, KeyCreating):
            self.pending[event.friendly_name] = self.pending.get(event.friendly_name, 0) + 1
        elif isinstance(event, KeyCreated) and event.key_sid:
            self.created[event.key_sid] = event
            self._answered(event.friendly_name)
            if event.rescue_file:
                self.rescued[event.key_sid] = event.rescue_file
        elif isinstance(event, KeyCreateRefused):
            self._answered(event.friendly_name)
        elif isinstance(event, (KeyRevoked, KeyGone)) and event.key_sid:
            self.gone.add(event.key_sid)
        elif isinstance(event, KeyReplaced) and event.old_key_sid:
            self.replaced[event.old_key_sid] = event.new_key_sid
        elif isinstance(event, KeyCreateAnswerLost) and event.key_sid:
            self.lost.add(event.key_sid)
        elif isinstance(event, UnansweredCreateResolved):
            self.pending.pop(event.friendly_name, None)
        elif isinstance(event, SecretRestored) and event.key_sid:
            self.rescued.pop(event.key_sid, None)

    def _answered(self, name: str) -> None:
        self.pending[name] = max(0, self.pending.get(name, 0) - 1)


# The steps whose journal entries make up the key history.
KEY_STEPS = (STEP.id, ROTATE_KEY.id)


def history(rb: Runbook, account_sid: str) -> History:
    """Steps 02 and 07's key events for this account, replayed. Events that name no account
    count for any (older versions did not always write it)."""
    h = History()
    for event in rb.progress.events(*_REPLAYED):
        if event.step in KEY_STEPS and getattr(event, "account_sid", "") in ("", account_sid):
            h.add(event)
    return h


def settle_unanswered(
    rb: Runbook,
    client: Client,
    account_sid: str,
    listing: Sequence[KeyInfo] | None = None,
    step: Step = STEP,
) -> list[KeyInfo]:
    """Find the keys that creates with no recorded outcome made, and journal them as orphans.

    A key named as such a create, that the runbook does not know, was made by it: its secret
    never arrived. Lists the keys (unless ``listing`` is given) only when such a create exists.
    """
    past = history(rb, account_sid)
    names = past.unanswered
    if not names:
        return []
    keys = list_keys(client) if listing is None else listing
    known = past.known() | {stored_pair(rb)[0]}
    found = [k for k in keys if k.friendly_name in names and k.sid not in known]
    for key in found:
        rb.progress.log(
            step,
            KeyCreateAnswerLost(
                key_sid=key.sid, friendly_name=key.friendly_name, account_sid=account_sid
            ),
        )
    for name in sorted(names):
        rb.progress.log(step, UnansweredCreateResolved(friendly_name=name, account_sid=account_sid))
    return found


def known_name(rb: Runbook, key_sid: str) -> str:
    """The friendly name the runbook last saw for this key ("" if it never saw one)."""
    earlier = rb.progress.read(STEP)
    if earlier.key_sid == key_sid:
        return earlier.friendly_name
    for event in reversed(rb.progress.events(KeyCreated, KeyCreateAnswerLost)):
        if event.step in KEY_STEPS and event.key_sid == key_sid and event.friendly_name:
            return event.friendly_name
    return ""
