"""Step 07's form: the test phone, the 'Postman uses the new key' box, one button, the new secret's
brief reveal, and the one-time panel for a secret the env file could not take.

The button does phase one while the box is clear and phase two once it is ticked; the box clears
itself after each press, so revoking the old key is always a deliberate act. Where the env file
holds no Auth Token (put away after the hand-off), a password field takes it for this press only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ...forms import DeliveryWait, password_field, run_into, text_field, wide_button
from ...messages import DEFAULT_WAIT_SECONDS, StatusUpdate, before_send_panel, status_panel
from ...runbook import Runbook
from ..api_key import unsaved_secret_panel
from ..handoff import secret_reveal
from .job import RotationResult
from .panel import panel
from .step import rotate_key

PHASE_ONE = "Make and check the new key"
PHASE_TWO = "Revoke the old key"


def _wipe(output: widgets.Output) -> None:
    # Reset the model itself: clear_output() only asks the front end, so the kernel-side widget
    # state would keep what it showed.
    output.outputs = ()


class RotateForm(widgets.VBox):
    """Fields ``phone``, ``postman_updated`` (the box) and, when the env file has no Auth Token,
    ``auth_token``; the ``button``; results in ``output``; the ``reveal`` button and its
    ``secret_view``; an unsaved secret in ``secret_out`` until ``saved_it`` clears it."""

    def __init__(
        self,
        rb: Runbook,
        test_phone: str = "",
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        on_done: Callable[[RotationResult], Any] | None = None,
    ) -> None:
        self.rb, self.on_done, self.wait_seconds = rb, on_done, wait_seconds
        self.notice = widgets.HTML(
            before_send_panel(rb, "your number", "one check SMS")._repr_html_()
        )
        self.phone = text_field("Your mobile number", test_phone, "+65 8123 4567; empty: no SMS")
        self.postman_updated = widgets.Checkbox(
            description="Postman uses the new key (revoke the old one)",
            indent=False,
            layout=widgets.Layout(width="auto"),
        )
        self.auth_token = password_field("Auth Token", "only for this press; not saved")
        self.auth_token.layout.display = None if rb.needs_typed_token() else "none"
        self.button = wide_button(description=PHASE_ONE, button_style="primary", icon="refresh")
        self.output, self.secret_out = widgets.Output(), widgets.Output()
        self.saved_it = wide_button(description="I have saved it: clear", button_style="warning")
        self.saved_it.layout.display = "none"
        self.reveal, self.secret_view = secret_reveal(rb)
        self._waiting = DeliveryWait(self.output, wait_seconds)  # a moving bar while it waits
        super().__init__(
            [
                self.notice,
                self.phone,
                self.postman_updated,
                self.auth_token,
                self.button,
                self.output,
                self.secret_out,
                self.saved_it,
                self.reveal,
                self.secret_view,
            ]
        )
        self.postman_updated.observe(self._on_box, names="value")
        self.button.on_click(self._on_press)
        self.saved_it.on_click(self._on_saved_it)

    def _on_box(self, _: object = None) -> None:
        self.button.description = PHASE_TWO if self.postman_updated.value else PHASE_ONE
        self.button.button_style = "danger" if self.postman_updated.value else "primary"

    def _show_once(self, sid: str, secret: str) -> bool:
        # The only place a secret is shown in full: the env file could not take it.
        _wipe(self.secret_out)
        self.secret_out.append_display_data(
            unsaved_secret_panel(sid, secret, str(self.rb.store.path))
        )
        self.saved_it.layout.display = None
        return True

    def _on_saved_it(self, _: widgets.Button) -> None:
        _wipe(self.secret_out)
        self.saved_it.layout.display = "none"

    def _show_status(self, update: StatusUpdate) -> None:
        self.output.append_display_data(status_panel(update))
        self._waiting.seen(update)

    def _on_press(self, _: widgets.Button) -> None:
        typed, self.auth_token.value = self.auth_token.value, ""  # for this press only
        updated = self.postman_updated.value
        self.button.disabled = True
        self._waiting = DeliveryWait(self.output, self.wait_seconds)
        try:
            result = run_into(self.output, lambda: self._rotate(typed, updated), panel)
        finally:
            self._waiting.stop()
            self.button.disabled = False
            self.postman_updated.value = False  # deliberate, one press at a time
        if result is not None and self.on_done:
            self.on_done(result)

    def _rotate(self, typed: str, updated: bool) -> RotationResult:
        with self.rb.with_typed_token(typed):
            return rotate_key(
                self.rb,
                self.phone.value,
                postman_updated=updated,
                wait_seconds=self.wait_seconds,
                on_unsaved_secret=self._show_once,
                on_status=self._show_status,
            )


def form(
    rb: Runbook,
    test_phone: str = "",
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    on_done: Callable[[RotationResult], Any] | None = None,
) -> RotateForm:
    """Step 07's form; ``on_done`` is called with the result of each press that succeeds."""
    return RotateForm(rb, test_phone, wait_seconds, on_done)
