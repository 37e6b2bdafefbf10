"""Step 05 form: the officer's mobile number and a button that sends the test SMS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..runbook import Runbook
from . import run_into, text_field, wide_button


def message_check_form(
    rb: Runbook,
    wait_seconds: float = 60.0,
    on_done: Callable[[Any], None] | None = None,
) -> widgets.VBox:
    """Step 05: type your mobile number, send, and watch each status arrive below the button.

    Children: [notice, phone, button, output].
    """
    from ..steps.test_message import send_test_message
    from ..views.test_message import before_send_panel, message_check_panel, status_panel

    phone = text_field("Your mobile number", "", "+65 8123 4567")
    notice = widgets.HTML(before_send_panel(rb, "your number")._repr_html_())
    button = wide_button(description="Send test SMS", button_style="primary", icon="paper-plane")
    output = widgets.Output()

    def on_click(_: widgets.Button) -> None:
        button.disabled = True  # one click, one message: no double sends while polling
        try:
            result = run_into(
                output,
                lambda: send_test_message(
                    rb,
                    phone.value,
                    wait_seconds=wait_seconds,
                    allow_skip=False,
                    resend=True,  # a press of the button is a deliberate send
                    on_status=lambda update: output.append_display_data(status_panel(update)),
                ),
                message_check_panel,
            )
        finally:
            button.disabled = False
        if result is not None and on_done:
            on_done(result)

    button.on_click(on_click)
    return widgets.VBox([notice, phone, button, output])
