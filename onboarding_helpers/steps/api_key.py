"""Steps 02 and 03: the Standard API key Postman signs in with, and its secret (guide 4.2, 4.3).

The secret is the one value Twilio shows once. So:

- ``set_up_api_key`` (02) writes it to the env file in the same function that receives it, before
  anything else can fail. If that write fails, the secret goes to a rescue file beside the env
  file (mode 0600) or, in a form, to a one-time panel; the key is journalled as existing without a
  saved secret, and the error says loudly what to do. If it could be kept nowhere, nobody holds
  the secret, so the useless key is revoked at once and the error says so.
- Re-running is safe: a saved pair that Twilio accepts is reused (one request, nothing created).
  Keys the runbook created whose secret the env file does not hold ("orphans"), keys whose create
  answer was lost, and keys replaced by ``replace_key`` are reported, and revoked only on request.
- Lost answers: every create is journalled as an intent ("creating key") first. If the answer
  never comes (dropped connection, timeout, 5xx), or the run is killed before the secret is saved,
  Twilio may have made a key whose secret nobody will ever see. The keys are listed, any key of
  that name the runbook does not know is journalled as an orphan ("key create answer lost") and
  offered for revoking, and a new key is made; in the same run when the list succeeds, else on
  the next run before anything is created.
- A pair typed in a form is checked with Twilio before it is saved; a pair that fails is never
  reported as saved and good.
- ``check_secret`` (03) shows where the secret is kept, checks the pair with a call a Standard key
  may make (listing incoming numbers: not ``/Accounts``, not ``/Keys``), and can copy the secret to
  the OS keyring where one is usable.

Requests: a fresh 02 costs two (list keys, create); a re-run of 02 costs one (the check); 03
costs one. Keys are listed again only when the journal names a key to look for.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, mask
from ..errors import InputError, RunbookError, StepBlocked, TwilioActionError
from ..runbook import Runbook, step_action
from ..twilio_gateway import call, create_once, outcome_unknown
from ..validation import (
    validate_api_key_sid,
    validate_api_secret,
    validate_flag,
    validate_friendly_name,
)

if TYPE_CHECKING:
    from twilio.rest import Client

STEP = "02_api_key"
SECRET_STEP = "03_secret_key"
SOURCES = ("create", "console")
KEYRING_SERVICE = "postman-onboarding-runbook"
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9]{32}$")

# Called with (key SID, secret) when the env file could not be written; returns True when it
# showed the secret to a person (a form's one-time panel). Never given in headless runs.
UnsavedSecretHandler = Callable[[str, str], bool]


@dataclass(frozen=True)
class KeyInfo:
    sid: str
    friendly_name: str
    date_created: str = ""


@dataclass(frozen=True)
class ApiKeyResult:
    key_sid: str
    friendly_name: str
    how: str  # "created", "reused", "console" or "replaced"
    secret_saved: bool
    verified: bool  # False after a fresh create: step 03 checks the pair
    env_file: str
    keys_listed: bool = False
    existing_keys: tuple[KeyInfo, ...] = ()  # the account's keys before this run created one
    orphans: tuple[KeyInfo, ...] = ()  # keys nobody holds a secret for, still in Twilio
    old_keys: tuple[KeyInfo, ...] = ()  # keys replaced by replace_key, still in Twilio
    revoked: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend: str  # the keyring backend's class, "" when there is none
    reason: str  # why it cannot be used, "" when it can


@dataclass(frozen=True)
class SecretResult:
    key_sid: str
    masked_secret: str
    env_file: str
    mode: str  # "0o600"
    verified: bool
    keyring: KeyringStatus
    copied_to_keyring: bool = False
    notes: tuple[str, ...] = ()


class SecretNotSaved(RunbookError):
    """Twilio made a key but its secret could not be written to the env file.

    Carries the key SID and where the secret went instead (a rescue file, a one-time panel, or
    nowhere, in which case the key was revoked); never the secret itself.
    """

    def __init__(
        self,
        message: str,
        *,
        advice: str,
        key_sid: str,
        rescue_file: Path | None,
        shown: bool,
        revoked: bool,
    ) -> None:
        self.key_sid = key_sid
        self.rescue_file = rescue_file
        self.shown = shown
        self.revoked = revoked
        super().__init__(message, advice=advice, field="env_file")


# ---------------------------------------------------------------- inputs


def default_key_name(rb: Runbook, today: date | None = None) -> str:
    """'Postman SMS - <account name from step 01> - <date>', within Twilio's 64 characters."""
    agency = rb.progress.step("01_account_sid").get("friendly_name") or "agency"
    day = (today or date.today()).isoformat()
    room = 64 - len("Postman SMS -  - ") - len(day)
    return f"Postman SMS - {agency.strip()[:room].strip()} - {day}"


