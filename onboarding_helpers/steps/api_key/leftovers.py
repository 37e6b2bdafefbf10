"""Keys nobody can use that are still in Twilio: reported on every run, revoked only on request.

Orphans: keys the runbook made whose secret the env file does not hold (a lost secret, a lost
create answer). Replaced keys: the ones step 07 made new keys for; they may still be what Postman
uses, so only 07 revokes them, once the officer says Postman has the new key (``postman_updated``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...journal import KeyGone
from ...runbook import Runbook, step_action
from ..registry import API_KEY as STEP
from ..registry import ROTATE_KEY, Step
from ..secret_key.pair import stored_pair
from .history import History, history, settle_unanswered
from .keys import KeyInfo, KeyRun, revoke

ORPHAN_NOTE = (
    "Orphan keys: the runbook made these, but their secret is not in the env file, so"
    " nothing can use them. Revoke them with the 'Revoke orphan keys' button, or headless"
    " with revoke_orphan_keys True."
)
LOST_ANSWER_NOTE = (
    "Some were made by a create whose answer was lost on the way back (network"
    " trouble): Twilio made the key, but its secret never reached the runbook."
)


@dataclass(frozen=True)
class Leftovers:
    """Keys nobody can use that are still in Twilio, and those revoked now."""

    orphans: tuple[KeyInfo, ...] = ()
    old_keys: tuple[KeyInfo, ...] = ()
    revoked: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def find_leftovers(run: KeyRun, current: str, revoke_orphan_keys: bool) -> Leftovers:
    """Report (and on request revoke) orphan keys; report replaced keys that still exist.

    ``current`` is the key whose secret the env file holds ("" if none); it is never touched,
    and neither is a replaced key: step 07 revokes those once Postman has the new key.
    """
    rb = run.rb
    step: Step = run.step
    past = history(rb, run.account_sid)
    if past.unanswered:  # e.g. a rotation killed mid-create: settle it now
        settle_unanswered(rb, run.client, run.account_sid, run.keys(), step)
        past = history(rb, run.account_sid)
    found = leftover_keys(run, current, past)
    if found is None:
        return Leftovers()
    orphans, olds, missing = found
    for sid in missing:
        rb.progress.log(step, KeyGone(key_sid=sid, account_sid=run.account_sid))
    revoked: list[str] = []
    notes: list[str] = []
    if orphans and revoke_orphan_keys:
        for key in orphans:
            revoke(rb, run.client, key.sid, "orphan: its secret is not in the env file", step)
            revoked.append(key.sid)
        orphans = []
    elif orphans:
        notes += _orphan_notes(orphans, past)
    if olds:
        notes.append(
            f"The replaced key(s) still work. Once Postman uses the new key {current}, finish"
            f" the rotation with {ROTATE_KEY.id}: tick 'Postman uses the new key' (headless:"
            " postman_updated True); it checks the new key again, then revokes the old one."
        )
    return Leftovers(tuple(orphans), tuple(olds), tuple(revoked), tuple(notes))


def leftover_keys(
    run: KeyRun, current: str, past: History
) -> tuple[list[KeyInfo], list[KeyInfo], list[str]] | None:
    """(orphans, replaced keys, keys gone from Twilio) as ``past`` describes them, ``current``
    left out; None when the journal names no suspect (then nothing is listed). Reads only (one
    listing), so the change plan asks it too."""
    old = {sid for sid in past.replaced if sid not in past.gone and sid != current}
    orphan_sids = (
        {sid for sid in set(past.created) | past.lost if sid not in past.gone} - old - {current}
    )
    if not (old or orphan_sids):
        return None
    existing = {k.sid: k for k in run.keys()}  # one list request, only when there is a suspect
    missing = sorted((old | orphan_sids) - set(existing))
    orphans = [existing[s] for s in sorted(orphan_sids & set(existing))]
    olds = [existing[s] for s in sorted(old & set(existing))]
    return orphans, olds, missing


def _orphan_notes(orphans: list[KeyInfo], past: History) -> list[str]:
    if any(k.sid in past.lost for k in orphans):
        return [ORPHAN_NOTE, LOST_ANSWER_NOTE]
    return [ORPHAN_NOTE]


@step_action(STEP.id)
def revoke_orphans(rb: Runbook) -> Leftovers:
    """The form's 'Revoke orphan keys' button: revoke keys the runbook made whose secret the env
    file does not hold. Creates nothing and never touches the key whose secret is saved."""
    account_sid, token = rb.saved_account()
    run = KeyRun(rb, account_sid, token)
    key_sid, secret = stored_pair(rb)
    found = find_leftovers(run, key_sid if secret else "", True)
    if not found.revoked:
        found = replace(found, notes=("There were no orphan keys to revoke.", *found.notes))
    return found
