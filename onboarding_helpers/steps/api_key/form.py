"""Step 02's form: create the API key (after showing the existing ones), or enter one made in the
console.

A secret typed here (the API secret of a key made in the console; the Auth Token once it was put
away) is in no widget's state: it reaches the kernel with the press of a button
(``secret_row.SecretRow``), and the page clears its field. The one place a secret is shown in
full is the one-time panel (``secret_out``), used only when the env file could not be written;
'I have saved it' clears it. Clearing resets the Output widget's model, so the secret leaves the
widget state too (what a notebook saved with widget state would hold).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ...change_plan.widget import ChangePreview
from ...forms import TokenField, run_into, text_field, wide_button
from ...runbook import Runbook
from ...secret_row import ActionButton, SecretField, SecretRow
from ..registry import API_KEY as STEP
from .keys import list_account_keys
from .leftovers import revoke_orphans
from .panel import keys_panel, panel, revoked_panel, unsaved_secret_panel
from .policy import RESTRICTED, STANDARD
from .step import default_key_name, set_up_api_key
from .ways import ApiKeyResult

_HIDDEN = "none"
SECRET_FIELD = "api_secret"


def _show(widget: widgets.DOMWidget, visible: bool) -> None:
    widget.layout.display = None if visible else _HIDDEN


def _wipe(output: widgets.Output) -> None:
    # Reset the model itself: clear_output() only asks the front end, so the kernel-side widget
    # state would keep the secret.
    output.outputs = ()


class ApiKeyForm(widgets.VBox):
    """``source`` picks the way and ``key_type`` the kind of key. Create: ``name`` (in
    ``create_box``). Console: ``key_sid`` (in ``console_box``). Then ``action``: the API secret
    field (console only) and the Auth Token field (``token``, only while the env file has none),
    the buttons ``list`` (create only), ``go`` and ``revoke_orphans``, each press bringing what
    was typed. Results in ``output``; the one-time secret in ``secret_out``, cleared by
    ``saved_it``. Replacing a saved key is step 07's."""

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
        # What "Set up API key" would create or reuse (the create way: the console way only
        # checks the key typed).
        self.preview = ChangePreview(rb, STEP, self._preview_values, [self.name, self.key_type])
        self.create_box = widgets.VBox([self.name])
        self.console_box = widgets.VBox([self.key_sid])
        super().__init__(
            [
                self.source,
                self.key_type,
                self.create_box,
                self.console_box,
                self.action,
                self.preview,
                self.output,
                self.secret_out,
                self.saved_it,
            ]
        )
        self.source.observe(self._on_source, names="value")
        self._on_source()
        _show(self.saved_it, False)
        self.action.on_press("list", self._on_list)
        self.action.on_press("go", self._on_go)
        self.action.on_press("revoke_orphans", self._on_revoke_orphans)
        self.saved_it.on_click(self._on_saved_it)

    def _make_fields(self, name: str, key_type: str) -> None:
        self.source = widgets.RadioButtons(
            options=[("Create it for me", "create"), ("I made it in the console", "console")],
            value="create",
            description="API key",
            style={"description_width": "initial"},
        )
        self.name = text_field("Key name", name, "at most 64 characters")
        self.key_sid = text_field("API key SID", "", "SK followed by 32 characters")
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
        self.token = TokenField(self.rb)  # only when the Auth Token was put away (step 06)
        self.action = SecretRow(
            [
                SecretField(SECRET_FIELD, "API secret", "the secret Twilio showed once"),
                self.token.field,
            ],
            [
                ActionButton("list", "Show existing keys", icon="list"),
                ActionButton("go", "Set up API key", "primary", "key"),
                ActionButton("revoke_orphans", "Revoke orphan keys", "danger", "trash"),
            ],
            enter="go",
        )
        self.output = widgets.Output()
        self.secret_out = widgets.Output()
        # Red, not the theme's orange "warning", whose white text fails WCAG AA contrast.
        self.saved_it = wide_button(description="I have saved it: clear", button_style="danger")

    def _on_source(self, _: object = None) -> None:
        create = self.source.value == "create"
        _show(self.create_box, create)
        _show(self.console_box, not create)
        self.action.show_field(SECRET_FIELD, not create)
        self.action.change_button("list", shown=create)
        _show(self.preview, create)

    def _preview_values(self) -> dict[str, str]:
        return {"api_key_name": self.name.value, "api_key_type": self.key_type.value}

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

    def _on_list(self, typed: dict[str, str]) -> None:
        run_into(
            self.output, self.token.around(typed, lambda: list_account_keys(self.rb)), keys_panel
        )

    def _on_go(self, typed: dict[str, str]) -> None:
        result = run_into(
            self.output,
            self.token.around(
                typed,
                lambda: set_up_api_key(
                    self.rb,
                    self.source.value,
                    self.name.value,
                    self.key_sid.value,
                    typed[SECRET_FIELD],  # checked, then kept in the env file only
                    api_key_type=self.key_type.value,
                    on_unsaved_secret=self._show_once,
                ),
            ),
            panel,
        )
        self.preview.refresh()
        if result is not None and self.on_done:
            self.on_done(result)

    def _on_revoke_orphans(self, typed: dict[str, str]) -> None:
        run_into(
            self.output, self.token.around(typed, lambda: revoke_orphans(self.rb)), revoked_panel
        )


def form(
    rb: Runbook,
    api_key_name: str = "",
    on_done: Callable[[ApiKeyResult], Any] | None = None,
    api_key_type: str = STANDARD,
) -> ApiKeyForm:
    """Step 02's form; ``on_done`` is called with the result when a key is saved and usable.
    ``api_key_type`` preselects the kind of key (the notebook's parameter)."""
    return ApiKeyForm(rb, api_key_name, on_done, api_key_type)
