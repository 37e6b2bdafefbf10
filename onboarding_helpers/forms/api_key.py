"""Steps 02 and 03 forms: the API key (create it, or enter one made in the console) and its secret.

Secrets typed here are cleared from the widgets as soon as the step has used them. Two panels
show a secret in full, both transient: step 02's one-time panel when the env file could not be
written (cleared by 'I have saved it'), and step 03's reveal (cleared after ``REVEAL_SECONDS``).
Both live in Output widgets, whose contents JupyterLab does not save into the notebook unless
widget state saving is switched on; clearing them removes the secret from the widget state too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..runbook import Runbook
from . import password_field, run_into, text_field, wide_button

REVEAL_SECONDS = 30.0

_HIDDEN = "none"


def _show(widget: widgets.DOMWidget, visible: bool) -> None:
    widget.layout.display = None if visible else _HIDDEN


def _wipe(output: widgets.Output) -> None:
    # Reset the model itself: clear_output() only asks the front end, so the kernel-side widget
    # state (what a saved notebook would hold) would keep the secret.
    output.outputs = ()


def api_key_form(
    rb: Runbook, api_key_name: str = "", on_done: Callable[[Any], None] | None = None
) -> widgets.VBox:
    """Step 02: create a Standard key (after showing the existing ones), or enter a console key."""
    from ..steps.api_key import default_key_name, list_account_keys, revoke_orphans, set_up_api_key
    from ..views.api_key import api_key_panel, keys_panel, revoked_panel, unsaved_secret_panel

    source = widgets.RadioButtons(
        options=[("Create it for me", "create"), ("I made it in the console", "console")],
        value="create",
        description="API key",
        style={"description_width": "initial"},
    )
    name = text_field("Key name", api_key_name or default_key_name(rb), "at most 64 characters")
    list_button = wide_button(description="Show existing keys", icon="list")
    key_sid = text_field("API key SID", "", "SK followed by 32 characters")
    secret = password_field("API secret", "the secret Twilio showed once")
    replace = widgets.Checkbox(
        description="Replace the saved key with a new one (lost or leaked secret)", indent=False
    )
    revoke_old = widgets.Checkbox(
        description="Also revoke the replaced key (only once Postman no longer uses it)",
        indent=False,
    )
    go = wide_button(description="Set up API key", button_style="primary", icon="key")
    revoke_orphans_button = wide_button(
        description="Revoke orphan keys", button_style="danger", icon="trash"
    )
    output = widgets.Output()
    secret_out = widgets.Output()
    saved_it = wide_button(description="I have saved it: clear", button_style="warning")
    create_box = widgets.VBox([name, list_button, replace, revoke_old])
    console_box = widgets.VBox([key_sid, secret])

    def on_source(_: object = None) -> None:
        _show(create_box, source.value == "create")
        _show(console_box, source.value == "console")

    def show_once(sid: str, value: str) -> bool:
        # The only place a secret is shown in full: nothing else holds it.
        _wipe(secret_out)
        secret_out.append_display_data(unsaved_secret_panel(sid, value, str(rb.store.path)))
        _show(saved_it, True)
        return True

    def on_saved_it(_: widgets.Button) -> None:
        _wipe(secret_out)
        _show(saved_it, False)

    def on_list(_: widgets.Button) -> None:
        run_into(output, lambda: list_account_keys(rb), keys_panel)

    def on_go(_: widgets.Button) -> None:
        typed = secret.value
        secret.value = ""  # the secret is checked, then kept only in the env file
        result = run_into(
            output,
            lambda: set_up_api_key(
                rb,
                source.value,
                name.value,
                key_sid.value,
                typed,
                replace_key=replace.value,
                revoke_old_key=revoke_old.value,
                on_unsaved_secret=show_once,
            ),
            api_key_panel,
        )
        replace.value = revoke_old.value = False  # deliberate, one press at a time
        if result is not None and on_done:
            on_done(result)

    def on_revoke_orphans(_: widgets.Button) -> None:
        run_into(output, lambda: revoke_orphans(rb), revoked_panel)

    source.observe(on_source, names="value")
    on_source()
    _show(saved_it, False)
    list_button.on_click(on_list)
    go.on_click(on_go)
    saved_it.on_click(on_saved_it)
    revoke_orphans_button.on_click(on_revoke_orphans)
    return widgets.VBox(
        [
            source,
            create_box,
            console_box,
            widgets.HBox([go, revoke_orphans_button]),
            output,
            secret_out,
            saved_it,
        ]
    )


def secret_form(rb: Runbook, on_done: Callable[[Any], None] | None = None) -> widgets.VBox:
    """Step 03: check the pair, copy it to the OS keyring, reveal the secret briefly."""
    from ..credentials import API_KEY_SECRET
    from ..display import Panel
    from ..steps.api_key import check_secret, keyring_status
    from ..views.api_key import secret_panel

    ring = keyring_status()
    check = wide_button(description="Check key and secret", button_style="primary", icon="check")
    keyring_button = wide_button(
        description="Also keep a copy in the OS keyring",
        icon="lock",
        disabled=not ring.available,
        tooltip="" if ring.available else ring.reason,
    )
    reveal = widgets.ToggleButton(
        description=f"Show the secret for {int(REVEAL_SECONDS)} s", icon="eye", value=False
    )
    output = widgets.Output()
    reveal_out = widgets.Output()
    timer: list[threading.Timer] = []

    def hide() -> None:
        for t in timer:
            t.cancel()
        timer.clear()
        _wipe(reveal_out)
        if reveal.value:
            reveal.value = False

    def on_reveal(change: dict[str, Any]) -> None:
        if not change["new"]:
            hide()
            return
        value = rb.store.get(API_KEY_SECRET)
        _wipe(reveal_out)
        reveal_out.append_display_data(
            Panel(
                "warn",
                "The secret, shown briefly: it hides itself again.",
                rows=[(API_KEY_SECRET, value or "(not saved)")],
            )
        )
        t = threading.Timer(REVEAL_SECONDS, hide)
        t.daemon = True
        timer.append(t)
        t.start()

    def run(copy: bool) -> None:
        result = run_into(output, lambda: check_secret(rb, copy_to_keyring=copy), secret_panel)
        if result is not None and on_done:
            on_done(result)

    check.on_click(lambda _: run(False))
    keyring_button.on_click(lambda _: run(True))
    reveal.observe(on_reveal, names="value")
    return widgets.VBox([widgets.HBox([check, keyring_button, reveal]), output, reveal_out])
