"""Step 04 form: service name, use case and Sender ID (checked as you type)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..runbook import Runbook
from ..validation import USECASES
from . import run_into, text_field, wide_button


def usecase_dropdown(value: str) -> widgets.Dropdown:
    from ..steps.messaging_service import USECASE_HELP

    return widgets.Dropdown(
        options=[(f"{u}: {USECASE_HELP[u]}", u) for u in USECASES],
        value=value,
        description="Purpose (use case)",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="34em"),
    )


def messaging_service_form(
    rb: Runbook,
    sender_id: str = "",
    messaging_service_name: str = "",
    usecase: str = "",
    on_done: Callable[[Any], None] | None = None,
) -> widgets.VBox:
    """Step 04: create or reuse the service, add the Sender ID, save the MG SID."""
    from ..steps.messaging_service import (
        DEFAULT_USECASE,
        resolve_sender_id,
        resolve_service_name,
        set_up_messaging_service,
    )
    from ..views.messaging_service import messaging_service_panel, sender_id_panel

    name = text_field(
        "Messaging Service name",
        resolve_service_name(rb, messaging_service_name),
        "e.g. Postman SMS – your agency (at most 64 characters)",
    )
    purpose = usecase_dropdown(usecase or DEFAULT_USECASE)
    sender = text_field(
        "Sender ID", resolve_sender_id(rb, sender_id), "exactly as registered with SGNIC"
    )
    check = widgets.Output()
    button = wide_button(
        description="Set up Messaging Service", button_style="primary", icon="check"
    )
    output = widgets.Output()

    def on_sender(_: object = None) -> None:
        check.outputs = ()  # reset the model; clear_output() can wipe the new result
        if sender.value:
            check.append_display_data(sender_id_panel(sender.value))

    def on_click(_: widgets.Button) -> None:
        result = run_into(
            output,
            lambda: set_up_messaging_service(rb, sender.value, name.value, purpose.value),
            messaging_service_panel,
        )
        if result is not None and on_done:
            on_done(result)

    sender.observe(on_sender, names="value")
    on_sender()
    button.on_click(on_click)
    return widgets.VBox([name, purpose, sender, check, button, output])
