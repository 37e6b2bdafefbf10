"""The account's API keys in Twilio: listing them, revoking one, and what one run knows of them.

Listing and revoking need the Auth Token: neither a Standard nor a Restricted key may manage keys.
The 2010-04-01 Keys resource lists and deletes both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import TwilioActionError
from ...journal import KeyRevoked
from ...runbook import Runbook
from ...twilio_gateway import call
from ..registry import API_KEY as STEP
from ..registry import Step

if TYPE_CHECKING:
    from twilio.rest import Client


@dataclass(frozen=True)
class KeyInfo:
    sid: str
    friendly_name: str
    date_created: str = ""
    backup: str = ""  # a key just created: the env file's dated copy of the pair it replaced


def list_keys(client: Client) -> list[KeyInfo]:
    """The account's API keys (needs the Auth Token: a Standard key may not list keys)."""
    keys = call("list the account's API keys", client.keys.list)
    return [KeyInfo(k.sid, k.friendly_name or "", str(k.date_created or "")[:19]) for k in keys]


def list_account_keys(rb: Runbook) -> list[KeyInfo]:
    """For the form: what already exists, shown before the officer creates a key."""
    return list_keys(rb.auth_token_client(STEP.id))


def revoke(rb: Runbook, client: Client, key_sid: str, reason: str, step: Step = STEP) -> None:
    """Delete the key in Twilio and journal it (on behalf of ``step``)."""
    try:
        call("revoke the API key", client.keys(key_sid).delete)
    except TwilioActionError as err:
        # A DELETE repeated after a lost answer finds the key already gone: what was wanted.
        if err.status != 404:
            raise
    rb.progress.log(step, KeyRevoked(key_sid=key_sid, reason=reason))


@dataclass
class KeyRun:
    """What one run of step 02 learns as it goes: the Auth Token client, the account's keys
    (listed once, again only after a create), and notes for the officer."""

    rb: Runbook
    account_sid: str
    token: str
    listing: list[KeyInfo] | None = None
    notes: list[str] = field(default_factory=list)
    _client: Any = None
    stale: bool = False  # a create ran since the listing: a key may have appeared unseen
    step: Step = STEP  # the step acting (02, or 07 rotating), for the requests' user agent

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self.rb.client_with_token(self.account_sid, self.token, self.step.id)
        return self._client

    def keys(self) -> list[KeyInfo]:
        if self.listing is None or self.stale:
            self.listing, self.stale = list_keys(self.client), False
        return self.listing
