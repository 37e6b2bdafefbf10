"""Creating a key once, and saving its secret in the same call that receives it.

A Standard key is made through the 2010-04-01 Keys resource, a Restricted one through iam v1
``Keys`` (``KeyType=restricted`` and the runbook's ``Policy``: ``policy``). The intent
(``KeyCreating``) goes to the journal before the create is sent, so a run killed or cut off before
the secret is saved leaves a trace the next run settles (``history``). A key made by a create
whose answer was lost is never adopted: its secret never arrived. Step 07 makes its new key here
too, journalled as its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import TwilioActionError
from ...journal import KeyCreated, KeyCreateRefused, KeyCreateUnanswered, KeyCreating
from ...runbook import Runbook
from ...twilio_gateway import call, create_once, outcome_unknown
from ..registry import API_KEY as STEP
from ..registry import Step
from .history import settle_unanswered
from .keys import KeyInfo
from .policy import RESTRICTED, STANDARD, postman_policy
from .rescue import UnsavedSecretHandler, secret_not_saved

if TYPE_CHECKING:
    from twilio.rest import Client


def create_key(
    rb: Runbook,
    client: Client,
    account_sid: str,
    name: str,
    on_unsaved_secret: UnsavedSecretHandler | None = None,
    listing: Sequence[KeyInfo] | None = None,
    replaces: str | None = None,
    *,
    key_type: str = STANDARD,
    step: Step = STEP,
) -> KeyInfo:
    """Create a key of ``key_type`` and save its secret at once; SecretNotSaved if it cannot.

    Creates whose outcome an earlier run never learnt are settled first (``listing``: the keys
    as just listed, to spare a request). A create whose answer is lost is followed by a listing:
    a key it made is journalled as an orphan (its secret is gone), then a new key is made.
    ``replaces``: the key this one replaces, journalled with it. ``step``: the step making it
    (02, or 07 rotating), which journals it. The returned key names the env file's dated copy of
    the pair it replaced, when there was one.
    """
    settle_unanswered(rb, client, account_sid, listing, step)

    def create() -> Any:
        # The intent goes to disk first: a run killed before the secret is saved leaves a trace.
        rb.progress.log(step, KeyCreating(friendly_name=name, account_sid=account_sid))
        if key_type == RESTRICTED:
            return call(
                "create the restricted API key",
                client.iam.v1.new_api_key.create,
                account_sid=account_sid,
                friendly_name=name,
                key_type=RESTRICTED,
                policy=postman_policy(),
                field="api_key_name",
            )
        return call(
            "create the API key", client.new_keys.create, friendly_name=name, field="api_key_name"
        )

    def find() -> None:
        # Never adopted: a key made by a lost create has a secret nobody will ever see.
        settle_unanswered(rb, client, account_sid, step=step)
        return None

    try:
        key, _ = create_once(create, find)
    except TwilioActionError as err:
        _journal_failed_create(rb, err, account_sid, name, step)
        raise
    # Saved here, in the call that received it: nothing may fail between the answer and this.
    try:
        saved = rb.store.save({API_KEY_SID: key.sid, API_KEY_SECRET: key.secret})
    except Exception as exc:  # any failure: the secret exists only in this process now
        raise secret_not_saved(
            rb, client, account_sid, key, exc, on_unsaved_secret, step, replaces
        ) from None
    rb.progress.log(
        step,
        KeyCreated(
            key_sid=key.sid,
            friendly_name=key.friendly_name,
            account_sid=account_sid,
            secret_saved=True,
            replaces=replaces,
            key_type=key_type,
        ),
    )
    return KeyInfo(
        key.sid,
        key.friendly_name or name,
        str(key.date_created or "")[:19],
        backup=str(saved.backup or ""),
    )


def _journal_failed_create(
    rb: Runbook, err: TwilioActionError, account_sid: str, name: str, step: Step
) -> None:
    """Journal a create that made no key we know of, and say what the next run does about it."""
    if not outcome_unknown(err):  # Twilio answered: no key was made, nothing to look for
        rb.progress.log(
            step, KeyCreateRefused(friendly_name=name, account_sid=account_sid, code=err.code)
        )
        return
    # Known only as an intent: the next run lists the keys and reports a key of this name as an
    # orphan before it creates anything.
    rb.progress.log(step, KeyCreateUnanswered(friendly_name=name, account_sid=account_sid))
    err.advice = (
        "Check the network (or the sandbox) and run this step again. If Twilio made a key"
        " anyway, its secret never arrived: the next run reports it as an orphan key and offers"
        " to revoke it, then makes a new key."
    )