def validate_key_name(value: object) -> str:
    # validate_friendly_name refuses a pasted secret too: names go to the journal and Twilio.
    return validate_friendly_name(value, "api_key_name")


def _stored_pair(rb: Runbook) -> tuple[str | None, str | None]:
    values = rb.store.values()
    return values.get(API_KEY_SID), values.get(API_KEY_SECRET)


def _account_sid(rb: Runbook) -> str:
    sid = rb.store.get(ACCOUNT_SID)
    if not sid:
        raise StepBlocked("No Account SID is saved yet.", advice="Run 01_account_sid first.")
    return sid


# ---------------------------------------------------------------- Twilio calls


def _is_auth_failure(err: TwilioActionError) -> bool:
    # A refusal from a server that is not Twilio says nothing about the key: not rewritten.
    return (err.code == 20003 or err.status == 401) and not err.served_by


def verify_pair(rb: Runbook, account_sid: str, key_sid: str, secret: str, step: str) -> None:
    """Sign in as Postman does (key + secret, scoped to the account) with a call a Standard key
    may make. Raises TwilioActionError; a 20003 one names the likely causes."""
    client = rb.client_with_key(account_sid, key_sid, secret, step)
    try:
        call(
            "check the API key and its secret",
            client.incoming_phone_numbers.list,
            limit=1,
            field="API key SID / API secret",
        )
    except TwilioActionError as err:
        if _is_auth_failure(err):
            err.field = "API key SID / API secret"
            err.message = (
                f"Twilio did not accept the API key {key_sid} with this secret (error 20003)."
            )
            err.advice = (
                "The secret may be wrong or cut short, the key SID may be wrong, the key may have"
                " been deleted in the console (Account > API keys & tokens), or it may belong to"
                " another account."
            )
        raise


def list_keys(client: Client) -> list[KeyInfo]:
    """The account's API keys (needs the Auth Token: a Standard key may not list keys)."""
    keys = call("list the account's API keys", client.keys.list)
    return [KeyInfo(k.sid, k.friendly_name or "", str(k.date_created or "")[:19]) for k in keys]


def list_account_keys(rb: Runbook) -> list[KeyInfo]:
    """For the form: what already exists, shown before the officer creates a key."""
    return list_keys(rb.auth_token_client(STEP))


def _revoke(rb: Runbook, client: Client, key_sid: str, reason: str) -> None:
    try:
        call("revoke the API key", client.keys(key_sid).delete)
    except TwilioActionError as err:
        # A DELETE repeated after a lost answer finds the key already gone: what was wanted.
        if err.status != 404:
            raise
    rb.progress.journal(STEP, "revoked key", key_sid=key_sid, reason=reason)


# ---------------------------------------------------------------- what earlier runs left


@dataclass
class _History:
    created: dict[str, dict[str, Any]]  # key SID -> "created key" entry
    gone: set[str]  # revoked, or found missing
    replaced: dict[str, str]  # old key SID -> new key SID
    pending: dict[str, int]  # friendly name -> creates begun ("creating key") with no outcome
    rescued: dict[str, str]  # key SID -> rescue file path
    lost: set[str]  # keys made by a create whose answer was lost: nobody has their secret

    @property
    def unanswered(self) -> set[str]:
        """Names of creates that may have made a key nobody knows about."""
        return {name for name, count in self.pending.items() if count > 0}

    def known(self) -> set[str]:
        return (
            set(self.created) | self.gone | set(self.replaced) | set(self.replaced.values())
        ) | self.lost


def _history(rb: Runbook, account_sid: str) -> _History:
    h = _History({}, set(), {}, {}, {}, set())
    for entry in rb.progress.journal_entries(STEP):
        action, sid = entry.get("action"), entry.get("key_sid")
        if entry.get("account_sid", account_sid) != account_sid:
            continue
        name = entry.get("friendly_name", "")
        if action == "creating key":
            h.pending[name] = h.pending.get(name, 0) + 1
        elif action == "created key" and sid:
            h.created[sid] = entry
            h.pending[name] = max(0, h.pending.get(name, 0) - 1)
            if entry.get("rescue_file"):
                h.rescued[sid] = entry["rescue_file"]
        elif action == "key create refused":
            h.pending[name] = max(0, h.pending.get(name, 0) - 1)
        elif action in ("revoked key", "key gone") and sid:
            h.gone.add(sid)
        elif action == "replaced key" and entry.get("old_key_sid"):
            h.replaced[entry["old_key_sid"]] = entry["new_key_sid"]
        elif action == "key create answer lost" and sid:
            h.lost.add(sid)
        elif action == "unanswered create resolved":
            h.pending.pop(name, None)
        elif action == "restored secret" and sid:
            h.rescued.pop(sid, None)
    return h


