"""Step 02's function: its inputs checked before any request, then one of the ways to a saved key
(``ways``), then the keys nobody can use reported (``leftovers``), and the outcome recorded.

Replacing a saved key (a lost or leaked secret, a yearly rotation) is step 07's: one rotation
path, so the order that keeps Postman sending is kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ...credentials import API_KEY_SECRET, API_KEY_SID
from ...errors import InputError, StepBlocked, TwilioActionError
from ...journal import ApiKeyRecord
from ...runbook import Runbook, step_action
from ...validation import (
    API_KEYS_CONSOLE,
    validate_api_key_sid,
    validate_api_secret,
    validate_flag,
    validate_friendly_name,
)
from ..registry import ACCOUNT
from ..registry import API_KEY as STEP
from ..secret_key.pair import stored_pair
from .history import history
from .keys import KeyRun
from .leftovers import find_leftovers
from .policy import validate_key_type
from .rescue import UnsavedSecretHandler
from .restore import restore_kept_secret
from .ways import ApiKeyResult, reuse_or_create, use_console_key

SOURCES = ("create", "console")


def default_key_name(rb: Runbook, today: date | None = None, *, agency: str | None = None) -> str:
    """'Postman SMS - <account name from step 01> - <date>', within Twilio's 64 characters.
    ``agency``: the account's name when step 01 has not recorded it yet (a change plan)."""
    agency = (rb.progress.read(ACCOUNT).friendly_name if agency is None else agency) or "agency"
    day = (today or date.today()).isoformat()
    room = 64 - len("Postman SMS -  - ") - len(day)
    return f"Postman SMS - {agency.strip()[:room].strip()} - {day}"


def validate_key_name(value: object) -> str:
    """A key's friendly name, as Twilio takes it."""
    # validate_friendly_name refuses a pasted secret too: names go to the journal and Twilio.
    return validate_friendly_name(value, "api_key_name")


@step_action(STEP.id)
def set_up_api_key(
    rb: Runbook,
    api_key_source: str = "create",
    api_key_name: str = "",
    key_sid: str = "",
    secret: str = "",
    *,
    api_key_type: str = "standard",
    revoke_orphan_keys: bool = False,
    on_unsaved_secret: UnsavedSecretHandler | None = None,
) -> ApiKeyResult:
    """Step 02: have an API key whose secret is in the env file.

    ``api_key_source`` "create": reuse the saved pair if Twilio accepts it, else list the keys and
    create one called ``api_key_name``, of ``api_key_type`` ("standard", as Postman's guides ask,
    or "restricted": only what Postman needs). "console": the key SID and secret typed in the
    form, or (headless) already written in the env file; checked with Twilio before they are
    saved. A key whose secret is lost or leaked is replaced by step 07, not here.
    """
    source = _source(api_key_source)
    key_type = validate_key_type(api_key_type)
    revoke_orphan_keys = validate_flag(revoke_orphan_keys, "revoke_orphan_keys")
    stored = stored_pair(rb)
    name = validate_key_name(api_key_name or default_key_name(rb))
    rb.refuse_secrets("api_key_name", name)
    if source == "console":
        key_sid, secret = _console_inputs(key_sid, secret, *stored)
    account_sid, token = rb.saved_account()

    run = KeyRun(rb, account_sid, token)
    try:
        restored = restore_kept_secret(rb, account_sid, history(rb, account_sid))
        if restored:
            run.notes.append(restored)
        if source == "console":
            result = use_console_key(run, key_sid, secret, key_type)
        else:
            result = reuse_or_create(run, name, key_type, on_unsaved_secret)
        found = find_leftovers(run, result.key_sid, revoke_orphan_keys)
    except (TwilioActionError, StepBlocked) as err:
        saved_sid = stored_pair(rb)[0] or ""
        rb.progress.save(STEP, ApiKeyRecord(status="failed", reason=err.message, key_sid=saved_sid))
        raise
    result = replace(
        result,
        keys_listed=run.listing is not None,
        orphans=found.orphans,
        old_keys=found.old_keys,
        revoked=found.revoked,
        notes=(*run.notes, *found.notes),
    )
    rb.progress.save(
        STEP,
        ApiKeyRecord(
            status="done",
            key_sid=result.key_sid,
            friendly_name=result.friendly_name,
            how=result.how,
            secret_saved=True,
            verified=result.verified,
            orphans=[k.sid for k in result.orphans],
            old_keys=[k.sid for k in result.old_keys],
            key_type=result.key_type,
        ),
    )
    return result


def _source(api_key_source: str) -> str:
    source = (api_key_source or "create").strip().lower()
    if source not in SOURCES:
        raise InputError(
            "api_key_source", f"{api_key_source!r} is not a choice.", "Use 'create' or 'console'."
        )
    return source


def _console_inputs(
    key_sid: str, secret: str, stored_sid: str | None, stored_secret: str | None
) -> tuple[str, str]:
    """The console pair: typed in the form, or (headless) already in the env file."""
    if not key_sid and not stored_sid:
        raise InputError(
            "API key SID",
            "is empty.",
            f"Paste the SK... SID from {API_KEYS_CONSOLE}."
            f" Headless: write {API_KEY_SID}=SK... and {API_KEY_SECRET}=... into the env file,"
            " never on the command line.",
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
