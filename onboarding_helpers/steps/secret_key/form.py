"""Step 03's form: check the pair, keep a copy in the OS keyring, reveal the secret briefly.

The reveal is the only place this form shows the secret in full. It lives in an Output widget
and is cleared after ``REVEAL_SECONDS``; clearing resets the widget's model, so the secret leaves
the widget state too (what a notebook saved with widget state would hold).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ...credentials import API_KEY_SECRET
from ...display import Panel
from ...forms import run_into, wide_button
from ...runbook import Runbook
from .os_keyring import keyring_status
from .panel import panel
from .step import SecretResult, check_secret

REVEAL_SECONDS = 30.0


def wipe(output: widgets.Output) -> None:
    """Empty an Output widget's model, not just the screen."""
    # clear_output() only asks the front end, so the kernel-side widget state (what a saved
    # notebook would hold) would keep the secret.
    output.outputs = ()


class SecretForm(widgets.VBox):
    """Buttons ``check``, ``keyring_button`` and ``reveal``; results in ``output``, the briefly
    revealed secret in ``reveal_out``."""

    def __init__(self, rb: Runbook, on_done: Callable[[SecretResult], Any] | None = None) -> None:
        self.rb = rb
        self.on_done = on_done
        ring = keyring_status()
        self.check = wide_button(
            description="Check key and secret", button_style="primary", icon="check"
        )
        self.keyring_button = wide_button(
            description="Also keep a copy in the OS keyring",
            icon="lock",
            disabled=not ring.available,
            tooltip="" if ring.available else ring.reason,
        )
        self.reveal = widgets.ToggleButton(
            description=f"Show the secret for {int(REVEAL_SECONDS)} s", icon="eye", value=False
        )
        self.output = widgets.Output()
        self.reveal_out = widgets.Output()
        self._timers: list[threading.Timer] = []
        self.check.on_click(lambda _: self._run(False))
        self.keyring_button.on_click(lambda _: self._run(True))
        self.reveal.observe(self._on_reveal, names="value")
        super().__init__(
            [
                widgets.HBox([self.check, self.keyring_button, self.reveal]),
                self.output,
                self.reveal_out,
            ]
        )

    def _run(self, copy: bool) -> None:
        result = run_into(self.output, lambda: check_secret(self.rb, copy_to_keyring=copy), panel)
        if result is not None and self.on_done:
            self.on_done(result)

    def _hide(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        wipe(self.reveal_out)
        if self.reveal.value:
            self.reveal.value = False

    def _on_reveal(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            self._hide()
            return
        value = self.rb.store.get(API_KEY_SECRET)
        wipe(self.reveal_out)
        self.reveal_out.append_display_data(
            Panel(
                "warn",
                "The secret, shown briefly: it hides itself again.",
                rows=[(API_KEY_SECRET, value or "(not saved)")],
            )
        )
        # Read at each reveal (not at import) so a test can shorten it.
        timer = threading.Timer(REVEAL_SECONDS, self._hide)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()


def form(rb: Runbook, on_done: Callable[[SecretResult], Any] | None = None) -> SecretForm:
    """Step 03's form."""
    return SecretForm(rb, on_done)
