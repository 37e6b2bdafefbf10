"""Beside a form's button: what pressing it would create, add, buy or reuse, in one line.

Read with GET requests only (``panel.form_preview``): when the form is drawn, a moment after the
officer last changed a field it depends on (not at every keystroke: each reading asks Twilio),
and after each press. Nothing in it is secret: names, SIDs, masked phone numbers."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .panel import form_preview

if TYPE_CHECKING:
    from ..runbook import Runbook
    from ..steps.registry import Step

PAUSE = 0.8  # seconds after the last change to a field before Twilio is asked again
_STYLE = "color:#3c4043;margin:2px 0 8px 0"  # 10:1 on white (WCAG AA asks 4.5:1)


class ChangePreview(widgets.HTML):
    """What pressing ``step``'s button would do with ``values()`` (the form's fields), said
    politely to screen readers (``role="status"``) as it changes."""

    def __init__(
        self,
        rb: Runbook,
        step: Step,
        values: Callable[[], Mapping[str, Any]],
        watch: Iterable[widgets.Widget] = (),
    ) -> None:
        super().__init__()
        self._rb, self._step, self._values = rb, step, values
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        for field in watch:
            field.observe(self._later, names="value")
        self._read()

    def refresh(self, _: object = None) -> None:
        """Ask again now (after a press: what the press changed). A reading still waiting for
        its pause is dropped: this one sees the same fields, and Twilio is asked once."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._read()

    def _read(self) -> None:
        text = form_preview(self._rb, self._step, self._values())
        self.value = f"<div role='status' style='{_STYLE}'>{html.escape(text)}</div>"

    def _later(self, _: object = None) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(PAUSE, self._read)
            self._timer.daemon = True
            self._timer.start()
