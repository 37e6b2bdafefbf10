"""What every step's form shares: text and password fields, wide buttons, and ``run_into``.

Each step's own form lives in its package (``steps/<package>/form.py``); its button calls the
same step function the headless path calls and shows the result, or the error with its advice,
in an Output widget under the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .display import Panel, error_panel
from .errors import RunbookError
from .runbook import Runbook

_LAYOUT = {"description_width": "initial"}


def text_field(description: str, value: str = "", placeholder: str = "") -> widgets.Text:
    return widgets.Text(
        value=value,
        description=description,
        placeholder=placeholder,
        style=_LAYOUT,
        layout=widgets.Layout(width="34em"),
    )


def password_field(description: str, placeholder: str = "") -> widgets.Password:
    return widgets.Password(
        description=description,
        placeholder=placeholder,
        style=_LAYOUT,
        layout=widgets.Layout(width="34em"),
    )


def run_into(
    output: widgets.Output, action: Callable[[], Any], on_success: Callable[[Any], Panel]
) -> Any:
    """Run a step from a button: clear the output, then show the result or the error."""
    # Reset the model itself: clear_output() is only a message to the browser, which can arrive
    # after the new result was drawn and wipe it.
    output.outputs = ()
    with output:
        try:
            result = action()
        except RunbookError as err:
            output.append_display_data(error_panel(err))
            return None
        output.append_display_data(on_success(result))
        return result


def wide_button(**kwargs: Any) -> widgets.Button:
    """A Button as wide as its label (the default width cuts longer labels off)."""
    kwargs.setdefault("layout", widgets.Layout(width="auto"))
    return widgets.Button(**kwargs)


class TokenField:
    """The Auth Token for one action, when the env file holds none (put away after step 06).

    ``field`` is a password widget, hidden while the env file has the token. ``around(action)``
    takes what was typed out of the widget at once (it must not stay in widget state) and runs
    the action with it for that action only (``Runbook.with_typed_token``): never saved.
    """

    def __init__(self, rb: Runbook) -> None:
        self._runbook = rb
        self.field = password_field("Auth Token", "only for this action; never saved")
        self.refresh()

    def refresh(self) -> None:
        """Show the field only while the env file has no Auth Token."""
        self.field.layout.display = None if self._runbook.needs_typed_token() else "none"

    def around(self, action: Callable[[], Any]) -> Callable[[], Any]:
        typed, self.field.value = self.field.value.strip(), ""

        def run() -> Any:
            # Inside the action, so that a malformed token shows as the form's error.
            with self._runbook.with_typed_token(typed):
                return action()

        return run
