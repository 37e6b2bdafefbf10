"""Step 06's form: the Postman-equivalent check, the hand-off card with a copy button for each
value, a transient secret reveal, and the button that puts the Auth Token away.

The card's copy button for the API Secret puts it on the clipboard without showing it: the page
asks the kernel for it when clicked and never holds it (``forms.CopyCard``).

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

import ipywidgets as widgets

from ...credentials import API_KEY_SECRET
from ...forms import CopyCard, DeliveryWait, run_into, text_field, wide_button
from ...messages import DEFAULT_WAIT_SECONDS, StatusUpdate, before_send_panel, status_panel
from ...runbook import Runbook
from ...which_postman import V2, postman_in_use
from ..registry import API_KEY
from .auth_token import removal_panel, remove_auth_token
from .label import default_label
from .panel import panel
from .step import HandoffResult, hand_off

DEFAULT_REVEAL_SECONDS = 20.0
# The card's rows that get a copy button: what the officer pastes into Postman. The secret's is
# fetched from the env file when clicked.
COPIED_ROWS = (
    "Credential label",
    "Account SID",
    "API Key SID",
    "Messaging Service ID",
    "Expected Sender Name",
    "Your mobile (as Postman takes it)",
)
SECRET_ROW = "API Secret"


def copy_card(rb: Runbook, result: HandoffResult) -> CopyCard:
    """Step 06's result with a copy button beside each value Postman takes."""
    card = result.card
    values = {label: value for label, value in card.rows() if label in COPIED_ROWS and value}
    if not card.sender_id:  # the row holds a reminder, not the ID
        values.pop("Expected Sender Name", None)
    return CopyCard(
        panel(result).panels,
        values,
        {SECRET_ROW: lambda: rb.store.get(API_KEY_SECRET)},
        missing=f"Run {API_KEY.id} first.",
    )


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
            view.value = f"<em>No API secret is saved in the env file. Run {API_KEY.id} first.</em>"
            return
        view.value = f"<code style='user-select:all'>{html.escape(secret)}</code>"
        button.description = "Hide API Secret"
        timer = threading.Timer(reveal_seconds, hide)
        timer.daemon = True
        state["timer"] = timer
        timer.start()

    button.on_click(on_click)
    return button, view


class HandoffForm(widgets.VBox):
    """The ``notice`` said before sending, the ``phone`` field, the ``credential_label`` field
    (legacy Postman only, else None), the ``us_registered`` tick (US numbers only), the ``button``
    that checks like Postman, the card (or the error and its advice) in ``output``, the
    ``reveal`` button with the ``secret_view`` it shows the secret in for a few seconds, and the
    ``remove_token`` button that takes the Auth Token out of the env file (its outcome in
    ``token_output``)."""

    def __init__(
        self,
        rb: Runbook,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        reveal_seconds: float = DEFAULT_REVEAL_SECONDS,
        on_done: Callable[[HandoffResult], None] | None = None,
    ) -> None:
        self.notice = widgets.HTML(
            before_send_panel(rb, "your number", "Postman's check SMS")._repr_html_()
        )
        self.phone = text_field(
            "Your mobile number", "", "+6581234567 (no spaces); empty: no SMS, card only"
        )
        self.credential_label: widgets.Text | None = None
        if postman_in_use(rb.progress) != V2:  # Postman v2 keeps no label
            self.credential_label = text_field(
                "Credential label", default_label(rb), "lowercase letters, digits, '-'"
            )
        self.us_registered = widgets.Checkbox(
            value=False,
            description="My US number is registered (A2P 10DLC or toll-free verified)",
            indent=False,
        )
        self.button = wide_button(
            description="Check like Postman", button_style="primary", icon="check"
        )
        self.output = widgets.Output()
        self.reveal, self.secret_view = secret_reveal(rb, reveal_seconds)
        self.remove_token = wide_button(
            description="Remove the Auth Token from the env file", icon="trash"
        )
        self.token_output = widgets.Output()
        fields = [self.phone, self.credential_label, self.us_registered]
        super().__init__(
            [
                self.notice,
                *[f for f in fields if f is not None],
                self.button,
                self.output,
                self.reveal,
                self.secret_view,
                self.remove_token,
                self.token_output,
            ]
        )
        self._runbook = rb
        self._wait_seconds = wait_seconds
        self._waiting = DeliveryWait(self.output, wait_seconds)
        self._on_done = on_done
        self.button.on_click(self._check)
        self.remove_token.on_click(self._remove_token)

    def _show_status(self, update: StatusUpdate) -> None:
        self.output.append_display_data(status_panel(update))
        self._waiting.seen(update)

    def _check(self, _: widgets.Button) -> None:
        self.button.disabled = True
        label = self.credential_label.value.strip() if self.credential_label else ""
        self._waiting = DeliveryWait(self.output, self._wait_seconds)
        try:
            result = run_into(
                self.output,
                lambda: hand_off(
                    self._runbook,
                    self.phone.value,
                    label,
                    resend=True,  # a press of the button is a deliberate check
                    wait_seconds=self._wait_seconds,
                    us_sender_registered=self.us_registered.value,
                    on_status=self._show_status,
                ),
                lambda done: copy_card(self._runbook, done),
            )
        finally:
            self._waiting.stop()
            self.button.disabled = False
        if result is not None and self._on_done:
            self._on_done(result)

    def _remove_token(self, _: widgets.Button) -> None:
        run_into(self.token_output, lambda: remove_auth_token(self._runbook), removal_panel)


def form(
    rb: Runbook,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    reveal_seconds: float = DEFAULT_REVEAL_SECONDS,
    on_done: Callable[[HandoffResult], None] | None = None,
) -> HandoffForm:
    """Step 06's form; ``on_done`` is called with the result when the check and card are done."""
    return HandoffForm(rb, wait_seconds, reveal_seconds, on_done)
