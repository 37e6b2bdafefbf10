"""Step 02's form: create the API key (after showing the existing ones), or enter one made in the
console.

A secret typed here is cleared from its widget as soon as the step has taken it. The one place a
secret is shown in full is the one-time panel (``secret_out``), used only when the env file could
not be written; 'I have saved it' clears it. Clearing resets the Output widget's model, so the
secret leaves the widget state too (what a notebook saved with widget state would hold).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ...forms import TokenField, password_field, run_into, text_field, wide_button
from ...runbook import Runbook
from .keys import list_account_keys
from .leftovers import revoke_orphans
from .panel import keys_panel, panel, revoked_panel, unsaved_secret_panel
from .policy import RESTRICTED, STANDARD
from .step import default_key_name, set_up_api_key
from .ways import ApiKeyResult

_HIDDEN = "none"


def _show(widget: widgets.DOMWidget, visible: bool) -> None:
    widget.layout.display = None if visible else _HIDDEN


def _wipe(output: widgets.Output) -> None:
    # Reset the model itself: clear_output() only asks the front end, so the kernel-side widget
    # state would keep the secret.
    output.outputs = ()


class ApiKeyForm(widgets.VBox):
    """``source`` picks the way and ``key_type`` the kind of key. Create: ``name``,
    ``list_button`` (in ``create_box``). Console: ``key_sid``, ``secret`` (in ``console_box``).
    Buttons ``go`` and ``revoke_orphans``; results in ``output``; the one-time secret in
    ``secret_out``, cleared by ``saved_it``. Replacing a saved key is step 07's."""

    def __init__(
        self,
        rb: Runbook,
        api_key_name: str = "",
        on_done: Callable[[ApiKeyResult], Any] | None = None,
        api_key_type: str = STANDARD,
    ) -> None:
        self.rb = rb
        self.on_done = on_done
        self._make_fields(api_key_name or default_key_name(rb), api_key_type)
        self._make_buttons()
        self.create_box = widgets.VBox([self.name, self.list_button])
        self.console_box = widgets.VBox([self.key_sid, self.secret])
        super().__init__(
            [
                self.source,
                self.key_type,
                self.create_box,
                self.console_box,
                self.token.field,
                widgets.HBox([self.go, self.revoke_orphans]),
                self.output,
                self.secret_out,
                self.saved_it,
            ]
        )
        self.source.observe(self._on_source, names="value")
        self._on_source()
        _show(self.saved_it, False)
        self.list_button.on_click(self._on_list)
        self.go.on_click(self._on_go)
        self.saved_it.on_click(self._on_saved_it)
        self.revoke_orphans.on_click(self._on_revoke_orphans)

    def _make_fields(self, name: str, key_type: str) -> None:
        self.source = widgets.RadioButtons(
            options=[("Create it for me", "create"), ("I made it in the console", "console")],
            value="create",
            description="API key",
            style={"description_width": "initial"},
        )
        self.name = text_field("Key name", name, "at most 64 characters")
        self.key_sid = text_field("API key SID", "", "SK followed by 32 characters")
        self.secret = password_field("API secret", "the secret Twilio showed once")
        self.key_type = widgets.RadioButtons(
            options=[
                ("Standard (what Postman's guide asks for)", STANDARD),
                ("Restricted (only what Postman needs; Twilio's US region only)", RESTRICTED),
            ],
            value=key_type if key_type in (STANDARD, RESTRICTED) else STANDARD,
            description="Key type",
            style={"description_width": "initial"},
        )

    def _make_buttons(self) -> None:
        self.list_button = wide_button(description="Show existing keys", icon="list")
        self.go = wide_button(description="Set up API key", button_style="primary", icon="key")
        self.revoke_orphans = wide_button(
            description="Revoke orphan keys", button_style="danger", icon="trash"
        )
        self.output = widgets.Output()
        self.secret_out = widgets.Output()
        self.saved_it = wide_button(description="I have saved it: clear", button_style="warning")
        self.token = TokenField(self.rb)  # only when the Auth Token was put away (step 06)

    def _on_source(self, _: object = None) -> None:
        _show(self.create_box, self.source.value == "create")
        _show(self.console_box, self.source.value == "console")

    def _show_once(self, sid: str, value: str) -> bool:
        # The only place a secret is shown in full: nothing else holds it.
        _wipe(self.secret_out)
        self.secret_out.append_display_data(
            unsaved_secret_panel(sid, value, str(self.rb.store.path))
        )
        _show(self.saved_it, True)
        return True

    def _on_saved_it(self, _: widgets.Button) -> None:
        _wipe(self.secret_out)
        _show(self.saved_it, False)

    def _on_list(self, _: widgets.Button) -> None:
        run_into(self.output, self.token.around(lambda: list_account_keys(self.rb)), keys_panel)

    def _on_go(self, _: widgets.Button) -> None:
        typed, self.secret.value = self.secret.value, ""  # checked, then kept in the env file only
        result = run_into(
            self.output,
            self.token.around(
                lambda: set_up_api_key(
                    self.rb,
                    self.source.value,
                    self.name.value,
                    self.key_sid.value,
                    typed,
                    api_key_type=self.key_type.value,
                    on_unsaved_secret=self._show_once,
                )
            ),
            panel,
        )
        if result is not None and self.on_done:
            self.on_done(result)

    def _on_revoke_orphans(self, _: widgets.Button) -> None:
        run_into(self.output, self.token.around(lambda: revoke_orphans(self.rb)), revoked_panel)


def form(
    rb: Runbook,
    api_key_name: str = "",
    on_done: Callable[[ApiKeyResult], Any] | None = None,
    api_key_type: str = STANDARD,
) -> ApiKeyForm:
    """Step 02's form; ``on_done`` is called with the result when a key is saved and usable.
    ``api_key_type`` preselects the kind of key (the notebook's parameter)."""
    return ApiKeyForm(rb, api_key_name, on_done, api_key_type)