def _settle_unanswered(
    rb: Runbook, client: Client, account_sid: str, listing: Sequence[KeyInfo] | None = None
) -> list[KeyInfo]:
    """Find the keys that creates with no recorded outcome made, and journal them as orphans.

    A key named as such a create, that the runbook does not know, was made by it: its secret
    never arrived. Lists the keys (unless ``listing`` is given) only when such a create exists.
    """
    history = _history(rb, account_sid)
    names = history.unanswered
    if not names:
        return []
    keys = list_keys(client) if listing is None else listing
    known = history.known() | {_stored_pair(rb)[0]}
    found = [k for k in keys if k.friendly_name in names and k.sid not in known]
    for key in found:
        rb.progress.journal(
            STEP,
            "key create answer lost",
            key_sid=key.sid,
            friendly_name=key.friendly_name,
            account_sid=account_sid,
        )
    for name in sorted(names):
        rb.progress.journal(
            STEP, "unanswered create resolved", friendly_name=name, account_sid=account_sid
        )
    return found


# ---------------------------------------------------------------- the secret, kept at once


def _rescue_locations(rb: Runbook, key_sid: str) -> list[Path]:
    env = rb.store.path
    return [
        env.parent / f".{env.name}.unsaved-{key_sid}",
        Path.home() / ".postman-onboarding" / f"unsaved-{key_sid}.env",
    ]


def _write_rescue_file(rb: Runbook, key_sid: str, secret: str) -> Path | None:
    """Write the pair to a new 0600 file somewhere other than the env file; None if impossible."""
    text = (
        f"# The API key secret that could not be saved into {rb.store.path}.\n"
        "# Move the two lines below into that file, then delete this file.\n"
        "# (Running step 02 again does both for you.)\n"
        f"{API_KEY_SID}={key_sid}\n{API_KEY_SECRET}={secret}\n"
    )
    for path in _rescue_locations(rb, key_sid):
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            return path
        except OSError:
            continue
    return None


def _failure_reason(exc: BaseException) -> str:
    # Only the kind of failure and the file: never str() of an arbitrary exception, which could
    # quote what was being written.
    if isinstance(exc, RunbookError):  # a path problem named by the store: safe to show
        return exc.message
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}{where}"
    return type(exc).__name__


def _best_effort(action: Callable[[], Any]) -> None:
    # After a failed env-file write the disk may refuse the journal too; the loud error must
    # still reach the officer.
    with suppress(Exception):
        action()


def _secret_not_saved(
    rb: Runbook,
    client: Client,
    account_sid: str,
    key: Any,
    exc: BaseException,
    on_unsaved_secret: UnsavedSecretHandler | None,
) -> SecretNotSaved:
    reason = _failure_reason(exc)
    rescue = _write_rescue_file(rb, key.sid, key.secret)
    shown = False
    if on_unsaved_secret is not None:
        with suppress(Exception):
            shown = bool(on_unsaved_secret(key.sid, key.secret))
    revoked = False
    if rescue is None and not shown:
        # Nobody holds the secret, so the key can never be used: revoke it rather than leave an
        # orphan behind.
        with suppress(TwilioActionError):
            call("revoke the key whose secret was lost", client.keys(key.sid).delete)
            revoked = True
    _best_effort(
        lambda: rb.progress.journal(
            STEP,
            "created key",
            key_sid=key.sid,
            friendly_name=key.friendly_name,
            account_sid=account_sid,
            secret_saved=False,
            rescue_file=str(rescue) if rescue else None,
        )
    )
    if revoked:
        _best_effort(
            lambda: rb.progress.journal(
                STEP, "revoked key", key_sid=key.sid, reason="secret could not be kept"
            )
        )
    _best_effort(
        lambda: rb.progress.record(
            STEP,
            "failed",
            key_sid=key.sid,
            secret_saved=False,
            key_revoked=revoked,
            rescue_file=str(rescue) if rescue else None,
            reason=f"the env file could not be written: {reason}",
        )
    )
    env = rb.store.path
    message = (
        f"THE API SECRET WAS NOT SAVED. Twilio created the key {key.sid} and sent its secret,"
        f" but writing the env file {env} failed: {reason}."
    )
    if rescue is not None:
        advice = (
            f"The secret was written instead to {rescue}, readable only by you. Fix what stops"
            f" the env file being written (disk full? permissions of {env.parent}?), then run"
            " this step again: it moves the secret into the env file, deletes that file, and"
            f" creates no new key. By hand: copy the {API_KEY_SID} and {API_KEY_SECRET} lines"
            f" from {rescue} into {env}, then delete {rescue}."
        )
    elif shown:
        advice = (
            f"The secret is shown ONCE in the panel below. Copy the two lines into {env} by"
            " hand now (or into a password manager), then press 'I have saved it' to clear it."
            " Then run this step again: it checks the pair and creates no new key."
        )
    elif revoked:
        advice = (
            "It could not be written anywhere else either, so nobody holds the secret; the"
            " runbook revoked the key at once and nothing is left behind. Fix what stops the env"
            f" file being written (disk full? permissions of {env.parent}?) and run this step"
            " again."
        )
    else:
        advice = (
            "It could not be written anywhere else, and revoking the key failed too. Fix the env"
            " file, then run this step again: it reports the key as an orphan and offers to"
            " revoke it (revoke_orphan_keys True)."
        )
    return SecretNotSaved(
        message, advice=advice, key_sid=key.sid, rescue_file=rescue, shown=shown, revoked=revoked
    )


