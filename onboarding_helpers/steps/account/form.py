"""Step 01's form: Account SID and Auth Token, checked by fetching the account."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...balance import DEFAULT_LOW_BALANCE
from ...credentials import ACCOUNT_SID, AUTH_TOKEN
from ...forms import run_into, text_field
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretField, SecretRow
from .panel import panel
from .step import AccountResult, check_account

AUTH_FIELD = "auth_token"


def _token_hint(has_token: bool, put_away: bool) -> str:
    if has_token:
        return "leave empty to use the saved one"
    if put_away:
        return "put away on purpose: type it for this check"
    return "click 'Show' on the dashboard"


class AccountForm(widgets.VBox):
    """The field ``account_sid``, the ``keep_token`` box (shown only when the Auth Token was put
    away on purpose), then ``action``: the Auth Token field and the button ``check``, its press
    bringing what was typed (never widget state); the result (or the error and its advice) in
    ``output``."""

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
        self.keep_token = widgets.Checkbox(
            value=False,
            description="Keep the Auth Token in the env file (you had put it away)",
            indent=False,
            layout=widgets.Layout(width="34em", display="" if put_away else "none"),
        )
        self.action = SecretRow(
            [SecretField(AUTH_FIELD, "Auth Token", _token_hint(has_token, put_away))],
            [ActionButton("check", "Check account", "primary", "check")],
        )
        self.output = widgets.Output()
        super().__init__([self.account_sid, self.keep_token, self.action, self.output])
        self._runbook = rb
        self._on_done = on_done
        self._low_balance = low_balance
        self.action.on_press("check", self._check)

    def _check(self, typed: dict[str, str]) -> None:
        result = run_into(
            self.output,
            lambda: check_account(
                self._runbook,
                self.account_sid.value,
                typed[AUTH_FIELD],
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
