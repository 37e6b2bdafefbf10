"""Step 05's form: the officer's mobile number and a button that sends the test SMS.

Sending needs the Auth Token (the console's way). When the env file holds none (put away in step
06), the form shows a password field: the token typed there is used for this one send, taken out
of the widget before anything is sent, and never saved (``Runbook.with_typed_token``).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from ...forms import DeliveryWait, password_field, run_into, text_field, wide_button
from ...messages import DEFAULT_WAIT_SECONDS, StatusUpdate, before_send_panel, status_panel
from ...runbook import Runbook
from .panel import panel
from .step import MessageCheckResult, send_test_message


class MessageCheckForm(widgets.VBox):
    """The ``notice`` said before sending, the ``phone`` field, the ``us_registered`` tick (US
    numbers only), the ``auth_token`` field (only when the env file has no Auth Token, else
    None), the ``button`` that sends, and each status and the outcome (or the error and its
    advice) in ``output``."""

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
        self.auth_token: widgets.Password | None = None
        children: list[widgets.Widget] = [self.notice, self.phone, self.us_registered]
        if rb.needs_typed_token():
            self.auth_token = password_field(
                "Auth Token (for this send only)", "the env file holds none: type it here"
            )
            children.append(self.auth_token)
        self.button = wide_button(
            description="Send test SMS", button_style="primary", icon="paper-plane"
        )
        self.output = widgets.Output()
        super().__init__([*children, self.button, self.output])
        self._runbook = rb
        self._wait_seconds = wait_seconds
        self._waiting = DeliveryWait(self.output, wait_seconds)  # a moving bar while it waits
        self._on_done = on_done
        self.button.on_click(self._send)

    def _show_status(self, update: StatusUpdate) -> None:
        self.output.append_display_data(status_panel(update))
        self._waiting.seen(update)

    def _typed_token(self) -> str:
        """The typed Auth Token, taken out of the widget at once (it must not stay in its state)."""
        if self.auth_token is None:
            return ""
        token, self.auth_token.value = self.auth_token.value.strip(), ""
        return token

    def _send(self, _: widgets.Button) -> None:
        self.button.disabled = True  # one click, one message: no double sends while polling
        token = self._typed_token()
        rb = self._runbook

        def send() -> MessageCheckResult:
            with rb.with_typed_token(token):
                return send_test_message(
                    rb,
                    self.phone.value,
                    wait_seconds=self._wait_seconds,
                    us_sender_registered=self.us_registered.value,
                    allow_skip=False,
                    resend=True,  # a press of the button is a deliberate send
                    on_status=self._show_status,
                )

        self._waiting = DeliveryWait(self.output, self._wait_seconds)
        try:
            result = run_into(self.output, send, panel)
        finally:
            self._waiting.stop()
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
