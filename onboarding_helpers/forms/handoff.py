"""Step 06 form: the Postman-equivalent check, the hand-off card, and a transient secret reveal.

The reveal reads the API secret from the env file when clicked, shows it in a widget for
``reveal_seconds`` and then clears it. It lives only in that widget's live value: nothing is
printed, and papermill and Voila never save widget state. JupyterLab saves widget state into the
notebook only when "Save Widget State Automatically" is switched on (it is off by default);
keep it off.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..credentials import API_KEY_SECRET
from ..runbook import Runbook
from . import run_into, text_field, wide_button

DEFAULT_REVEAL_SECONDS = 20.0


def secret_reveal(
    rb: Runbook, reveal_seconds: float = DEFAULT_REVEAL_SECONDS
) -> tuple[widgets.Button, widgets.HTML]:
    """A button that shows the saved API secret for ``reveal_seconds``, then hides it again."""
    label = f"Show API Secret for {reveal_seconds:g} s"
    button = wide_button(description=label, icon="eye", layout=widgets.Layout(width="auto"))
    view = widgets.HTML("")
    state: dict[str, threading.Timer | None] = {"timer": None}

    def hide() -> None:
        view.value = ""
        button.description = label
        state["timer"] = None

    def on_click(_: widgets.Button) -> None:
        timer = state["timer"]
        if timer is not None:  # a second click hides it at once
            timer.cancel()
            hide()
            return
        secret = rb.store.get(API_KEY_SECRET)
        if not secret:
            view.value = "<em>No API secret is saved in the env file. Run 02_api_key first.</em>"
            return
        view.value = f"<code style='user-select:all'>{html.escape(secret)}</code>"
        button.description = "Hide API Secret"
        timer = threading.Timer(reveal_seconds, hide)
        timer.daemon = True
        state["timer"] = timer
        timer.start()

    button.on_click(on_click)
    return button, view


def handoff_form(
    rb: Runbook,
    wait_seconds: float = 60.0,
    reveal_seconds: float = DEFAULT_REVEAL_SECONDS,
    on_done: Callable[[Any], None] | None = None,
) -> widgets.VBox:
    """Step 06: run Postman's check with your number, then show the card and the report path.

    Children: [notice, phone, label, button, output, reveal button, reveal view].
    """
    from ..steps.handoff import default_label, hand_off
    from ..views.handoff import handoff_panel
    from ..views.test_message import before_send_panel, status_panel

    notice = widgets.HTML(before_send_panel(rb, "your number", "Postman's check SMS")._repr_html_())
    phone = text_field("Your mobile number", "", "+65 8123 4567; empty: no SMS, card only")
    label = text_field("Credential label", default_label(rb), "lowercase letters, digits, '-'")
    button = wide_button(description="Check like Postman", button_style="primary", icon="check")
    output = widgets.Output()
    reveal, view = secret_reveal(rb, reveal_seconds)

    def on_click(_: widgets.Button) -> None:
        button.disabled = True
        try:
            result = run_into(
                output,
                lambda: hand_off(
                    rb,
                    phone.value,
                    label.value.strip(),
                    resend=True,  # a press of the button is a deliberate check
                    wait_seconds=wait_seconds,
                    on_status=lambda update: output.append_display_data(status_panel(update)),
                ),
                handoff_panel,
            )
        finally:
            button.disabled = False
        if result is not None and on_done:
            on_done(result)

    button.on_click(on_click)
    return widgets.VBox([notice, phone, label, button, output, reveal, view])
