"""Step 05's form: the officer's mobile number and a button that sends the test SMS.

Sending needs the Auth Token (the console's way). When the env file holds none (put away in step
06), the form shows a password field beside the button: the token typed there reaches the kernel
with the press (never widget state, ``SecretRow``), is used for this one send and never saved
(``Runbook.with_typed_token``).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...forms import DeliveryWait, TokenField, run_into, text_field
from ...messages import DEFAULT_WAIT_SECONDS, StatusUpdate, before_send_panel, status_panel
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretRow
from .panel import panel
from .step import MessageCheckResult, send_test_message


class MessageCheckForm(widgets.VBox):
    """The ``notice`` said before sending, the ``phone`` field, the ``us_registered`` tick (US
    numbers only), then ``action``: the Auth Token field (``token``, shown only when the env file
    has no Auth Token) and the button ``send``; each status and the outcome (or the error and
    its advice) in ``output``."""

    def __init__(
        self,
        rb: Runbook,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        on_done: Callable[[MessageCheckResult], None] | None = None,
    ) -> None:
        self.notice = widgets.HTML(before_send_panel(rb, "your number")._repr_html_())
        self.phone = text_field("Your mobile number", "", "+6581234567 (Postman takes no spaces)")
        self.us_registered = widgets.Checkbox(
            value=False,
            description="My US number is registered (A2P 10DLC or toll-free verified)",
            indent=False,
        )
        self.token = TokenField(
            rb, "Auth Token (for this send only)", "the env file holds none: type it here"
        )
        self.action = SecretRow(
            [self.token.field], [ActionButton("send", "Send test SMS", "primary", "paper-plane")]
        )
        self.output = widgets.Output()
        super().__init__([self.notice, self.phone, self.us_registered, self.action, self.output])
        self._runbook = rb
        self._wait_seconds = wait_seconds
        self._waiting = DeliveryWait(self.output, wait_seconds)  # a moving bar while it waits
        self._on_done = on_done
        self.action.on_press("send", self._send)

    def _show_status(self, update: StatusUpdate) -> None:
        self.output.append_display_data(status_panel(update))
        self._waiting.seen(update)

    def _send(self, typed: dict[str, str]) -> None:
        self.action.disabled = True  # one click, one message: no double sends while polling

        def send() -> MessageCheckResult:
            return send_test_message(
                self._runbook,
                self.phone.value,
                wait_seconds=self._wait_seconds,
                us_sender_registered=self.us_registered.value,
                allow_skip=False,
                resend=True,  # a press of the button is a deliberate send
                on_status=self._show_status,
            )

        self._waiting = DeliveryWait(self.output, self._wait_seconds)
        try:
            result = run_into(self.output, self.token.around(typed, send), panel)
        finally:
            self._waiting.stop()
            self.action.disabled = False
        if result is not None and self._on_done:
            self._on_done(result)


def form(
    rb: Runbook,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_done: Callable[[MessageCheckResult], None] | None = None,
) -> MessageCheckForm:
    """Step 05's form; ``on_done`` is called with the result when a message was sent."""
    return MessageCheckForm(rb, wait_seconds, on_done)
