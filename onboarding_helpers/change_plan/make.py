"""Making a change plan: each step of the run previewed in order, with the run's parameters.

A step's preview is ``preview(survey, values)`` in its package's ``preview`` module
(``onboarding_helpers.steps.<package>.preview``): it checks the step's inputs as the step does,
reads with the step's own look-ups and adds what the step would do. ``values`` are the step's
notebook parameters as a headless run gives them: the declared defaults, then the run's own.
A refusal a step would stop the run with (a refused input, a blocked step, Twilio's refusal)
ends the plan there: it is the plan's ``stop``. A step without a preview is planned as changing
nothing, so applying the plan lets it change nothing.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..credentials import ACCOUNT_SID
from ..errors import InputError, RunbookError
from ..runbook import Settings
from ..steps.registry import Step
from ..twilio_gateway import ChangeRefused
from ..validation import validate_account_sid
from .model import ChangePlan
from .survey import Survey, fingerprint, read_only_runbook

Preview = Callable[[Survey, Mapping[str, Any]], None]
STAMP = "%Y%m%dT%H%M%SZ"


def step_values(step: Step, notebooks_dir: Path | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The step's parameters as its notebook gets them headless: declared defaults, then
    ``given`` (only the names it declares). Without the notebook (a form's values, or a folder
    holding copies of some notebooks only), ``given`` as it is: each preview knows its step's
    defaults too."""
    # Imported here: the runner package imports this one (its ``change`` module).
    from ..runner.parameters import notebook_parameters

    if notebooks_dir is None or not step.notebook(notebooks_dir).is_file():
        return dict(given)
    values: dict[str, Any] = {}
    for name, parameter in notebook_parameters(step.notebook(notebooks_dir)).items():
        try:
            values[name] = ast.literal_eval(parameter.default)
        except (ValueError, SyntaxError):
            values[name] = parameter.default
        if name in given:
            values[name] = given[name]
    return values


def preview_of(step: Step) -> Preview | None:
    """The step's preview function, or None when its package has none."""
    try:
        module = importlib.import_module(f"{step.module}.preview")
    except ModuleNotFoundError as err:
        if err.name != f"{step.module}.preview":
            raise
        return None
    found: Preview = module.preview
    return found


def _account_to_read(rb: Any, given: Mapping[str, Any]) -> tuple[str, str]:
    """The account the plan reads: ``account_sid`` if given, else the env file's; with the env
    file's Auth Token (``Runbook.auth_token``: its refusal names TWILIO_AUTH_TOKEN)."""
    sid = str(given.get("account_sid") or rb.store.get(ACCOUNT_SID) or "")
    if not sid:
        raise InputError(
            "env_file",
            f"{rb.settings.env_file} holds no Account SID, so there is no account to read.",
            "Put TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the env file (live: from the"
            " console's Account Info; sandbox: run --sandbox --only 00 makes a practice account),"
            " then plan again.",
        )
    return validate_account_sid(sid), rb.auth_token()


def survey_steps(
    settings: Settings,
    steps: Iterable[Step],
    parameters: Mapping[str, Any],
    notebooks_dir: Path | None,
) -> tuple[Survey, str]:
    """Preview ``steps`` in order on a read-only runbook: the survey, and where the run would
    stop ("" when it goes through)."""
    rb = read_only_runbook(settings)
    account_sid, token = _account_to_read(rb, parameters)
    survey = Survey(rb, account_sid, token)
    for step in steps:
        survey.step = step
        preview = preview_of(step)
        try:
            if preview is None:
                survey.add("none", "account", step.title, why="this step has no preview")
            else:
                preview(survey, step_values(step, notebooks_dir, parameters))
        except ChangeRefused:
            raise
        except RunbookError as err:
            return survey, f"{step.id}: {err}"
    return survey, ""


def make_plan(
    settings: Settings,
    steps: list[Step],
    parameters: Mapping[str, Any],
    notebooks_dir: Path,
    *,
    now: datetime | None = None,
) -> ChangePlan:
    """The plan of a run of ``steps`` with ``parameters`` on ``settings``: read with GET requests
    only, nothing written anywhere."""
    made = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    survey, stop = survey_steps(settings, steps, parameters, notebooks_dir)
    return ChangePlan(
        made_at=made.strftime(STAMP),
        mode=settings.mode,
        requests_go_to=settings.where_requests_go(),
        account_sid=survey.account_sid,
        env_file=str(settings.env_file),
        state_dir=str(settings.state_dir),
        sandbox_dir=str(settings.sandbox_dir),
        steps=tuple(step.id for step in steps),
        parameters={**parameters, **survey.pinned},
        actions=tuple(survey.actions),
        fingerprint=fingerprint(survey),
        unchecked=tuple(dict.fromkeys(survey.unchecked)),
        notes=tuple(dict.fromkeys(survey.notes)),
        stop=stop,
    )