def create_key(
    rb: Runbook,
    client: Client,
    account_sid: str,
    name: str,
    on_unsaved_secret: UnsavedSecretHandler | None = None,
    listing: Sequence[KeyInfo] | None = None,
    **journal: Any,
) -> KeyInfo:
    """Create a Standard key and save its secret at once; raises SecretNotSaved if it cannot.

    Creates whose outcome an earlier run never learnt are settled first (``listing``: the keys
    as just listed, to spare a request). A create whose answer is lost is followed by a listing:
    a key it made is journalled as an orphan (its secret is gone), then a new key is made.
    """
    _settle_unanswered(rb, client, account_sid, listing)

    def create() -> Any:
        # The intent goes to disk first: a run killed before the secret is saved leaves a trace.
        rb.progress.journal(STEP, "creating key", friendly_name=name, account_sid=account_sid)
        return call(
            "create the API key", client.new_keys.create, friendly_name=name, field="api_key_name"
        )

    def find() -> None:
        # Never adopted: a key made by a lost create has a secret nobody will ever see.
        _settle_unanswered(rb, client, account_sid)
        return None

    try:
        key, _ = create_once(create, find)
    except TwilioActionError as err:
        if not outcome_unknown(err):  # Twilio answered: no key was made, nothing to look for
            rb.progress.journal(
                STEP, "key create refused", friendly_name=name, account_sid=account_sid,
                code=err.code,
            )  # fmt: skip
        else:
            # Known only as an intent: the next run lists the keys and reports a key of this
            # name as an orphan before it creates anything.
            rb.progress.journal(
                STEP, "key create unanswered", friendly_name=name, account_sid=account_sid
            )
            err.advice = (
                "Check the network (or the sandbox) and run this step again. If Twilio made a"
                " key anyway, its secret never arrived: the next run reports it as an orphan key"
                " and offers to revoke it, then makes a new key."
            )
        raise
    try:
        rb.store.save({API_KEY_SID: key.sid, API_KEY_SECRET: key.secret})
    except Exception as exc:  # any failure: the secret exists only in this process now
        raise _secret_not_saved(rb, client, account_sid, key, exc, on_unsaved_secret) from None
    rb.progress.journal(
        STEP,
        "created key",
        key_sid=key.sid,
        friendly_name=key.friendly_name,
        account_sid=account_sid,
        secret_saved=True,
        **journal,
    )
    return KeyInfo(key.sid, key.friendly_name or name, str(key.date_created or "")[:19])


def _restore_kept_secret(rb: Runbook, account_sid: str, history: _History) -> str | None:
    """Move a secret kept by an earlier failed run (rescue file, OS keyring) into the env file.

    Only when the env file holds no secret, or names that key without its secret. Returns a
    note, or None when there was nothing to restore.
    """
    stored_sid, stored_secret = _stored_pair(rb)
    if stored_secret and stored_sid:
        return None
    for sid, path in list(history.rescued.items()):
        if sid in history.gone or (stored_sid and stored_sid != sid):
            continue
        from dotenv import dotenv_values

        try:
            kept = dotenv_values(path)
        except OSError:
            continue
        secret = kept.get(API_KEY_SECRET) or ""
        if kept.get(API_KEY_SID) != sid or not _SECRET_SHAPE.match(secret):
            continue
        _save_restored(rb, sid, secret, f"the rescue file {path}")
        Path(path).unlink(missing_ok=True)
        rb.progress.journal(STEP, "restored secret", key_sid=sid, source="rescue file")
        return f"The secret of key {sid} was moved from the rescue file {path} into the env file."
    if stored_sid and not stored_secret:
        secret = keyring_get(account_sid, stored_sid)
        if secret and _SECRET_SHAPE.match(secret):
            _save_restored(rb, stored_sid, secret, "the OS keyring")
            rb.progress.journal(STEP, "restored secret", key_sid=stored_sid, source="OS keyring")
            return f"The secret of key {stored_sid} was restored from the OS keyring."
    return None


