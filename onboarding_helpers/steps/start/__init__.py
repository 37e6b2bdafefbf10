"""Step 00: prerequisites and mode; in sandbox mode, a practice account (or a training scenario).

``start`` does the step (``step.py``), ``form`` builds its scenario form (``form.py``) and
``panel`` shows the practice account it left, beside the prerequisites checklist and the list of
scenarios (``panel.py``). The practice account itself is made by ``training.practice``, which the
headless runner uses too.
"""

from __future__ import annotations

from ...training.practice import StartResult
from .form import ScenarioForm, form
from .panel import panel, prerequisites_panel, scenarios_panel
from .prerequisites import PREREQUISITES
from .step import start

__all__ = [
    "PREREQUISITES",
    "ScenarioForm",
    "StartResult",
    "form",
    "panel",
    "prerequisites_panel",
    "scenarios_panel",
    "start",
]
