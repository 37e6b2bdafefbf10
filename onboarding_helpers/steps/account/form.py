"""Step 01's form: Account SID and Auth Token, checked by fetching the account."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...balance import DEFAULT_LOW_BALANCE
from ...credentials import ACCOUNT_SID, AUTH_TOKEN
from ...forms import password_field, run_into, text_field, wide_button
from ...runbook import Runbook
from .panel import panel
from .step import AccountResult, check_account


def _token_hint(has_token: bool, put_away: bool) -> str:
    if has_token:
        return "leave empty to use the saved one"
    if put_away:
        return "put away on purpose: type it for this check"
    return "click 'Show' on the dashboard"


class AccountForm(widgets.VBox):
    """The fields ``account_sid`` and ``auth_token``, the ``keep_token`` box (shown only when the
    Auth Token was put away on purpose), the ``button`` that checks them, and the result (or the
    error and its advice) in ``output``."""

    def __init__(
        self,
        rb: Runbook,
        on_done: Callable[[AccountResult], None] | None = None,
        low_balance: object = DEFAULT_LOW_BALANCE,
    ) -> None:
        has_token = bool(rb.store.get(AUTH_TOKEN))
        put_away = rb.auth_token_put_away() is not None
        self.account_sid = text_field(
            "Account SID", rb.store.get(ACCOUNT_SID) or "", "AC followed by 32 characters"
        )
        self.auth_token = password_field("Auth Token", _token_hint(has_token, put_away))
        self.keep_token = widgets.Checkbox(
            value=False,
            description="Keep the Auth Token in the env file (you had put it away)",
            indent=False,
            layout=widgets.Layout(width="34em", display="" if put_away else "none"),
        )
        self.button = wide_button(description="Check account", button_style="primary", icon="check")
        self.output = widgets.Output()
        super().__init__(
            [self.account_sid, self.auth_token, self.keep_token, self.button, self.output]
        )
        self._runbook = rb
        self._on_done = on_done
        self._low_balance = low_balance
        self.button.on_click(self._check)

    def _check(self, _: widgets.Button) -> None:
        # Take the token out of the widget before the check: it must not linger in widget state.
        typed, self.auth_token.value = self.auth_token.value, ""
        result = run_into(
            self.output,
            lambda: check_account(
                self._runbook,
                self.account_sid.value,
                typed,
                low_balance=self._low_balance,
                keep_auth_token=self.keep_token.value,
            ),
            panel,
        )
        if result is not None and self._on_done:
            self._on_done(result)


def form(
    rb: Runbook,
    on_done: Callable[[AccountResult], None] | None = None,
    low_balance: object = DEFAULT_LOW_BALANCE,
) -> AccountForm:
    """Step 01's form; ``on_done`` is called with the result when the account is usable.
    ``low_balance``: the notebook's parameter (warn below this balance)."""
    return AccountForm(rb, on_done, low_balance)
