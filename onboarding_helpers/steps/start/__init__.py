"""Step 00: prerequisites and mode; in sandbox mode, a practice account (or a training scenario).

``start`` does the step (``step.py``) and records which Postman the values go to
(``which_postman``); ``postman_form`` lets the officer choose it and ``form`` start a training
scenario (``form.py``); ``panel`` shows the practice account it left, beside the chosen Postman
with its onboarding checklist and the list of scenarios (``panel.py``). The practice account
itself is made by ``training.practice``, which the headless runner uses too.
"""

from __future__ import annotations

from ...training.practice import StartResult
from .form import PostmanForm, ScenarioForm, form, postman_form
from .panel import panel, postman_panel, prerequisites_panel, scenarios_panel
from .prerequisites import PREREQUISITES, PREREQUISITES_V2, prerequisites_for
from .step import choose_postman, start

__all__ = [
    "PREREQUISITES",
    "PREREQUISITES_V2",
    "PostmanForm",
    "ScenarioForm",
    "StartResult",
    "choose_postman",
    "form",
    "panel",
    "postman_form",
    "postman_panel",
    "prerequisites_for",
    "prerequisites_panel",
    "scenarios_panel",
    "start",
]
