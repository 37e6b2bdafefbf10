"""The account's API keys in Twilio: listing them, revoking one, telling their type, and what one
run knows of them.

Through Key resource v1 (iam ``/v1/Keys``, every call naming the account): Twilio documents it
for Standard and Restricted keys alike, where the 2010-04-01 resource manages Standard keys
only; a key's v1 answer carries its policy, so it also says which type a key is. Listing,
fetching and revoking need the Auth Token: neither a Standard nor a Restricted key may manage
keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import TwilioActionError
from ...journal import KeyCreated, KeyRevoked
from ...runbook import Runbook
from ...twilio_gateway import call
from ..registry import API_KEY as STEP
from ..registry import Step
from .policy import RESTRICTED, STANDARD

if TYPE_CHECKING:
    from twilio.rest import Client


@dataclass(frozen=True)
class KeyInfo:
    sid: str
    friendly_name: str
    date_created: str = ""
    backup: str = ""  # a key just created: the env file's dated copy of the pair it replaced


def list_keys(client: Client) -> list[KeyInfo]:
    """The account's API keys, both types (needs the Auth Token: no API key may list keys)."""
    keys = call(
        "list the account's API keys",
        client.iam.v1.get_api_keys.list,
        account_sid=client.account_sid,
    )
    return [KeyInfo(k.sid, k.friendly_name or "", str(k.date_created or "")[:19]) for k in keys]


def key_type_in_twilio(client: Client, key_sid: str) -> str | None:
    """The key's type as Twilio holds it: "restricted" when its v1 answer carries a policy, else
    "standard"; None when the account has no such key."""
    try:
        key = call("look the API key up", client.iam.v1.api_key(key_sid).fetch)
    except TwilioActionError as err:
        if err.status == 404 and not err.served_by:
            return None
        raise
    return RESTRICTED if key.policy else STANDARD


def made_by_runbook(rb: Runbook, key_sid: str) -> bool:
    """Whether the journal holds this key's creation (step 02 or 07 made it, so knows its type)."""
    return any(e.key_sid == key_sid for e in rb.progress.events(KeyCreated))


def list_account_keys(rb: Runbook) -> list[KeyInfo]:
    """For the form: what already exists, shown before the officer creates a key."""
    return list_keys(rb.auth_token_client(STEP.id))


def revoke(rb: Runbook, client: Client, key_sid: str, reason: str, step: Step = STEP) -> None:
    """Delete the key in Twilio and journal it (on behalf of ``step``)."""
    try:
        call("revoke the API key", client.iam.v1.api_key(key_sid).delete)
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
