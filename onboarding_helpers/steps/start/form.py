"""Step 00's forms: which Postman the values go to, and a training scenario to start."""

from __future__ import annotations

import html

import ipywidgets as widgets

from ...forms import run_into, wide_button
from ...runbook import Runbook
from ...training.scenarios import SCENARIOS
from ...which_postman import POSTMANS, postman_in_use
from .panel import panel, postman_panel
from .step import choose_postman, start


class PostmanForm(widgets.VBox):
    """The two Postmans explained (``explained``), the ``choice`` between them, the ``button``
    that records it with step 00, and the choice's checklist (or the error) in ``output``."""

    def __init__(self, rb: Runbook) -> None:
        self.explained = widgets.HTML(
            "".join(
                f"<p><strong>{html.escape(kind.title)}</strong> ({html.escape(kind.address)}):"
                f" {html.escape(kind.where_values_go)}</p>"
                for kind in POSTMANS.values()
            )
        )
        self.choice = widgets.RadioButtons(
            options=[(f"{kind.title}, {kind.address}", kind.name) for kind in POSTMANS.values()],
            value=postman_in_use(rb.progress),
            description="I use",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        self.button = wide_button(
            description="Use this Postman", button_style="primary", icon="check"
        )
        self.output = widgets.Output()
        super().__init__([self.explained, self.choice, self.button, self.output])
        self._runbook = rb
        self.button.on_click(self._choose)

    def _choose(self, _: widgets.Button) -> None:
        chosen = self.choice.value
        run_into(self.output, lambda: choose_postman(self._runbook, chosen), postman_panel)


def postman_form(rb: Runbook) -> PostmanForm:
    """Step 00's choice of Postman: legacy (Settings > Credentials) or v2 (Internal SMS)."""
    return PostmanForm(rb)


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
            # No "warning" style: the theme's orange with white text fails WCAG AA contrast.
            description="Start scenario",
            icon="play",
            disabled=True,
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
