"""Step 01's form: Account SID and Auth Token, checked by fetching the account."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...credentials import ACCOUNT_SID, AUTH_TOKEN
from ...forms import password_field, run_into, text_field, wide_button
from ...runbook import Runbook
from .panel import panel
from .step import AccountResult, check_account


class AccountForm(widgets.VBox):
    """The fields ``account_sid`` and ``auth_token``, the ``button`` that checks them, and the
    result (or the error and its advice) in ``output``."""

    def __init__(self, rb: Runbook, on_done: Callable[[AccountResult], None] | None = None) -> None:
        has_token = bool(rb.store.get(AUTH_TOKEN))
        self.account_sid = text_field(
            "Account SID", rb.store.get(ACCOUNT_SID) or "", "AC followed by 32 characters"
        )
        self.auth_token = password_field(
            "Auth Token",
            "leave empty to use the saved one" if has_token else "click 'Show' on the dashboard",
        )
        self.button = wide_button(description="Check account", button_style="primary", icon="check")
        self.output = widgets.Output()
        super().__init__([self.account_sid, self.auth_token, self.button, self.output])
        self._runbook = rb
        self._on_done = on_done
        self.button.on_click(self._check)

    def _check(self, _: widgets.Button) -> None:
        # Take the token out of the widget before the check: it must not linger in widget state.
        typed, self.auth_token.value = self.auth_token.value, ""
        result = run_into(
            self.output, lambda: check_account(self._runbook, self.account_sid.value, typed), panel
        )
        if result is not None and self._on_done:
            self._on_done(result)


def form(rb: Runbook, on_done: Callable[[AccountResult], None] | None = None) -> AccountForm:
    """Step 01's form; ``on_done`` is called with the result when the account is usable."""
    return AccountForm(rb, on_done)
