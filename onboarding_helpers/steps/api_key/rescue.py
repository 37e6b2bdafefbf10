"""When the env file cannot take a new key's secret: keep it somewhere else at once, say so loudly.

Twilio shows a key's secret once, in the answer to the create. If writing it to the env file
fails, the secret exists only in this process, so in this order: a rescue file beside the env
file (mode 0600, a new file) or in ``~/.postman-onboarding``; in a form, a one-time panel
(``UnsavedSecretHandler``). If it could be kept nowhere, nobody holds the secret and the key is
useless, so it is revoked at once. The error never carries the secret.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import RunbookError, TwilioActionError
from ...files import make_folder, write_new_file
from ...journal import ApiKeyRecord, KeyCreated, KeyRevoked
from ...runbook import Runbook
from ...twilio_gateway import call
from ..registry import API_KEY as STEP
from ..registry import Step

if TYPE_CHECKING:
    from twilio.rest import Client

# Called with (key SID, secret) when the env file could not be written; returns True when it
# showed the secret to a person (a form's one-time panel). Never given in headless runs.
UnsavedSecretHandler = Callable[[str, str], bool]


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


@dataclass(frozen=True)
class _Kept:
    """Where an unsaved secret went: a rescue file, a person's eyes, or nowhere (key revoked)."""

    rescue: Path | None
    shown: bool
    revoked: bool


def rescue_locations(rb: Runbook, key_sid: str) -> list[Path]:
    """Where a rescue file may go, best first: beside the env file, then the home folder."""
    return [
        rb.store.rescue_file(key_sid),
        Path.home() / ".postman-onboarding" / f"unsaved-{key_sid}.env",
    ]


def write_rescue_file(rb: Runbook, key_sid: str, secret: str) -> Path | None:
    """Write the pair to a new 0600 file somewhere other than the env file; None if impossible."""
    text = (
        f"# The API key secret that could not be saved into {rb.store.path}.\n"
        "# Move the two lines below into that file, then delete this file.\n"
        "# (Running step 02 again does both for you.)\n"
        f"{API_KEY_SID}={key_sid}\n{API_KEY_SECRET}={secret}\n"
    )
    for path in rescue_locations(rb, key_sid):
        try:
            make_folder(path.parent, "env_file")
            write_new_file(path, text.encode("utf-8"))  # never over anything, never via a link
            return path
        except (OSError, RunbookError):
            continue
    return None


def failure_reason(exc: BaseException) -> str:
    """What went wrong, safe to show: the kind of failure and the file."""
    # Never str() of an arbitrary exception, which could quote what was being written.
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


def secret_not_saved(
    rb: Runbook,
    client: Client,
    account_sid: str,
    key: Any,
    exc: BaseException,
    on_unsaved_secret: UnsavedSecretHandler | None,
    step: Step = STEP,
    replaces: str | None = None,
) -> SecretNotSaved:
    """Keep the secret of ``key`` (Twilio's answer) elsewhere, record it, and build the error.
    ``step``: the step that made the key (02, or 07 rotating), which journals it; ``replaces``:
    the key it was made to replace (a rotation's old key), so the next run moves it in."""
    reason = failure_reason(exc)
    kept = _keep_elsewhere(rb, client, key, on_unsaved_secret)
    _record_unsaved(rb, account_sid, key, kept, reason, step, replaces)
    env = rb.store.path
    message = (
        f"THE API SECRET WAS NOT SAVED. Twilio created the key {key.sid} and sent its secret,"
        f" but writing the env file {env} failed: {reason}."
    )
    return SecretNotSaved(
        message,
        advice=_advice(env, kept),
        key_sid=key.sid,
        rescue_file=kept.rescue,
        shown=kept.shown,
        revoked=kept.revoked,
    )


def _keep_elsewhere(
    rb: Runbook, client: Client, key: Any, on_unsaved_secret: UnsavedSecretHandler | None
) -> _Kept:
    rescue = write_rescue_file(rb, key.sid, key.secret)
    shown = False
    if on_unsaved_secret is not None:
        with suppress(Exception):
            shown = bool(on_unsaved_secret(key.sid, key.secret))
    revoked = False
    if rescue is None and not shown:
        # Nobody holds the secret, so the key can never be used: revoke it rather than leave an
        # orphan behind.
        with suppress(TwilioActionError):
            call("revoke the key whose secret was lost", client.iam.v1.api_key(key.sid).delete)
            revoked = True
    return _Kept(rescue, shown, revoked)


def _record_unsaved(
    rb: Runbook,
    account_sid: str,
    key: Any,
    kept: _Kept,
    reason: str,
    step: Step,
    replaces: str | None,
) -> None:
    """Journal the key as existing without a saved secret (and revoked, if it was); record
    step 02 as failed (step 07 records its own failure)."""
    rescue_file = str(kept.rescue) if kept.rescue else None
    created = KeyCreated(
        key_sid=key.sid,
        friendly_name=key.friendly_name,
        account_sid=account_sid,
        secret_saved=False,
        rescue_file=rescue_file,
        replaces=replaces,
        key_type=_type_of(key),
    )
    _best_effort(lambda: rb.progress.log(step, created))
    if kept.revoked:
        revoked = KeyRevoked(key_sid=key.sid, reason="secret could not be kept")
        _best_effort(lambda: rb.progress.log(step, revoked))
    if step is not STEP:
        return
    record = ApiKeyRecord(
        status="failed",
        key_sid=key.sid,
        secret_saved=False,
        key_revoked=kept.revoked,
        rescue_file=rescue_file,
        reason=f"the env file could not be written: {reason}",
    )
    _best_effort(lambda: rb.progress.save(STEP, record))


def _type_of(key: Any) -> str:
    # iam v1 answers carry the policy: a restricted key has one.
    return "restricted" if getattr(key, "policy", None) else "standard"


def _advice(env: Path, kept: _Kept) -> str:
    """What to do next, for each place the secret went."""
    if kept.rescue is not None:
        return (
            f"The secret was written instead to {kept.rescue}, readable only by you. Fix what"
            f" stops the env file being written (disk full? permissions of {env.parent}?), then"
            " run this step again: it moves the secret into the env file, deletes that file, and"
            f" creates no new key. By hand: copy the {API_KEY_SID} and {API_KEY_SECRET} lines"
            f" from {kept.rescue} into {env}, then delete {kept.rescue}."
        )
    if kept.shown:
        return (
            f"The secret is shown ONCE in the panel below. Copy the two lines into {env} by"
            " hand now (or into a password manager), then press 'I have saved it' to clear it."
            " Then run this step again: it checks the pair and creates no new key."
        )
    if kept.revoked:
        return (
            "It could not be written anywhere else either, so nobody holds the secret; the"
            " runbook revoked the key at once and nothing is left behind. Fix what stops the env"
            f" file being written (disk full? permissions of {env.parent}?) and run this step"
            " again."
        )
    return (
        "It could not be written anywhere else, and revoking the key failed too. Fix the env"
        " file, then run this step again: it reports the key as an orphan and offers to"
        " revoke it (revoke_orphan_keys True)."
    )
