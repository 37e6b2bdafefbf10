"""Reading an account for a change plan, with a runbook that cannot change anything.

``read_only_runbook`` is a ``Runbook`` whose Twilio clients carry the gateway's ``READ_ONLY``
guard (any request but a GET is refused before it is sent) and whose env file and progress record
refuse every write: a plan cannot act, even by mistake in a step's look-up. ``Survey`` is what the
plan learns as it goes, step by step in the run's order: each step's preview reads with the step's
own find functions and passes on what the run would pass on (``Planned``: a key or service the run
would make, so a later step plans with it). ``fingerprint`` is what the plan read, compared again
before the plan is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..balance import SG_SEGMENT_PRICE, AccountBalance, fetch_balance
from ..credentials import CredentialStore
from ..progress import ProgressRecord
from ..runbook import Runbook, Settings
from ..steps.registry import START, Step
from ..twilio_gateway import READ_ONLY, ChangeRefused, call
from .model import UNKNOWN_PRICE, Action

if TYPE_CHECKING:
    from twilio.rest import Client

    from ..phone import PhoneNumber
    from ..steps.account.step import AccountResult
    from ..training.practice import StartResult


class WriteRefused(ChangeRefused):
    """A change plan tried to write a local file: refused, and never taken for a step's own
    refusal (the plan fails instead of showing a stop)."""


def _no_writing(what: str) -> WriteRefused:
    return WriteRefused(
        f"A change plan only reads: it refused to write the {what}. Nothing was changed.",
        advice="This is a fault in the runbook: please report it with this message.",
    )


class ReadOnlyStore(CredentialStore):
    """The env file, read as the run reads it; every write (and backup) refused."""

    def _write(self, text: str) -> None:
        raise _no_writing("env file")

    def _backup(self, raw: bytes) -> Path:
        raise _no_writing("env file's backup")


class ReadOnlyProgress(ProgressRecord):
    """The progress record and journal, read as the run reads them; every write refused."""

    def _write_record(self, name: str, entry: dict[str, Any]) -> None:
        raise _no_writing("progress record")

    def _append(self, entry: dict[str, Any]) -> None:
        raise _no_writing("journal")


def read_only_runbook(settings: Settings) -> Runbook:
    """A runbook on these settings that reads the env file, the progress record and Twilio, and
    can change none of them."""
    rb = Runbook(replace(settings, plan="", plan_sha256=""))
    rb.store = ReadOnlyStore(settings.env_file, mode=settings.mode)
    rb.progress = ReadOnlyProgress(settings.state_dir)
    rb.guard = READ_ONLY
    return rb


@dataclass
class Planned:
    """What the steps planned so far would leave for the next ones, as the run passes it on
    through the env file and the progress record. For a SID: None while no step of the plan
    decided it (the env file's counts); "" for one the run would make."""

    agency: str | None = None  # the account's name, as step 01 would record it
    key_sid: str | None = None
    service_sid: str | None = None
    service_name: str = ""  # the name 04a would record for 04
    number: str = ""  # a number 04a would buy or keep, for 04's sender pool
    number_sid: str | None = None
    number_in_pool: bool = False


@dataclass
class Survey:
    """What the plan has learnt so far: the actions, what only acting can check, notes, the
    parameters it fixed (``pinned``: e.g. a key name that holds a date), and ``planned``."""

    rb: Runbook
    account_sid: str
    token: str
    step: Step = START
    actions: list[Action] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pinned: dict[str, Any] = field(default_factory=dict)
    planned: Planned = field(default_factory=Planned)
    _account: AccountResult | None = None
    _balance: AccountBalance | None = None

    def client(self, step: str = "") -> Client:
        """A client signed with the Auth Token, as the steps' own (read-only: ``rb``)."""
        return self.rb.client_with_token(self.account_sid, self.token, step or self.step.id)

    def add(
        self, action: str, kind: str, name: str, *, why: str = "", billed: str = "", sid: str = ""
    ) -> Action:
        done = Action(self.step.id, action, kind, name, billed=billed, why=why, sid=sid)
        self.actions.append(done)
        return done

    def account(self) -> AccountResult:
        """The account as step 01 reads it (fetched once)."""
        if self._account is None:
            from ..steps.account.step import read_account

            self._account = read_account(self.client(), self.account_sid)
        return self._account

    def balance(self) -> AccountBalance:
        """The balance as step 01 reads it (once; a failure to read it is in ``problem``)."""
        if self._balance is None:
            self._balance = fetch_balance(self.client(), self.account_sid, Decimal(0))
        return self._balance

    def service_sid(self) -> str:
        """The service the steps so far would leave in the env file ("" for a new one)."""
        from ..credentials import MESSAGING_SERVICE_SID

        if self.planned.service_sid is not None:
            return self.planned.service_sid
        return self.rb.store.get(MESSAGING_SERVICE_SID) or ""

    def key_sid(self) -> str:
        """The API key the steps so far would leave in the env file ("" for a new one)."""
        from ..credentials import API_KEY_SECRET, API_KEY_SID

        if self.planned.key_sid is not None:
            return self.planned.key_sid
        values = self.rb.store.values()
        return values.get(API_KEY_SID, "") if values.get(API_KEY_SECRET) else ""


def _by_sid(rows: Any, value: str) -> dict[str, str]:
    return {row.sid: str(getattr(row, value) or "") for row in rows}


def fingerprint(survey: Survey) -> dict[str, Any]:
    """What the plan read of the account: the account, its balance, its API keys, Messaging
    Services and phone numbers, and the Sender IDs and numbers of the service the run would use.
    Read with GET requests only."""
    from ..steps.api_key.keys import list_keys

    client = survey.client("plan")
    account = survey.account()
    balance = survey.balance()
    services = call("list the Messaging Services", client.messaging.v1.services.list)
    numbers = call("list the account's phone numbers", client.incoming_phone_numbers.list)
    found: dict[str, Any] = {
        "account": {"sid": account.account_sid, "status": account.status, "type": account.type},
        "balance": {"amount": balance.amount, "currency": balance.currency},
        "api_keys": {k.sid: k.friendly_name for k in list_keys(client)},
        "messaging_services": _by_sid(services, "friendly_name"),
        "phone_numbers": _by_sid(numbers, "phone_number"),
        "service": "",
        "alpha_senders": {},
        "service_numbers": {},
    }
    sid = survey.service_sid()
    if sid and sid in found["messaging_services"]:
        service = client.messaging.v1.services(sid)
        found["service"] = sid
        found["alpha_senders"] = _by_sid(
            call("list the service's alpha senders", service.alpha_senders.list), "alpha_sender"
        )
        found["service_numbers"] = _by_sid(
            call("list the sender pool's phone numbers", service.phone_numbers.list),
            "phone_number",
        )
    return found


def message_billed(phone: PhoneNumber, body: str) -> str:
    """What one SMS of ``body`` to ``phone`` costs in USD as text: the guide's Singapore price per
    segment (``balance.SG_SEGMENT_PRICE``) times its segments; ``UNKNOWN_PRICE`` elsewhere (the
    runbook knows no other price)."""
    # GSM-7 or UCS-2 segments, as a handset splits them: the same rule the sandbox bills by.
    from ..sandbox.pricing import segments

    if not phone.is_singapore:
        return UNKNOWN_PRICE
    return f"{SG_SEGMENT_PRICE * segments(body)}"


def kept_practice_account(rb: Runbook) -> StartResult:
    """Sandbox, while a plan is made or applied: the practice account the env file names, which
    the sandbox must know; never a new one (that would write the env file, and a plan read from
    one account would be applied to another)."""
    from ..credentials import ACCOUNT_SID
    from ..errors import InputError
    from ..sandbox import account_exists
    from ..training.practice import StartResult

    account_sid = rb.store.get(ACCOUNT_SID)
    if account_sid and account_exists(rb.base_url or "", account_sid):
        return StartResult("sandbox", account_sid, provisioned=False)
    held = f"names {account_sid}, which this sandbox does not know" if account_sid else "names none"
    raise InputError(
        "env_file",
        f"a change plan reads the practice account, and {rb.settings.env_file} {held}. Nothing"
        " was changed.",
        "Make one first with run --sandbox --only 00 (it writes the practice account into the"
        " env file), then plan again.",
    )
