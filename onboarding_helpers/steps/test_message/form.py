"""Step 05's form: the officer's mobile number and a button that sends the test SMS."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...forms import run_into, text_field, wide_button
from ...messages import DEFAULT_WAIT_SECONDS, StatusUpdate, before_send_panel, status_panel
from ...runbook import Runbook
from .panel import panel
from .step import MessageCheckResult, send_test_message


class MessageCheckForm(widgets.VBox):
    """The ``notice`` said before sending, the ``phone`` field, the ``button`` that sends, and
    each status and the outcome (or the error and its advice) in ``output``."""

    def __init__(
        self,
        rb: Runbook,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        on_done: Callable[[MessageCheckResult], None] | None = None,
    ) -> None:
        self.notice = widgets.HTML(before_send_panel(rb, "your number")._repr_html_())
        self.phone = text_field("Your mobile number", "", "+65 8123 4567")
        self.button = wide_button(
            description="Send test SMS", button_style="primary", icon="paper-plane"
        )
        self.output = widgets.Output()
        super().__init__([self.notice, self.phone, self.button, self.output])
        self._runbook = rb
        self._wait_seconds = wait_seconds
        self._on_done = on_done
        self.button.on_click(self._send)

    def _show_status(self, update: StatusUpdate) -> None:
        self.output.append_display_data(status_panel(update))

    def _send(self, _: widgets.Button) -> None:
        self.button.disabled = True  # one click, one message: no double sends while polling
        try:
            result = run_into(
                self.output,
                lambda: send_test_message(
                    self._runbook,
                    self.phone.value,
                    wait_seconds=self._wait_seconds,
                    allow_skip=False,
                    resend=True,  # a press of the button is a deliberate send
                    on_status=self._show_status,
                ),
                panel,
            )
        finally:
            self.button.disabled = False
        if result is not None and self._on_done:
            self._on_done(result)


def form(
    rb: Runbook,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_done: Callable[[MessageCheckResult], None] | None = None,
) -> MessageCheckForm:
    """Step 05's form; ``on_done`` is called with the result when a message was sent."""
    return MessageCheckForm(rb, wait_seconds, on_done)
