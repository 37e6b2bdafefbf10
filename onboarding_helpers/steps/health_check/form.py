"""Step 08's form: the four values Postman holds (each empty: the env file's), one button, a
line per page of the message log while it is read, then the findings.

For a set-up made by hand the officer types the values Postman holds. The API secret goes in a
``SecretRow`` field: it reaches the kernel with the press, never widget state, and is used for
this check only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ...balance import DEFAULT_LOW_BALANCE
from ...credentials import ACCOUNT_SID, API_KEY_SID, MESSAGING_SERVICE_SID
from ...forms import run_into, text_field
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretField, SecretRow
from .log import PageRead
from .panel import panel
from .result import HealthResult
from .step import DEFAULT_DAYS, health_check

SECRET = "api_secret"


class HealthForm(widgets.VBox):
    """Fields ``account_sid``, ``api_key_sid``, ``service_sid``; ``action``: the API secret
    field and the ``check`` button; ``progress`` (a line per page read); results in
    ``output``."""

    def __init__(
        self,
        rb: Runbook,
        days: object = DEFAULT_DAYS,
        low_balance: object = DEFAULT_LOW_BALANCE,
        on_done: Callable[[HealthResult], Any] | None = None,
    ) -> None:
        saved = rb.store.values()
        empty = "empty: the env file's"
        self.account_sid = text_field("Account SID", saved.get(ACCOUNT_SID, ""), empty)
        self.api_key_sid = text_field("API key SID", saved.get(API_KEY_SID, ""), empty)
        self.service_sid = text_field(
            "Messaging Service SID", saved.get(MESSAGING_SERVICE_SID, ""), empty
        )
        self.action = SecretRow(
            [SecretField(SECRET, "API secret", "empty: the env file's; never saved")],
            [ActionButton("check", "Run the health check", "primary", "stethoscope")],
        )
        self.progress = widgets.Label("")
        self.output = widgets.Output()
        fields = [self.account_sid, self.api_key_sid, self.service_sid]
        super().__init__([*fields, self.action, self.progress, self.output])
        self.rb, self.days, self.low_balance, self.on_done = rb, days, low_balance, on_done
        self.action.on_press("check", self._check)

    def _page(self, page: PageRead) -> None:
        self.progress.value = page.line()

    def _check(self, typed: dict[str, str]) -> None:
        self.progress.value = ""
        self.action.disabled = True
        try:
            result = run_into(
                self.output,
                lambda: health_check(
                    self.rb,
                    self.account_sid.value,
                    self.api_key_sid.value,
                    typed.get(SECRET, ""),
                    self.service_sid.value,
                    days=self.days,
                    low_balance=self.low_balance,
                    on_page=self._page,
                ),
                panel,
            )
        finally:
            self.action.disabled = False
        if result is not None and self.on_done:
            self.on_done(result)


def form(
    rb: Runbook,
    days: object = DEFAULT_DAYS,
    low_balance: object = DEFAULT_LOW_BALANCE,
    on_done: Callable[[HealthResult], Any] | None = None,
) -> HealthForm:
    """Step 08's form; ``days`` and ``low_balance`` are the notebook's parameters."""
    return HealthForm(rb, days, low_balance, on_done)