def _save_restored(rb: Runbook, key_sid: str, secret: str, source: str) -> None:
    try:
        rb.store.save({API_KEY_SID: key_sid, API_KEY_SECRET: secret})
    except Exception as exc:
        raise RunbookError(
            f"The secret of key {key_sid} is kept in {source}, but writing it into the env file"
            f" {rb.store.path} failed: {_failure_reason(exc)}.",
            advice=f"It is still in {source}. Fix what stops the env file being written, then"
            " run this step again.",
            field="env_file",
        ) from None


# ---------------------------------------------------------------- step 02


@dataclass
class _Run:
    """What one run of step 02 learns as it goes."""

    rb: Runbook
    account_sid: str
    token: str
    listing: list[KeyInfo] | None = None
    notes: list[str] = field(default_factory=list)
    _client: Any = None
    stale: bool = False  # a create ran since the listing: a key may have appeared unseen

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self.rb.client_with_token(self.account_sid, self.token, STEP)
        return self._client

    def keys(self) -> list[KeyInfo]:
        if self.listing is None or self.stale:
            self.listing, self.stale = list_keys(self.client), False
        return self.listing


@step_action(STEP)
def set_up_api_key(
    rb: Runbook,
    api_key_source: str = "create",
    api_key_name: str = "",
    key_sid: str = "",
    secret: str = "",
    *,
    revoke_orphan_keys: bool = False,
    replace_key: bool = False,
    revoke_old_key: bool = False,
    on_unsaved_secret: UnsavedSecretHandler | None = None,
) -> ApiKeyResult:
    """Step 02: have a Standard API key whose secret is in the env file.

    ``api_key_source`` "create": reuse the saved pair if Twilio accepts it, else list the keys and
    create one called ``api_key_name``. "console": the key SID and secret typed in the form, or
    (headless) already written in the env file; checked with Twilio before they are saved.
    ``replace_key`` makes a new key even though one is saved (lost or leaked secret); the old one
    is revoked only with ``revoke_old_key``, after the new pair works.
    """
    source = (api_key_source or "create").strip().lower()
    if source not in SOURCES:
        raise InputError(
            "api_key_source", f"{api_key_source!r} is not a choice.", "Use 'create' or 'console'."
        )
    revoke_orphan_keys = validate_flag(revoke_orphan_keys, "revoke_orphan_keys")
    replace_key = validate_flag(replace_key, "replace_key")
    revoke_old_key = validate_flag(revoke_old_key, "revoke_old_key")
    if replace_key and source == "console":
        raise InputError(
            "replace_key",
            "makes a new key, so it goes with api_key_source 'create', not 'console'.",
            "To use a key you made in the console, leave replace_key False.",
        )
    stored_sid, stored_secret = _stored_pair(rb)
    name = validate_key_name(api_key_name or default_key_name(rb))
    rb.refuse_secrets("api_key_name", name)
    if source == "console":
        key_sid, secret = _console_inputs(key_sid, secret, stored_sid, stored_secret)
    account_sid, token = rb.saved_account()

    run = _Run(rb, account_sid, token)
    try:
        restored = _restore_kept_secret(rb, account_sid, _history(rb, account_sid))
        if restored:
            run.notes.append(restored)
        if source == "console":
            result = _use_console_key(run, key_sid, secret)
        elif replace_key:
            result = _replace_key(run, name, revoke_old_key, on_unsaved_secret)
        else:
            result = _reuse_or_create(run, name, on_unsaved_secret)
        found = _leftovers(run, result.key_sid, result.verified, revoke_orphan_keys, revoke_old_key)
        result = replace(
            result,
            keys_listed=run.listing is not None,
            orphans=found.orphans,
            old_keys=found.old_keys,
            revoked=found.revoked,
            notes=(*run.notes, *found.notes),
        )
    except (TwilioActionError, StepBlocked) as err:
        saved_sid = _stored_pair(rb)[0]
        rb.progress.record(
            STEP, "failed", reason=err.message, **({"key_sid": saved_sid} if saved_sid else {})
        )
        raise
    rb.progress.record(
        STEP,
        "done",
        key_sid=result.key_sid,
        friendly_name=result.friendly_name,
        how=result.how,
        secret_saved=True,
        verified=result.verified,
        orphans=[k.sid for k in result.orphans],
        old_keys=[k.sid for k in result.old_keys],
    )
    return result


def _console_inputs(
    key_sid: str, secret: str, stored_sid: str | None, stored_secret: str | None
) -> tuple[str, str]:
    if not key_sid and not stored_sid:
        raise InputError(
            "API key SID",
            "is empty.",
            "Paste the SK... SID from Account > API keys & tokens. Headless: write"
            f" {API_KEY_SID}=SK... and {API_KEY_SECRET}=... into the env file, never on the"
            " command line.",
        )
    key_sid = validate_api_key_sid(key_sid or stored_sid)
    if not secret and key_sid == stored_sid:
        secret = stored_secret or ""
    if not secret:
        raise InputError(
            "API secret",
            "is empty.",
            "Paste the secret you saved when you created the key (Twilio shows it once). Headless:"
            f" write {API_KEY_SECRET}=... into the env file. If it is lost, choose 'create'.",
        )
    return key_sid, validate_api_secret(secret)


