"""Step 07's form: the test phone, the 'Postman uses the new key' box, one button, the new secret's
brief reveal, and the one-time panel for a secret the env file could not take.

The button does phase one while the box is clear and phase two once it is ticked; the box clears
itself after each press, so revoking the old key is always a deliberate act. Where the env file
holds no Auth Token (put away after the hand-off), a password field beside the button takes it for
this press only: it reaches the kernel with the press, never widget state (``SecretRow``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ...change_plan.widget import ChangePreview
from ...forms import DeliveryWait, TokenField, run_into, text_field, wide_button
from ...messages import DEFAULT_WAIT_SECONDS, StatusUpdate, before_send_panel, status_panel
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretRow
from ..api_key import unsaved_secret_panel
from ..handoff import secret_reveal
from ..registry import ROTATE_KEY as STEP
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
    """Fields ``phone`` and ``postman_updated`` (the box); then ``action``: the Auth Token field
    (``token``, only when the env file has none) and the button ``press`` (its label says the
    phase); results in ``output``; the ``reveal`` button and its ``secret_view``; an unsaved
    secret in ``secret_out`` until ``saved_it`` clears it."""

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
        self.token = TokenField(rb, placeholder="only for this press; not saved")
        self.action = SecretRow(
            [self.token.field], [ActionButton("press", PHASE_ONE, "primary", "refresh")]
        )
        self.preview = ChangePreview(
            rb, STEP, self._preview_values, [self.phone, self.postman_updated]
        )
        self.output, self.secret_out = widgets.Output(), widgets.Output()
        # Red, not the theme's orange "warning", whose white text fails WCAG AA contrast.
        self.saved_it = wide_button(description="I have saved it: clear", button_style="danger")
        self.saved_it.layout.display = "none"
        self.reveal, self.secret_view = secret_reveal(rb)
        self._waiting = DeliveryWait(self.output, wait_seconds)  # a moving bar while it waits
        super().__init__(
            [
                self.notice,
                self.phone,
                self.postman_updated,
                self.action,
                self.preview,
                self.output,
                self.secret_out,
                self.saved_it,
                self.reveal,
                self.secret_view,
            ]
        )
        self.postman_updated.observe(self._on_box, names="value")
        self.action.on_press("press", self._on_press)
        self.saved_it.on_click(self._on_saved_it)

    def _on_box(self, _: object = None) -> None:
        ticked = self.postman_updated.value
        self.action.change_button(
            "press",
            label=PHASE_TWO if ticked else PHASE_ONE,
            style="danger" if ticked else "primary",
        )

    def _preview_values(self) -> dict[str, object]:
        return {"test_phone": self.phone.value, "postman_updated": self.postman_updated.value}

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

    def _on_press(self, typed: dict[str, str]) -> None:
        updated = self.postman_updated.value
        self.action.disabled = True
        self._waiting = DeliveryWait(self.output, self.wait_seconds)
        try:
            rotate = self.token.around(typed, lambda: self._rotate(updated))  # this press only
            result = run_into(self.output, rotate, panel)
        finally:
            self._waiting.stop()
            self.action.disabled = False
            self.postman_updated.value = False  # deliberate, one press at a time
            self.preview.refresh()
        if result is not None and self.on_done:
            self.on_done(result)

    def _rotate(self, updated: bool) -> RotationResult:
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
