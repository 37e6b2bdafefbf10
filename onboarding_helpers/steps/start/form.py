"""Step 00's form: pick a training scenario and start it on a new practice account."""

from __future__ import annotations

import ipywidgets as widgets

from ...forms import run_into
from ...runbook import Runbook
from ...training.scenarios import SCENARIOS
from .panel import panel
from .step import start


class ScenarioForm(widgets.VBox):
    """The ``scenario`` dropdown, the ``button`` that starts it (enabled once one is chosen), and
    the scenario's briefing (or the error and its advice) in ``output``."""

    def __init__(self, rb: Runbook) -> None:
        self.scenario = widgets.Dropdown(
            options=[("(choose a scenario)", "")] + [(s.title, s.name) for s in SCENARIOS.values()],
            value="",
            description="Scenario",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="34em"),
        )
        self.button = widgets.Button(
            description="Start scenario", button_style="warning", icon="play", disabled=True
        )
        self.output = widgets.Output()
        super().__init__([self.scenario, self.button, self.output])
        self._runbook = rb
        self.scenario.observe(self._chosen, names="value")
        self.button.on_click(self._start)

    def _chosen(self, change: dict[str, object]) -> None:
        self.button.disabled = not change["new"]

    def _start(self, _: widgets.Button) -> None:
        name = self.scenario.value
        run_into(self.output, lambda: start(self._runbook, name), panel)


def form(rb: Runbook) -> ScenarioForm:
    """Step 00's form: start a training scenario (sandbox only; live mode refuses it)."""
    return ScenarioForm(rb)