def _result(run: _Run, key: KeyInfo, how: str, verified: bool, **more: Any) -> ApiKeyResult:
    return ApiKeyResult(
        key_sid=key.sid,
        friendly_name=key.friendly_name,
        how=how,
        secret_saved=True,
        verified=verified,
        env_file=str(run.rb.store.path),
        keys_listed=run.listing is not None,
        **more,
    )


def _known_name(rb: Runbook, key_sid: str) -> str:
    earlier = rb.progress.step(STEP)
    if earlier.get("key_sid") == key_sid:
        return earlier.get("friendly_name", "")
    for entry in reversed(rb.progress.journal_entries(STEP)):
        if entry.get("key_sid") == key_sid and entry.get("friendly_name"):
            return str(entry["friendly_name"])
    return ""


def _use_console_key(run: _Run, key_sid: str, secret: str) -> ApiKeyResult:
    rb = run.rb
    stored_sid, stored_secret = _stored_pair(rb)
    try:
        verify_pair(rb, run.account_sid, key_sid, secret, STEP)
    except TwilioActionError as err:
        if _is_auth_failure(err):
            err.advice += (
                " Copy both again from where you saved them. If the secret is lost, choose"
                " 'create' to make a new key. Nothing was saved."
            )
        raise
    same = key_sid == stored_sid and secret == stored_secret
    if not same:
        rb.store.save({API_KEY_SID: key_sid, API_KEY_SECRET: secret})
        if stored_sid and stored_sid != key_sid:
            run.notes.append(f"The env file held the key {stored_sid}; it now holds {key_sid}.")
    rb.progress.journal(
        STEP,
        "reused key" if same else "recorded console key",
        key_sid=key_sid,
        account_sid=run.account_sid,
    )
    run.notes.append(
        "The runbook cannot read a key's type through the API: make sure this key is Standard"
        " (a Main key can do everything your Auth Token can, which Postman does not need)."
    )
    key = KeyInfo(key_sid, _known_name(rb, key_sid))
    return _result(run, key, "reused" if same else "console", True)


def _reuse_or_create(
    run: _Run, name: str, on_unsaved_secret: UnsavedSecretHandler | None
) -> ApiKeyResult:
    rb = run.rb
    stored_sid, stored_secret = _stored_pair(rb)
    if stored_sid and stored_secret:
        try:
            verify_pair(rb, run.account_sid, stored_sid, stored_secret, STEP)
        except TwilioActionError as err:
            if not _is_auth_failure(err):
                raise
            if stored_sid in {k.sid for k in run.keys()}:
                raise StepBlocked(
                    f"API secret: the env file holds the key {stored_sid}, which still exists in"
                    " Twilio, but Twilio does not accept the secret saved with it (error 20003):"
                    " the secret in the env file is not this key's. Nothing was created.",
                    advice=f"If you have the right secret, put it in {rb.store.path} as"
                    f" {API_KEY_SECRET}=... and run again. If it is lost, run this step with"
                    " replace_key True (form: 'Replace the key') to make a new key; the old one"
                    " is revoked only when you also set revoke_old_key True.",
                    field="API secret",
                ) from None
            rb.progress.journal(STEP, "key gone", key_sid=stored_sid, account_sid=run.account_sid)
            run.notes.append(
                f"The saved key {stored_sid} is no longer in the account (deleted in the"
                " console?), so a new key was created."
            )
        else:
            rb.progress.journal(STEP, "reused key", key_sid=stored_sid, account_sid=run.account_sid)
            return _result(run, KeyInfo(stored_sid, _known_name(rb, stored_sid)), "reused", True)
    elif stored_sid:
        run.notes.append(
            f"The env file names the key {stored_sid} but holds no secret for it, so a new key"
            " was created."
        )
    existing = tuple(run.keys())
    namesakes = [k.sid for k in existing if k.friendly_name == name]
    if namesakes:
        run.notes.append(
            f"A key called '{name}' already exists ({', '.join(namesakes)}). Twilio never shows"
            " an existing key's secret again, so the runbook made a new one."
        )
    key = create_key(rb, run.client, run.account_sid, name, on_unsaved_secret, listing=existing)
    run.stale = True  # keys may have appeared since (a lost answer): list again if needed
    return _result(run, key, "created", False, existing_keys=existing)


