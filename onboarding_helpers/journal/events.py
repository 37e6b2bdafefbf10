"""The journal's event kinds: one frozen dataclass per action.

Each kind's ``action`` is the text earlier versions wrote, so an existing journal loads unchanged;
steps write events and read them back by class, never by text. An action this version does not
know loads as ``UnknownEvent`` and is kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound="Event")

_EVENT_KINDS: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Event:
    """One journal entry. ``step`` and ``at`` are filled in when it is written."""

    action: ClassVar[str] = ""
    step: str = field(default="", kw_only=True)
    at: str = field(default="", kw_only=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.action:
            if cls.action in _EVENT_KINDS:
                raise TypeError(f"journal action {cls.action!r} is defined twice")
            _EVENT_KINDS[cls.action] = cls

    def to_json(self) -> dict[str, Any]:
        """The entry as written: every field that has a value, plus ``action``."""
        data = {"action": self.action}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None and value != "":
                data[f.name] = value
        return data


@dataclass(frozen=True)
class UnknownEvent(Event):
    """An entry whose action this version does not know (a newer version wrote it): kept, so
    nothing already in a journal is lost, and matched by nothing."""

    text: str = ""
    fields: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"action": self.text, "step": self.step, "at": self.at, **dict(self.fields)}


def event_from_json(data: dict[str, Any]) -> Event:
    """The typed event for one journal line (fields it does not know are ignored)."""
    kind = _EVENT_KINDS.get(str(data.get("action", "")))
    if kind is None:
        rest = tuple((k, v) for k, v in data.items() if k not in ("action", "step", "at"))
        return UnknownEvent(
            text=str(data.get("action", "")),
            fields=rest,
            step=str(data.get("step", "")),
            at=str(data.get("at", "")),
        )
    known = {f.name for f in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in data.items() if k in known})


def action_of(kind: type[Event]) -> str:
    """The text an event kind is written with (for reports and tests that print journals)."""
    return kind.action


# 00: the practice account and training scenarios


@dataclass(frozen=True)
class SandboxAccountProvisioned(Event):
    action: ClassVar[str] = "provisioned sandbox account"
    account_sid: str = ""
    scenario: str = ""


@dataclass(frozen=True)
class ScenarioKeyMistyped(Event):
    action: ClassVar[str] = "scenario key with a mistyped secret"
    key_sid: str = ""
    account_sid: str = ""
    scenario: str = ""


@dataclass(frozen=True)
class ScenarioFaultsInjected(Event):
    action: ClassVar[str] = "scenario faults injected"
    faults: int = 0
    account_sid: str = ""
    scenario: str = ""


@dataclass(frozen=True)
class CredentialsBackedUp(Event):
    """The store kept the env file's earlier values before replacing one (path only)."""

    action: ClassVar[str] = "credentials backed up"
    backup: str = ""
    names: tuple[str, ...] | list[str] = ()


@dataclass(frozen=True)
class CredentialLinesMerged(Event):
    """Names that stood on several lines of the env file now stand on one (names only)."""

    action: ClassVar[str] = "env file lines merged"
    names: tuple[str, ...] | list[str] = ()
    backup: str = ""  # where a dropped non-empty value went, if one did


@dataclass(frozen=True)
class CredentialCopiesTidied(Event):
    """Backups and rescue files that lost a revoked key's pair or a forgotten value (names
    only), and those deleted because they held nothing the env file lacks."""

    action: ClassVar[str] = "env file copies tidied"
    cleaned: tuple[Any, ...] | list[Any] = ()  # [copy, [names]]
    deleted: tuple[str, ...] | list[str] = ()


# 01


@dataclass(frozen=True)
class AccountFetched(Event):
    action: ClassVar[str] = "fetched account"
    account_sid: str = ""


# 02: keys


@dataclass(frozen=True)
class KeyCreating(Event):
    """A key create is about to be sent: if no outcome follows, a key may exist unseen."""

    action: ClassVar[str] = "creating key"
    friendly_name: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class KeyCreated(Event):
    action: ClassVar[str] = "created key"
    key_sid: str = ""
    friendly_name: str = ""
    account_sid: str = ""
    secret_saved: bool | None = None
    rescue_file: str | None = None
    replaces: str | None = None
    scenario: str = ""
    key_type: str = ""  # "standard" or "restricted"; empty in journals written before types


@dataclass(frozen=True)
class KeyCreateRefused(Event):
    action: ClassVar[str] = "key create refused"
    friendly_name: str = ""
    account_sid: str = ""
    code: int | None = None


@dataclass(frozen=True)
class KeyCreateUnanswered(Event):
    action: ClassVar[str] = "key create unanswered"
    friendly_name: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class KeyCreateAnswerLost(Event):
    """A key made by a create whose answer never arrived: nobody has its secret."""

    action: ClassVar[str] = "key create answer lost"
    key_sid: str = ""
    friendly_name: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class UnansweredCreateResolved(Event):
    action: ClassVar[str] = "unanswered create resolved"
    friendly_name: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class KeyRevoked(Event):
    action: ClassVar[str] = "revoked key"
    key_sid: str = ""
    reason: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class KeyGone(Event):
    action: ClassVar[str] = "key gone"
    key_sid: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class KeyReplaced(Event):
    action: ClassVar[str] = "replaced key"
    old_key_sid: str = ""
    new_key_sid: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class KeyReused(Event):
    action: ClassVar[str] = "reused key"
    key_sid: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class ConsoleKeyRecorded(Event):
    action: ClassVar[str] = "recorded console key"
    key_sid: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class SecretRestored(Event):
    action: ClassVar[str] = "restored secret"
    key_sid: str = ""
    source: str = ""


