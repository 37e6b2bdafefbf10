"""Step 02 in a change plan: reuse the saved pair or create a key, decided by the step's own
checks (``ways.check_saved_pair``), and the orphan keys it would revoke on request
(``leftovers.leftover_keys``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...validation import validate_flag
from ..secret_key.pair import stored_pair, verify_pair
from .history import History, history, known_name
from .keys import KeyRun
from .leftovers import leftover_keys
from .policy import validate_key_type
from .step import _console_inputs, _source, default_key_name, validate_key_name
from .ways import check_saved_pair

if TYPE_CHECKING:
    from ...change_plan.survey import Survey

_WHY_NEW = {
    "none": "the env file holds no API key",
    "no secret": "the env file names the key {sid} but not its secret",
    "gone": "the saved key {sid} is no longer in the account",
}


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """The key the step would leave in the env file: the saved pair when Twilio accepts it (one
    request signed with it), else a new key of ``api_key_type`` called ``api_key_name`` (the
    default name is fixed in the plan's parameters: it holds today's date). A console pair is
    checked as the step checks it. Orphan keys are revoked only with ``revoke_orphan_keys``."""
    rb = survey.rb
    source = _source(values.get("api_key_source", "create"))
    key_type = validate_key_type(values.get("api_key_type", "standard"))
    revoke = validate_flag(values.get("revoke_orphan_keys", False), "revoke_orphan_keys")
    given = values.get("api_key_name") or default_key_name(rb, agency=survey.planned.agency)
    name = validate_key_name(given)
    rb.refuse_secrets("api_key_name", name)
    run = KeyRun(rb, survey.account_sid, survey.token, step=survey.step)
    past = history(rb, survey.account_sid)
    _restore_notes(survey, past)
    if source == "console":
        key_sid, secret = _console_inputs("", "", *stored_pair(rb))
        verify_pair(rb, survey.account_sid, key_sid, secret, survey.step.id, key_type)
        why = "the console key in the env file: Twilio accepts it"
        survey.add("reuse", "api_key", known_name(rb, key_sid) or key_sid, why=why, sid=key_sid)
        current = key_sid
    else:
        saved = check_saved_pair(run)
        current = saved.key_sid if saved.verdict == "works" else ""
        if current:
            shown = known_name(rb, current) or current
            why = f"the env file's {saved.key_type} key: Twilio accepts its saved secret"
            survey.add("reuse", "api_key", shown, why=why, sid=current)
        else:
            why = _WHY_NEW[saved.verdict].format(sid=saved.key_sid)
            survey.add("create", "api_key", name, why=f"{why}; a {key_type} key")
            survey.pinned["api_key_name"] = name
    survey.planned.key_sid = current
    _leftovers(survey, run, current, past, revoke)


def _restore_notes(survey: Survey, past: History) -> None:
    if past.rescued:
        survey.notes.append(
            "An earlier run kept a key's secret in a rescue file: step 02 moves it into the env"
            " file before it decides, and may then reuse that key instead of making one."
        )
    if past.unanswered:
        survey.notes.append(
            "An earlier key create has no recorded outcome: step 02 first lists the keys (a"
            " read) and reports a key that create made as an orphan."
        )


def _leftovers(survey: Survey, run: KeyRun, current: str, past: History, revoke: bool) -> None:
    found = leftover_keys(run, current, past)
    if found is None:
        return
    orphans, olds, _ = found
    for key in orphans:
        if revoke:
            why = "an orphan: the runbook made it, its secret is not in the env file"
            survey.add("revoke", "api_key", key.friendly_name or key.sid, why=why, sid=key.sid)
    if orphans and not revoke:
        survey.notes.append(
            f"{len(orphans)} orphan key(s) (secret not saved) stay: revoke_orphan_keys True"
            " revokes them."
        )
    if olds:
        survey.notes.append(
            f"{len(olds)} key(s) replaced by step 07 still exist: step 07 revokes them once"
            " Postman uses the new key."
        )