def _replace_key(
    run: _Run, name: str, revoke_old_key: bool, on_unsaved_secret: UnsavedSecretHandler | None
) -> ApiKeyResult:
    rb = run.rb
    old_sid = _stored_pair(rb)[0] or rb.progress.step(STEP).get("key_sid")
    existing = tuple(run.keys())
    key = create_key(
        rb, run.client, run.account_sid, name, on_unsaved_secret, listing=existing, replaces=old_sid
    )
    run.stale = True  # keys may have appeared since (a lost answer): list again if needed
    try:
        verify_pair(rb, run.account_sid, key.sid, _stored_pair(rb)[1] or "", STEP)
    except TwilioActionError as err:
        err.message = (
            f"The new key {key.sid} was created and its secret IS saved in {rb.store.path}, but"
            f" checking it failed. {err.message}"
        )
        err.advice = (
            "Nothing was revoked. Wait a minute, then run this step again WITHOUT replace_key:"
            " it checks the saved key again and creates nothing. " + err.advice
        )
        raise
    if old_sid and old_sid != key.sid:
        rb.progress.journal(
            STEP,
            "replaced key",
            old_key_sid=old_sid,
            new_key_sid=key.sid,
            account_sid=run.account_sid,
        )
    return _result(run, key, "replaced", True, existing_keys=existing)


@dataclass(frozen=True)
class Leftovers:
    """Keys nobody can use that are still in Twilio, and those revoked now."""

    orphans: tuple[KeyInfo, ...] = ()
    old_keys: tuple[KeyInfo, ...] = ()
    revoked: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _leftovers(
    run: _Run, current: str, verified: bool, revoke_orphan_keys: bool, revoke_old_key: bool
) -> Leftovers:
    """Report (and on request revoke) keys nobody can use: orphans and replaced keys.

    ``current`` is the key whose secret the env file holds ("" if none); it is never touched.
    Replaced keys are revoked only when ``verified``: the key replacing them worked in this run.
    """
    rb = run.rb
    history = _history(rb, run.account_sid)
    if history.unanswered:  # e.g. a replace_key run killed mid-create: settle it now
        _settle_unanswered(rb, run.client, run.account_sid, run.keys())
        history = _history(rb, run.account_sid)
    old = {sid for sid in history.replaced if sid not in history.gone and sid != current}
    orphan_sids = (
        {sid for sid in set(history.created) | history.lost if sid not in history.gone}
        - old
        - {current}
    )
    if not (old or orphan_sids):
        return Leftovers()
    existing = {k.sid: k for k in run.keys()}  # one list request, only when there is a suspect
    for sid in sorted((old | orphan_sids) - set(existing)):
        rb.progress.journal(STEP, "key gone", key_sid=sid, account_sid=run.account_sid)
    orphans = [existing[s] for s in sorted(orphan_sids & set(existing))]
    olds = [existing[s] for s in sorted(old & set(existing))]
    revoked: list[str] = []
    notes: list[str] = []
    if orphans and revoke_orphan_keys:
        for key in orphans:
            _revoke(rb, run.client, key.sid, "orphan: its secret is not in the env file")
            revoked.append(key.sid)
        orphans = []
    elif orphans:
        notes.append(
            "Orphan keys: the runbook made these, but their secret is not in the env file, so"
            " nothing can use them. Revoke them with the 'Revoke orphan keys' button, or headless"
            " with revoke_orphan_keys True."
        )
        if any(k.sid in history.lost for k in orphans):
            notes.append(
                "Some were made by a create whose answer was lost on the way back (network"
                " trouble): Twilio made the key, but its secret never reached the runbook."
            )
    if olds and revoke_old_key and verified:
        for key in olds:
            _revoke(rb, run.client, key.sid, f"replaced by {current}")
            revoked.append(key.sid)
        olds = []
    elif olds:
        notes.append(
            f"The replaced key(s) still work. Once Postman uses the new key {current}, revoke"
            " the old one: tick 'Also revoke the replaced key' and press 'Set up API key', or"
            " headless run this step with revoke_old_key True."
        )
    return Leftovers(tuple(orphans), tuple(olds), tuple(revoked), tuple(notes))


@step_action(STEP)
def revoke_orphans(rb: Runbook) -> Leftovers:
    """The form's 'Revoke orphan keys' button: revoke keys the runbook made whose secret the env
    file does not hold. Creates nothing and never touches the key whose secret is saved."""
    account_sid, token = rb.saved_account()
    run = _Run(rb, account_sid, token)
    key_sid, secret = _stored_pair(rb)
    found = _leftovers(run, key_sid if secret else "", False, True, False)
    if not found.revoked:
        found = replace(found, notes=("There were no orphan keys to revoke.", *found.notes))
    return found


# ---------------------------------------------------------------- OS keyring


