"""Notebook 00's scenario form: pick a training scenario and start it on a new practice account."""

from __future__ import annotations

import ipywidgets as widgets

from ..runbook import Runbook
from . import run_into


def scenario_form(rb: Runbook) -> widgets.VBox:
    """A dropdown of the scenarios and a button that calls ``start(rb, scenario)``."""
    from ..steps.start import start
    from ..training.scenarios import SCENARIOS
    from ..views.scenario import scenario_panel

    choice = widgets.Dropdown(
        options=[("(choose a scenario)", "")] + [(s.title, s.name) for s in SCENARIOS.values()],
        value="",
        description="Scenario",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="34em"),
    )
    button = widgets.Button(
        description="Start scenario", button_style="warning", icon="play", disabled=True
    )
    output = widgets.Output()

    def on_choice(change: dict[str, object]) -> None:
        button.disabled = not change["new"]

    def on_click(_: widgets.Button) -> None:
        name = choice.value
        run_into(output, lambda: start(rb, name), lambda _: scenario_panel(rb))

    choice.observe(on_choice, names="value")
    button.on_click(on_click)
    return widgets.VBox([choice, button, output])
