"""Step 04a form: search US numbers, pick one, confirm the cost, buy and attach."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..runbook import Runbook
from . import run_into, text_field, wide_button


def phone_number_form(
    rb: Runbook,
    messaging_service_name: str = "",
    usecase: str = "",
    on_done: Callable[[Any], None] | None = None,
) -> widgets.VBox:
    """Step 04a: nothing is bought until the officer ticks the confirmation and presses Buy."""
    from ..steps.messaging_service import DEFAULT_USECASE, resolve_service_name
    from ..steps.phone_number import MONTHLY_PRICE, buy_phone_number
    from ..views.phone_number import phone_number_panel
    from .messaging_service import usecase_dropdown

    name = text_field(
        "Messaging Service name",
        resolve_service_name(rb, messaging_service_name),
        "the same name you will use in step 04",
    )
    purpose = usecase_dropdown(usecase or DEFAULT_USECASE)
    search = wide_button(description="Show available numbers", icon="search")
    choice = widgets.Dropdown(
        options=[], description="Number to buy", style={"description_width": "initial"}
    )
    confirm = widgets.Checkbox(
        value=False,
        description=f"I confirm: buy this number ({MONTHLY_PRICE}, billed to my agency)",
        indent=False,
        layout=widgets.Layout(width="40em"),
    )
    buy = wide_button(
        description="Buy and add to service", button_style="warning", icon="cart-plus"
    )
    output = widgets.Output()

    def on_search(_: widgets.Button) -> None:
        result = run_into(
            output,
            lambda: buy_phone_number(rb, name.value, purpose.value, buy=False),
            phone_number_panel,
        )
        if result is not None:
            choice.options = [
                (f"{c.phone_number}  {c.place}", c.phone_number) for c in result.candidates
            ]
            choice.value = result.candidates[0].phone_number if result.candidates else None

    def on_buy(_: widgets.Button) -> None:
        result = run_into(
            output,
            lambda: buy_phone_number(
                rb, name.value, purpose.value, True, confirm.value, choice.value or ""
            ),
            phone_number_panel,
        )
        confirm.value = False  # one tick buys at most once
        if result is not None and on_done:
            on_done(result)

    search.on_click(on_search)
    buy.on_click(on_buy)
    return widgets.VBox([name, purpose, search, choice, confirm, buy, output])