def keyring_status() -> KeyringStatus:
    """Whether an OS keyring (macOS Keychain, Windows Credential Locker, Secret Service) is
    usable here. Headless machines usually have none: keyring then falls back to a backend
    that refuses every write."""
    if importlib.util.find_spec("keyring") is None:
        return KeyringStatus(
            False, "", "the 'keyring' package is not installed (pip install keyring)"
        )
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend configuration must not break the step
        return KeyringStatus(False, "", f"keyring could not load a backend ({type(exc).__name__})")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    priority = getattr(backend, "priority", 0)
    try:
        priority = float(priority)
    except (TypeError, ValueError):
        priority = 0.0
    # Below 1: the fail/null backends, and plain-text files, which are no safer than the env file.
    if priority < 1:
        return KeyringStatus(
            False, name, "no OS keyring service is reachable here (keyring chose " + name + ")"
        )
    return KeyringStatus(True, name, "")


def _keyring_user(account_sid: str, key_sid: str) -> str:
    return f"{account_sid}:{key_sid}"


def keyring_get(account_sid: str, key_sid: str) -> str | None:
    if not keyring_status().available:
        return None
    import keyring

    try:
        return keyring.get_password(KEYRING_SERVICE, _keyring_user(account_sid, key_sid))
    except Exception:
        return None


# ---------------------------------------------------------------- step 03


@step_action(SECRET_STEP)
def check_secret(rb: Runbook, copy_to_keyring: bool = False) -> SecretResult:
    """Step 03: where the secret is kept, and proof that the key SID + secret pair works.

    Fixes the env file's permissions to 0600 if they were loosened. ``copy_to_keyring`` also
    keeps a copy in the OS keyring (only where one is usable); the env file stays the store the
    runbook reads.
    """
    copy_to_keyring = validate_flag(copy_to_keyring, "copy_to_keyring")
    ring = keyring_status()
    if copy_to_keyring and not ring.available:
        raise InputError(
            "copy_to_keyring",
            f"cannot be done: {ring.reason}.",
            "Leave it False: the env file (mode 0600) is the store the runbook uses.",
        )
    account_sid = _account_sid(rb)
    key_sid, secret = _stored_pair(rb)
    if not key_sid or not secret:
        unsaved = rb.progress.step(STEP).get("secret_saved") is False
        raise StepBlocked(
            "The env file holds no API key secret"
            + (f" for the key {key_sid}." if key_sid else "."),
            advice="Step 02 reported that the secret could not be saved; follow its advice, then"
            " run 02 again."
            if unsaved
            else "Run 02_api_key first. If the secret was lost, run 02 with replace_key True.",
            field="API secret",
        )
    notes = []
    mode = rb.store.mode()
    if mode != 0o600:
        os.chmod(rb.store.path, 0o600)
        notes.append(f"The env file's permissions were {oct(mode or 0)}; they are now 0o600.")
    try:
        verify_pair(rb, account_sid, key_sid, secret, SECRET_STEP)
    except TwilioActionError as err:
        if _is_auth_failure(err):
            err.message = (
                f"The API key {key_sid} and the secret saved in {rb.store.path} were NOT accepted"
                " by Twilio (error 20003): they are saved, but they do not work."
            )
            err.advice = (
                "If step 02 created the key a moment ago, wait a minute and run this step again:"
                " a new key can take a moment to work. Otherwise the secret in the env file is not"
                " this key's (edited by hand?) or the key was deleted in the console: put the"
                " right secret in the env file, or run 02 with replace_key True to make a new key."
            )
        rb.progress.record(
            SECRET_STEP, "failed", key_sid=key_sid, verified=False, reason=err.message
        )
        raise
    rb.progress.journal(SECRET_STEP, "verified key", key_sid=key_sid, account_sid=account_sid)
    copied = False
    if copy_to_keyring:
        import keyring

        user = _keyring_user(account_sid, key_sid)
        keyring.set_password(KEYRING_SERVICE, user, secret)
        copied = keyring.get_password(KEYRING_SERVICE, user) == secret
        if not copied:
            raise StepBlocked(
                "The OS keyring did not keep the secret (read back differently).",
                advice="The env file still holds it; leave copy_to_keyring False.",
                field="copy_to_keyring",
            )
        rb.progress.journal(
            SECRET_STEP, "copied secret to OS keyring", key_sid=key_sid, backend=ring.backend
        )
        notes.append(f"A copy is in the OS keyring (service '{KEYRING_SERVICE}', user '{user}').")
    rb.progress.record(
        SECRET_STEP,
        "done",
        key_sid=key_sid,
        verified=True,
        env_file=str(rb.store.path),
        mode="0o600",
        keyring=ring.backend if copied else "",
    )
    return SecretResult(
        key_sid=key_sid,
        masked_secret=mask(secret),
        env_file=str(rb.store.path),
        mode=oct(rb.store.mode() or 0),
        verified=True,
        keyring=ring,
        copied_to_keyring=copied,
        notes=tuple(notes),
    )