# 03


@dataclass(frozen=True)
class KeyVerified(Event):
    action: ClassVar[str] = "verified key"
    key_sid: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class SecretCopiedToKeyring(Event):
    action: ClassVar[str] = "copied secret to OS keyring"
    key_sid: str = ""
    backend: str = ""


# 04 and 04a: the Messaging Service and its sender pool


@dataclass(frozen=True)
class ServiceCreated(Event):
    action: ClassVar[str] = "created messaging service"
    service_sid: str = ""
    friendly_name: str = ""
    usecase: str = ""
    account_sid: str = ""
    recovered: bool | None = None


@dataclass(frozen=True)
class ServiceReused(Event):
    action: ClassVar[str] = "reused messaging service"
    service_sid: str = ""
    how: str = ""


@dataclass(frozen=True)
class ServiceGone(Event):
    action: ClassVar[str] = "messaging service gone"
    service_sid: str = ""


@dataclass(frozen=True)
class NumberAttached(Event):
    action: ClassVar[str] = "attached phone number"
    service_sid: str = ""
    phone_number_sid: str = ""


@dataclass(frozen=True)
class AlphaSenderAdded(Event):
    action: ClassVar[str] = "added alpha sender"
    service_sid: str = ""
    alpha_sender_sid: str = ""
    sender_id: str = ""


@dataclass(frozen=True)
class NumberGone(Event):
    action: ClassVar[str] = "phone number gone"
    phone_number_sid: str = ""


@dataclass(frozen=True)
class NumberBuying(Event):
    """A purchase is about to be sent: if no outcome follows, the number may be ours."""

    action: ClassVar[str] = "buying phone number"
    phone_number: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class NumberBought(Event):
    action: ClassVar[str] = "bought phone number"
    phone_number_sid: str = ""
    phone_number: str = ""
    account_sid: str = ""
    recovered: bool | None = None


@dataclass(frozen=True)
class PurchaseNotMade(Event):
    action: ClassVar[str] = "purchase did not happen"
    phone_number: str = ""
    account_sid: str = ""


@dataclass(frozen=True)
class PurchaseRefused(Event):
    action: ClassVar[str] = "purchase refused"
    phone_number: str = ""
    account_sid: str = ""
    code: int | None = None


# 05 and 06: messages (``to`` is always the masked number)


@dataclass(frozen=True)
class MessageSending(Event):
    """A send is about to go out: if no outcome follows, the next run looks for it first."""

    action: ClassVar[str] = "sending test message"
    service_sid: str = ""
    to: str = ""
    sent_as: str = ""


@dataclass(frozen=True)
class MessageSent(Event):
    action: ClassVar[str] = "sent test message"
    message_sid: str = ""
    service_sid: str = ""
    to: str = ""
    sent_as: str | None = None
    recovered: bool | None = None


@dataclass(frozen=True)
class MessageNotSent(Event):
    action: ClassVar[str] = "test message not sent"
    code: int | None = None
    message_sid: str = ""
    reason: str = ""


@dataclass(frozen=True)
class MessageStatus(Event):
    action: ClassVar[str] = "test message status"
    message_sid: str = ""
    status: str = ""
    error_code: int | None = None
    seconds: float | None = None
    fetches: int | None = None


@dataclass(frozen=True)
class DeliveredMessageReused(Event):
    action: ClassVar[str] = "reused delivered test message"
    message_sid: str = ""


@dataclass(frozen=True)
class PostmanCheckReused(Event):
    action: ClassVar[str] = "reused passed Postman check"
    message_sid: str = ""


@dataclass(frozen=True)
class KeyCheckedOnService(Event):
    action: ClassVar[str] = "checked API key on the Messaging Service"
    service_sid: str = ""
    api_key_sid: str = ""


# After the hand-off: the Auth Token put away


@dataclass(frozen=True)
class AuthTokenRemoved(Event):
    """The officer removed ``TWILIO_AUTH_TOKEN`` from the env file on purpose (06's button or
    ``forget_auth_token``). Steps that need the token read this to say it was put away, not lost."""

    action: ClassVar[str] = "removed Auth Token from the env file"
    account_sid: str = ""
    env_file: str = ""


# 07: rotating the API key


@dataclass(frozen=True)
class PostmanUpdateConfirmed(Event):
    """The officer said Postman now uses the new key (``postman_updated``): the old key may go."""

    action: ClassVar[str] = "confirmed Postman uses the new key"
    new_key_sid: str = ""
    old_key_sid: str = ""
    postman: str = ""  # "legacy" or "v2"


# A change plan applied (``run --apply``): every event written during it also carries the plan's
# file and sha256 (``ProgressRecord.stamp``).


@dataclass(frozen=True)
class PlanApplying(Event):
    """``run --apply`` found the account as the plan read it, and begins its changes."""

    action: ClassVar[str] = "applying change plan"
    plan: str = ""
    plan_sha256: str = ""
    changes: int = 0


@dataclass(frozen=True)
class PlannedChangeMade(Event):
    """One of the plan's changes went out (``status``: Twilio's answer; None: no answer came, the
    step looks it up before anything is sent again)."""

    action: ClassVar[str] = "planned change made"
    change: str = ""  # create, add, buy, send, revoke
    kind: str = ""
    name: str = ""
    status: int | None = None
    plan: str = ""
    plan_sha256: str = ""
