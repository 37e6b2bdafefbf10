"""Step 04a's form: the countries the agency sends to (what each needs, as you type), then
search US numbers, pick one, confirm the cost, buy and attach."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...change_plan.widget import ChangePreview
from ...countries import parse_countries
from ...display import Panel
from ...errors import InputError
from ...forms import TokenField, run_into, text_field
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretRow
from ..messaging_service import DEFAULT_USECASE, resolve_service_name, usecase_dropdown
from ..registry import PHONE_NUMBER as STEP
from .destinations import destination_notes, plan_destinations
from .numbers import MONTHLY_PRICE
from .panel import panel
from .step import PhoneNumberResult, buy_phone_number


def destinations_panel(value: str) -> Panel:
    """What the countries typed so far need (or why the text is not a list of countries)."""
    try:
        destinations = plan_destinations(parse_countries(value, "foreign_countries"))
    except InputError as err:
        return Panel("error", err.message, notes=[err.advice])
    return Panel(
        "info", "What these destinations need", notes=destination_notes(destinations, buying=False)
    )


class PhoneNumberForm(widgets.VBox):
    """The field ``foreign_countries`` (what each country needs shown in ``destinations`` as the
    officer types), the fields ``messaging_service_name`` and ``usecase``, the ``phone_number``
    to buy and the ``confirm_purchase`` tick, then ``action``: the Auth Token field (``token``,
    only while the env file has none) and the buttons ``search`` (fills ``phone_number`` with the
    numbers on offer) and ``buy``; the result (or the error and its advice) in ``output``.
    Nothing is bought until the officer ticks the confirmation and presses Buy; one tick buys at
    most once."""

    def __init__(
        self,
        rb: Runbook,
        messaging_service_name: str = "",
        usecase: str = "",
        on_done: Callable[[PhoneNumberResult], None] | None = None,
        foreign_countries: str = "",
    ) -> None:
        self.foreign_countries = text_field(
            "Countries you send to (outside Singapore)",
            foreign_countries,
            "ISO codes, e.g. MY, US, GB",
        )
        self.destinations = widgets.Output()
        self.messaging_service_name = text_field(
            "Messaging Service name",
            resolve_service_name(rb, messaging_service_name),
            "the same name you will use in step 04",
        )
        self.usecase = usecase_dropdown(usecase or DEFAULT_USECASE)
        self.phone_number = widgets.Dropdown(
            options=[], description="Number to buy", style={"description_width": "initial"}
        )
        self.confirm_purchase = widgets.Checkbox(
            value=False,
            description=f"I confirm: buy this number ({MONTHLY_PRICE}, billed to my agency)",
            indent=False,
            layout=widgets.Layout(width="40em"),
        )
        self.token = TokenField(rb)  # only when the Auth Token was put away (step 06)
        self.action = SecretRow(  # both buttons may need the Auth Token: one row holds them
            [self.token.field],
            [
                ActionButton("search", "Show available numbers", icon="search"),
                # Billed, so marked as a careful action: red (the theme's orange "warning" fails
                # WCAG AA contrast with its white text).
                ActionButton("buy", "Buy and add to service", "danger", "cart-plus"),
            ],
        )
        fields = [self.messaging_service_name, self.phone_number, self.confirm_purchase]
        self.preview = ChangePreview(rb, STEP, self._preview_values, fields)
        self.output = widgets.Output()
        super().__init__(
            [
                self.foreign_countries,
                self.destinations,
                self.messaging_service_name,
                self.usecase,
                self.phone_number,
                self.confirm_purchase,
                self.action,
                self.preview,
                self.output,
            ]
        )
        self._runbook = rb
        self._on_done = on_done
        self.action.on_press("search", self._search)
        self.action.on_press("buy", self._buy)
        self.foreign_countries.observe(self._show_destinations, names="value")
        self._show_destinations()

    def _show_destinations(self, _: object = None) -> None:
        self.destinations.outputs = ()  # reset the model; clear_output() can wipe the new result
        self.destinations.append_display_data(destinations_panel(self.foreign_countries.value))

    def _preview_values(self) -> dict[str, object]:
        """What "Buy and add to service" would do (the search buys nothing)."""
        return {
            "messaging_service_name": self.messaging_service_name.value,
            "usecase": self.usecase.value,
            "foreign_countries": self.foreign_countries.value,
            "buy_phone_number": True,
            "confirm_purchase": self.confirm_purchase.value,
            "phone_number": self.phone_number.value or "",
        }

    def _search(self, typed: dict[str, str]) -> None:
        result = run_into(
            self.output,
            self.token.around(
                typed,
                lambda: buy_phone_number(
                    self._runbook,
                    self.messaging_service_name.value,
                    self.usecase.value,
                    buy=False,
                    foreign_countries=self.foreign_countries.value,
                ),
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

    def _buy(self, typed: dict[str, str]) -> None:
        result = run_into(
            self.output,
            self.token.around(
                typed,
                lambda: buy_phone_number(
                    self._runbook,
                    self.messaging_service_name.value,
                    self.usecase.value,
                    True,
                    self.confirm_purchase.value,
                    self.phone_number.value or "",
                    self.foreign_countries.value,
                ),
            ),
            panel,
        )
        self.confirm_purchase.value = False  # one tick buys at most once
        self.preview.refresh()
        if result is not None and self._on_done:
            self._on_done(result)


def form(
    rb: Runbook,
    messaging_service_name: str = "",
    usecase: str = "",
    on_done: Callable[[PhoneNumberResult], None] | None = None,
    foreign_countries: str = "",
) -> PhoneNumberForm:
    """Step 04a's form: nothing is bought until the confirmation is ticked and Buy pressed."""
    return PhoneNumberForm(rb, messaging_service_name, usecase, on_done, foreign_countries)
