"""A secret typed into a form travels in the press's message, never in widget state.

Typing needs a browser (``tests/browser/test_typed_secret.py`` types and saves the notebook); here
the page's press message is delivered to each form's ``SecretRow`` as the kernel's comm delivers
it (``presses.press``). The typed value must reach the step (Twilio refuses the wrong one by name,
20003: the form used it) and be in no widget state afterwards: the row's own, every widget's
(``Widget.get_manager_state``, what JupyterLab saves into the notebook) and the embed state."""

from __future__ import annotations

import importlib
import json
import secrets
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pytest
from ipywidgets.embed import embed_data

from onboarding_helpers.credentials import AUTH_TOKEN
from onboarding_helpers.secret_row import ActionButton, SecretField, SecretRow

from .fixtures_flow import SG_MOBILE, Flow, flow_fixture  # noqa: F401
from .presses import press
from .secret_audit import leaks


def _phone(shown: Any) -> None:
    shown.phone.value = SG_MOBILE  # a send needs a number before it needs the token


def _console(shown: Any) -> None:
    shown.source.value = "console"
    shown.key_sid.value = shown.rb.store.get("TWILIO_API_KEY_SID")


# package, button, field typed into, what the form needs filled in first
PRESSES: list[tuple[str, str, str, Callable[[Any], None] | None]] = [
    ("account", "check", "auth_token", None),
    ("api_key", "list", "auth_token", None),
    ("api_key", "go", "api_secret", _console),
    ("messaging_service", "set_up", "auth_token", None),
    ("phone_number", "search", "auth_token", None),
    ("rotate_key", "press", "auth_token", _phone),
    ("test_message", "send", "auth_token", _phone),
]


def _text(output: widgets.Output) -> str:
    return "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in output.outputs)


def _states(shown: widgets.Widget) -> list[str]:
    """Every widget state a saved notebook or an embedding could hold."""
    return [
        json.dumps(shown.action.get_state()),
        json.dumps(widgets.Widget.get_manager_state(drop_defaults=False)),
        json.dumps(embed_data(views=[shown])["manager_state"]),
    ]


@pytest.mark.parametrize(
    ("package", "button", "field", "prepare"),
    PRESSES,
    ids=[f"{p}-{b}" for p, b, _, _ in PRESSES],
)
def test_a_typed_secret_reaches_the_step_and_no_widget_state(
    flow, package: str, button: str, field: str, prepare: Callable[[Any], None] | None
) -> None:
    f: Flow = flow()
    if field == "auth_token":
        f.rb.store.remove(AUTH_TOKEN)  # put away: the forms ask for it
    shown = importlib.import_module(f"onboarding_helpers.steps.{package}").form(f.rb)
    if prepare:
        prepare(shown)
    assert shown.action.field(field)["shown"], f"{package}: no {field} field to type into"
    typed = secrets.token_hex(16)  # well-formed, and not the account's

    press(shown.action, button, **{field: typed})

    said = _text(shown.output)
    assert "20003" in said, f"{package}: the typed value did not reach Twilio: {said}"
    assert leaks([typed], [f.rb.settings.state_dir], [said, *_states(shown)]) == []


def _row(calls: list[dict[str, str]]) -> SecretRow:
    row = SecretRow(
        [SecretField("token", "Auth Token", "type it"), SecretField("secret", "API secret")],
        [ActionButton("go", "Go", "primary", "check"), ActionButton("other", "Other")],
    )
    row.on_press("go", calls.append)
    return row


def test_a_press_brings_what_the_page_shows_and_nothing_else() -> None:
    calls: list[dict[str, str]] = []
    row = _row(calls)
    assert row.enter == "go"  # Enter in a field presses the first button
    press(row, "go", token="t0k3n", secret="s3cr3t", extra="dropped")
    row.show_field("secret", False)
    press(row, "go", token="again", secret="typed before it was hidden")
    press(row, "go", token=["not", "text"])  # type: ignore[arg-type]
    assert calls == [
        {"token": "t0k3n", "secret": "s3cr3t"},
        {"token": "again", "secret": ""},
        {"token": "", "secret": ""},
    ]
    assert leaks(["t0k3n", "s3cr3t", "again"], [], [json.dumps(row.get_state())]) == []


def test_a_press_that_cannot_happen_in_the_page_does_nothing() -> None:
    calls: list[dict[str, str]] = []
    row = _row(calls)
    press(row, "other")  # no handler
    press(row, "nonsense")
    row._handle_custom_msg({"something": "else"}, [])  # not a press
    row.disabled = True  # busy: the page greys the buttons out
    press(row, "go")
    row.disabled = False
    row.change_button("go", shown=False)
    press(row, "go")
    assert calls == []
    row.change_button("go", shown=True, label="Go again", style="danger")
    press(row, "go")
    assert len(calls) == 1 and row.button("go")["label"] == "Go again"


def test_names_that_are_not_the_rows_are_refused_at_once() -> None:
    row = _row([])
    with pytest.raises(KeyError, match="no button named 'missing'"):
        row.on_press("missing", print)
    with pytest.raises(KeyError, match="no field named 'missing'"):
        row.show_field("missing", True)
    with pytest.raises(TypeError, match="no such property"):
        row.change_button("go", colour="red")
