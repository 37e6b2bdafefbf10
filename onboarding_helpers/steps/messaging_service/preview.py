"""Step 04 in a change plan: the service, the bought number in its pool and the Sender ID, each
found with the step's own look-ups (``find_service``, ``alpha_sender_in``, ``pool_numbers``).
``plan_service`` is shared with step 04a, which makes the service when it runs first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...validation import sender_id_check, validate_friendly_name, validate_usecase
from .alpha_sender import alpha_sender_in, check_not_trial, resolve_sender_id
from .sender_pool import bought_number, pool_numbers
from .service import DEFAULT_USECASE, ServiceOutcome, find_service, resolve_service_name

if TYPE_CHECKING:
    from ...change_plan.survey import Survey


def plan_service(survey: Survey, name: str) -> str:
    """The service called ``name`` the step would use: its SID, or "" when the run would make it
    (one planned by 04a earlier in this run is reused, as the run's 04 finds it)."""
    planned = survey.planned
    if planned.service_sid is not None and planned.service_name == name:
        sid = planned.service_sid
        why = "made by step 04a in this run" if not sid else "the one step 04a uses"
        survey.add("reuse", "messaging_service", name, why=why, sid=sid)
        return sid
    found = find_service(survey.rb, survey.client(), survey.account_sid, name)
    survey.notes.extend(found.notes)
    if found.service is not None:
        sid = found.service.sid
        survey.add("reuse", "messaging_service", name, why=found.how, sid=sid)
    else:
        sid = ""
        survey.add("create", "messaging_service", name, why=f"no service called '{name}' yet")
    planned.service_sid, planned.service_name = sid, name
    return sid


def preview(survey: Survey, values: Mapping[str, Any]) -> None:
    """What step 04 would do, its inputs checked as the step checks them. Whether Twilio takes
    the Sender ID is known only when it is added: the plan says so (``unchecked``)."""
    rb = survey.rb
    sender_id, warnings = sender_id_check(resolve_sender_id(rb, values.get("sender_id", "")))
    survey.notes.extend(warnings)
    given = values.get("messaging_service_name", "") or survey.planned.service_name
    name = validate_friendly_name(resolve_service_name(rb, given), "messaging_service_name")
    rb.refuse_secrets("messaging_service_name", name)
    usecase = validate_usecase(values.get("usecase", DEFAULT_USECASE))
    if survey.planned.agency is None:  # step 01 is not in this run: its record, as the step
        check_not_trial(rb)
    sid = plan_service(survey, name)
    client = survey.client()
    _bought_number_into_pool(survey, pool_numbers(client, sid) if sid else {})
    there = alpha_sender_in(client, ServiceOutcome(sid, name, usecase, not sid), sender_id)
    if there is not None:
        why = "already in the service, exactly as given"
        survey.add("reuse", "alpha_sender", sender_id, why=why, sid=there.sid)
        return
    survey.add("add", "alpha_sender", sender_id, why="the service holds no Sender ID yet")
    survey.unchecked.append(
        f"Whether Twilio takes the Sender ID '{sender_id}' (error 21709: alphanumeric Sender IDs"
        " not enabled for the account, or a format Twilio does not take) shows only when step"
        " 04 adds it; whether SGNIC registered it to your agency and Twilio mapped it to this"
        " account shows only when a message is sent (step 05)."
    )


def _bought_number_into_pool(survey: Survey, numbers: dict[str, str]) -> None:
    """Step 04 puts a number step 04a bought into the pool when it is not there yet."""
    planned = survey.planned
    if planned.number_in_pool:
        return
    if planned.number_sid is not None:
        sid, number = planned.number_sid, planned.number
    else:
        bought = bought_number(survey.rb, survey.account_sid)
        if bought is None:
            return
        sid, number = bought.phone_number_sid, bought.phone_number
    if sid and sid in numbers:
        return
    survey.add("add", "service_number", number, why="the number step 04a bought", sid=sid)
