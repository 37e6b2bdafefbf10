"""Step 04's form: service name, use case and Sender ID (checked as you type)."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...change_plan.widget import ChangePreview
from ...forms import TokenField, run_into, text_field
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretRow
from ...validation import USECASES
from ..registry import MESSAGING_SERVICE as STEP
from .alpha_sender import resolve_sender_id
from .panel import panel, sender_id_panel
from .service import DEFAULT_USECASE, USECASE_HELP, resolve_service_name
from .step import MessagingServiceResult, set_up_messaging_service


def usecase_dropdown(value: str) -> widgets.Dropdown:
    """The service's purpose, each use case with what it is for (step 04a asks it too)."""
    return widgets.Dropdown(
        options=[(f"{u}: {USECASE_HELP[u]}", u) for u in USECASES],
        value=value,
        description="Purpose (use case)",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="34em"),
    )


class MessagingServiceForm(widgets.VBox):
    """The fields ``messaging_service_name``, ``usecase`` and ``sender_id`` (its rules checked in
    ``sender_check`` as the officer types), then ``action``: the Auth Token field (``token``,
    only while the env file has none) and the button ``set_up``, its press bringing what was
    typed; the result (or the error and its advice) in ``output``."""

    def __init__(
        self,
        rb: Runbook,
        sender_id: str = "",
        messaging_service_name: str = "",
        usecase: str = "",
        on_done: Callable[[MessagingServiceResult], None] | None = None,
    ) -> None:
        self.messaging_service_name = text_field(
            "Messaging Service name",
            resolve_service_name(rb, messaging_service_name),
            "e.g. Postman SMS – your agency (at most 64 characters)",
        )
        self.usecase = usecase_dropdown(usecase or DEFAULT_USECASE)
        self.sender_id = text_field(
            "Sender ID", resolve_sender_id(rb, sender_id), "exactly as registered with SGNIC"
        )
        self.sender_check = widgets.Output()
        self.token = TokenField(rb)  # only when the Auth Token was put away (step 06)
        self.action = SecretRow(
            [self.token.field],
            [ActionButton("set_up", "Set up Messaging Service", "primary", "check")],
        )
        fields = [self.messaging_service_name, self.usecase, self.sender_id]
        self.preview = ChangePreview(rb, STEP, self._preview_values, fields)
        self.output = widgets.Output()
        super().__init__(
            [
                self.messaging_service_name,
                self.usecase,
                self.sender_id,
                self.sender_check,
                self.action,
                self.preview,
                self.output,
            ]
        )
        self._runbook = rb
        self._on_done = on_done
        self.sender_id.observe(self._check_sender_id, names="value")
        self._check_sender_id()
        self.action.on_press("set_up", self._set_up)

    def _check_sender_id(self, _: object = None) -> None:
        self.sender_check.outputs = ()  # reset the model; clear_output() can wipe the new result
        if self.sender_id.value:
            self.sender_check.append_display_data(sender_id_panel(self.sender_id.value))

    def _preview_values(self) -> dict[str, str]:
        return {
            "sender_id": self.sender_id.value,
            "messaging_service_name": self.messaging_service_name.value,
            "usecase": self.usecase.value,
        }

    def _set_up(self, typed: dict[str, str]) -> None:
        result = run_into(
            self.output,
            self.token.around(
                typed,
                lambda: set_up_messaging_service(
                    self._runbook,
                    self.sender_id.value,
                    self.messaging_service_name.value,
                    self.usecase.value,
                ),
            ),
            panel,
        )
        self.preview.refresh()
        if result is not None and self._on_done:
            self._on_done(result)


def form(
    rb: Runbook,
    sender_id: str = "",
    messaging_service_name: str = "",
    usecase: str = "",
    on_done: Callable[[MessagingServiceResult], None] | None = None,
) -> MessagingServiceForm:
    """Step 04's form: create or reuse the service, add the Sender ID, save the MG SID."""
    return MessagingServiceForm(rb, sender_id, messaging_service_name, usecase, on_done)
