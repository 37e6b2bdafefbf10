"""Step 04a's form: search US numbers, pick one, confirm the cost, buy and attach."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...forms import run_into, text_field, wide_button
from ...runbook import Runbook
from ..messaging_service import DEFAULT_USECASE, resolve_service_name, usecase_dropdown
from .numbers import MONTHLY_PRICE
from .panel import panel
from .step import PhoneNumberResult, buy_phone_number


class PhoneNumberForm(widgets.VBox):
    """The fields ``messaging_service_name`` and ``usecase``, the ``search_button`` that fills
    ``phone_number`` with the numbers on offer, the ``confirm_purchase`` tick, the ``buy_button``,
    and the result (or the error and its advice) in ``output``. Nothing is bought until the
    officer ticks the confirmation and presses Buy; one tick buys at most once."""

    def __init__(
        self,
        rb: Runbook,
        messaging_service_name: str = "",
        usecase: str = "",
        on_done: Callable[[PhoneNumberResult], None] | None = None,
    ) -> None:
        self.messaging_service_name = text_field(
            "Messaging Service name",
            resolve_service_name(rb, messaging_service_name),
            "the same name you will use in step 04",
        )
        self.usecase = usecase_dropdown(usecase or DEFAULT_USECASE)
        self.search_button = wide_button(description="Show available numbers", icon="search")
        self.phone_number = widgets.Dropdown(
            options=[], description="Number to buy", style={"description_width": "initial"}
        )
        self.confirm_purchase = widgets.Checkbox(
            value=False,
            description=f"I confirm: buy this number ({MONTHLY_PRICE}, billed to my agency)",
            indent=False,
            layout=widgets.Layout(width="40em"),
        )
        self.buy_button = wide_button(
            description="Buy and add to service", button_style="warning", icon="cart-plus"
        )
        self.output = widgets.Output()
        super().__init__(
            [
                self.messaging_service_name,
                self.usecase,
                self.search_button,
                self.phone_number,
                self.confirm_purchase,
                self.buy_button,
                self.output,
            ]
        )
        self._runbook = rb
        self._on_done = on_done
        self.search_button.on_click(self._search)
        self.buy_button.on_click(self._buy)

    def _search(self, _: widgets.Button) -> None:
        result = run_into(
            self.output,
            lambda: buy_phone_number(
                self._runbook, self.messaging_service_name.value, self.usecase.value, buy=False
            ),
            panel,
        )
        if result is not None:
            self.phone_number.options = [
                (f"{c.phone_number}  {c.place}", c.phone_number) for c in result.candidates
            ]
            self.phone_number.value = (
                result.candidates[0].phone_number if result.candidates else None
            )

    def _buy(self, _: widgets.Button) -> None:
        result = run_into(
            self.output,
            lambda: buy_phone_number(
                self._runbook,
                self.messaging_service_name.value,
                self.usecase.value,
                True,
                self.confirm_purchase.value,
                self.phone_number.value or "",
            ),
            panel,
        )
        self.confirm_purchase.value = False  # one tick buys at most once
        if result is not None and self._on_done:
            self._on_done(result)


def form(
    rb: Runbook,
    messaging_service_name: str = "",
    usecase: str = "",
    on_done: Callable[[PhoneNumberResult], None] | None = None,
) -> PhoneNumberForm:
    """Step 04a's form: nothing is bought until the confirmation is ticked and Buy pressed."""
    return PhoneNumberForm(rb, messaging_service_name, usecase, on_done)
