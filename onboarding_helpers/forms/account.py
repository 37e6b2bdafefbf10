"""Step 01 form: Account SID and Auth Token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..runbook import Runbook
from . import password_field, run_into, text_field, wide_button


def account_form(rb: Runbook, on_done: Callable[[Any], None] | None = None) -> widgets.VBox:
    """Step 01: Account SID and Auth Token, checked by fetching the account."""
    from ..steps.account import check_account
    from ..views.account import account_panel

    saved_sid = rb.store.get("TWILIO_ACCOUNT_SID") or ""
    has_token = bool(rb.store.get("TWILIO_AUTH_TOKEN"))
    sid = text_field("Account SID", saved_sid, "AC followed by 32 characters")
    token = password_field(
        "Auth Token",
        "leave empty to use the saved one" if has_token else "click 'Show' on the dashboard",
    )
    button = wide_button(description="Check account", button_style="primary", icon="check")
    output = widgets.Output()

    def on_click(_: widgets.Button) -> None:
        # Take the token out of the widget before the check: it must not linger in widget state.
        typed, token.value = token.value, ""
        result = run_into(output, lambda: check_account(rb, sid.value, typed), account_panel)
        if result is not None and on_done:
            on_done(result)

    button.on_click(on_click)
    return widgets.VBox([sid, token, button, output])
