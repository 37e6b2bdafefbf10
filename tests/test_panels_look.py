"""How panels read everywhere: tables left-aligned with headers in HTML and in columns as text,
the board's statuses with icon and colour, the hand-off card's copy buttons (the secret fetched
only by a message, never in state or page), the moving indicator while a message is on its way,
and the status lines a headless run passes on as they come."""

from __future__ import annotations

import re
import threading
import time
from html.parser import HTMLParser

import pytest

from onboarding_helpers.display import Badge, Panel, board_panel, show, status_badge
from onboarding_helpers.errors import InputError
from onboarding_helpers.forms import WIDGET_VIEW, CopyCard, DeliveryWait
from onboarding_helpers.messages import StatusUpdate, status_panel
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runner.run import LiveLines
from onboarding_helpers.steps import registry
from onboarding_helpers.steps.handoff import hand_off
from onboarding_helpers.steps.handoff.form import SECRET_ROW, copy_card
from onboarding_helpers.steps.handoff.form import form as handoff_form
from onboarding_helpers.steps.test_message import form as message_form
from onboarding_helpers.training.scenarios import SCENARIOS

from .fixtures_flow import SG_MOBILE, flow_fixture  # noqa: F401
from .presses import press
from .secret_audit import leaks


class Cells(HTMLParser):
    """Every th/td of an HTML fragment: its tag, its inline style and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("th", "td"):
            self._open = {"tag": tag, "style": dict(attrs).get("style") or "", "text": ""}
            self.cells.append(self._open)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data


def cells(html: str) -> list[dict[str, str]]:
    parser = Cells()
    parser.feed(html)
    return parser.cells


def _column_starts(line: str) -> list[int]:
    """Where each column of an aligned text row starts (columns are two or more spaces apart)."""
    return [m.start() for m in re.finditer(r"(?:^ {4}|(?<=  ))\S", line)]


# ---------------------------------------------------------------- tables


def test_every_cell_is_left_aligned_and_columns_have_headers(tmp_path):
    progress = ProgressRecord(tmp_path)
    shown = board_panel(progress)
    found = cells(shown._repr_html_())
    assert [c["text"] for c in found[:4]] == ["Step", "What", "Status", "When"]
    assert found and all("text-align:left" in c["style"] for c in found)
    # Voila's and JupyterLab's stylesheet centres tables; the inline margin keeps it at the left.
    assert "margin:4px 0 0 0" in shown._repr_html_() and "<style" not in shown._repr_html_()
    steps = [c["text"] for c in found if c["tag"] == "th"][4:]
    assert steps == [s.id for s in registry.STEPS]


def test_the_board_text_stays_in_columns_under_its_headers(tmp_path):
    progress = ProgressRecord(tmp_path)
    text = str(board_panel(progress)).splitlines()
    header, rows = text[1], text[2:]
    assert header.split() == ["Step", "What", "Status", "When"]
    starts = _column_starts(header)
    assert len(starts) == 4 and len(rows) == len(registry.STEPS)
    for row in rows:
        assert _column_starts(row) == starts, row


@pytest.mark.parametrize(
    "status, kind, icon",
    [
        ("done", "ok", "✔"),
        ("failed", "error", "✖"),
        ("blocked", "warn", "!"),
        ("skipped", "muted", "–"),
        ("optional", "muted", "○"),
        ("to do", "muted", "○"),
    ],
)
def test_board_statuses_have_an_icon_a_colour_and_the_word(status, kind, icon):
    badge = status_badge(status)
    assert (badge.kind, str(badge)) == (kind, f"{icon} {status}")
    colour = {"ok": "#1e7e34", "error": "#b00020", "warn": "#8a6100", "muted": "#5f6368"}[kind]
    assert f"color:{colour}" in badge.html() and status in badge.html()


def test_a_status_the_board_does_not_know_is_shown_as_it_is():
    assert str(status_badge("paused")) == "? paused" and status_badge("paused").kind == "muted"


def test_the_board_shows_each_steps_status_as_recorded(tmp_path, monkeypatch):
    progress = ProgressRecord(tmp_path)
    rows = [
        {"step": "a", "title": "A", "status": "done", "at": "2026-01-01T00:00:00Z"},
        {"step": "b", "title": "B", "status": "failed", "at": "2026-01-01T00:01:00Z"},
        {"step": "c", "title": "C", "status": "to do", "at": ""},
    ]
    monkeypatch.setattr(ProgressRecord, "board", lambda self: rows)
    shown = board_panel(progress)
    assert shown.rows[0][2] == Badge("ok", "done", "✔") and shown.rows[2][3] == "-"
    html = shown._repr_html_()
    assert "runbook-badge-ok" in html and "runbook-badge-error" in html
    assert "✖ failed" in str(shown) and "2026-01-01T00:01:00Z" in str(shown)


def test_key_value_panels_keep_their_text_form():
    shown = Panel("ok", "Account checked", rows=[("Account SID", "AC1"), ("Balance", "USD 1")])
    assert str(shown).splitlines()[1:] == ["    Account SID  AC1", "    Balance      USD 1"]
    found = cells(shown._repr_html_())
    assert [c["tag"] for c in found] == ["th", "td", "th", "td"]
    assert all("text-align:left" in c["style"] for c in found)


def test_the_scenario_list_has_columns():
    from onboarding_helpers.steps.start.panel import scenarios_panel

    shown = scenarios_panel()
    found = cells(shown._repr_html_())
    assert [c["text"] for c in found[:3]] == ["Scenario", "What happens", "Shows at"]
    header, *rows = str(shown).splitlines()[1 : 2 + len(SCENARIOS)]
    assert all(_column_starts(r) == _column_starts(header) for r in rows)


# ---------------------------------------------------------------- the hand-off card's copy buttons


def _card(f) -> CopyCard:
    return copy_card(f.rb, hand_off(f.rb, SG_MOBILE, wait_seconds=10))


def test_the_card_has_a_copy_button_for_each_value_and_the_page_never_holds_the_secret(flow):
    f = flow()
    card = _card(f)
    page = card.panel_html
    buttons = re.findall(r"<button type='button' class='runbook-copy' ([^>]*)>", page)
    copied = dict(re.findall(r"data-copy-value='([^']*)' title='Copy ([^']+)'", page))
    assert set(copied.values()) == {
        "Credential label",
        "Account SID",
        "API Key SID",
        "Messaging Service ID",
        "Your mobile (as Postman takes it)",
    }
    assert (
        copied[f.account_sid] == "Account SID" and copied[f.service_sid] == "Messaging Service ID"
    )
    assert sum("data-copy-secret='API Secret'" in b for b in buttons) == 1
    # The secret is in no trait, no saved state, no text form; only its mask is.
    state = card.get_state()
    assert "••••" + f.api_secret[-4:] in page
    assert leaks(f.secrets, [], [page, str(state), repr(card), str(card._repr_mimebundle_())]) == []
    # The text form is the whole result, as the panels' own text (what tests and logs read).
    assert repr(card).startswith("[✔] Postman-equivalent check passed")


def test_the_secrets_copy_button_gets_it_only_in_a_message(flow, monkeypatch):
    f = flow()
    card = _card(f)
    sent: list[dict] = []
    monkeypatch.setattr(card, "send", lambda content, buffers=None: sent.append(content))
    card._handle_custom_msg({"copy": SECRET_ROW, "request": 7}, [])
    assert sent == [{"request": 7, "value": f.api_secret}]
    assert leaks(f.secrets, [], [str(card.get_state()), card.panel_html]) == []

    card._handle_custom_msg({"copy": "Account SID", "request": 8}, [])  # not a secret row
    assert sent[-1]["request"] == 8 and "not in the env file" in sent[-1]["error"]
    card._handle_custom_msg({"something": "else"}, [])  # not ours: no answer
    assert len(sent) == 2


def test_the_secrets_copy_button_says_what_to_do_when_there_is_none(flow, monkeypatch):
    f = flow()
    card = _card(f)
    sent: list[dict] = []
    monkeypatch.setattr(card, "send", lambda content, buffers=None: sent.append(content))
    monkeypatch.setattr(f.rb.store, "get", lambda name: "")
    card._handle_custom_msg({"copy": SECRET_ROW, "request": 1}, [])
    assert sent == [
        {"request": 1, "error": "API Secret is not in the env file. Run 02_api_key first."}
    ]

    def unreadable(name: str) -> str:
        raise InputError("env_file", "cannot be read: permission denied.", "Check it.")

    monkeypatch.setattr(f.rb.store, "get", unreadable)
    card._handle_custom_msg({"copy": SECRET_ROW, "request": 2}, [])
    assert sent[-1] == {
        "request": 2,
        "error": "env_file: cannot be read: permission denied. Check it.",
    }


def test_the_form_shows_the_card_with_copy_buttons(flow):
    f = flow()
    check = handoff_form(f.rb, wait_seconds=10)
    check.phone.value = SG_MOBILE
    check.button.click()
    last = check.output.outputs[-1]["data"]
    assert WIDGET_VIEW in last and "Postman-equivalent check passed" in last["text/plain"]
    assert leaks(f.secrets, [], [str(check.output.outputs)]) == []


# ---------------------------------------------------------------- waiting for delivery


def test_the_indicator_moves_while_waiting_and_goes_at_a_final_status():
    import ipywidgets as widgets

    output = widgets.Output()
    waiting = DeliveryWait(output, wait_seconds=30)
    waiting.seen(StatusUpdate("queued", 0.0))
    assert waiting.running
    shown = [o["data"].get(WIDGET_VIEW, {}).get("model_id") for o in output.outputs]
    assert shown == [waiting.widget.model_id]
    first = waiting.bar.value
    time.sleep(4 * DeliveryWait.TICK)
    assert waiting.bar.value > first and "queued" in waiting.bar.text
    waiting.seen(StatusUpdate("sent", 0.9))
    time.sleep(2 * DeliveryWait.TICK)
    assert "Waiting for delivery: sent" in waiting.bar.text
    assert "gives up after 30 s" in waiting.bar.text
    waiting.seen(StatusUpdate("delivered", 1.2))
    assert not waiting.running and output.outputs == ()
    assert not any(t.name == "delivery-wait" for t in threading.enumerate())
    waiting.stop()  # stopping twice does nothing


def test_the_form_shows_the_indicator_until_the_message_is_delivered(flow):
    f = flow()
    check = message_form(f.rb, wait_seconds=10)
    seen: list[list[str]] = []
    check.output.observe(
        lambda change: seen.append([o.get("output_type", "") + ":" + str(o) for o in change.new]),
        names="outputs",
    )
    check.phone.value = SG_MOBILE
    press(check.action, "send")
    assert any(any(WIDGET_VIEW in o for o in outputs) for outputs in seen), "no indicator shown"
    final = [o["data"] for o in check.output.outputs]
    assert all(WIDGET_VIEW not in d for d in final), "the indicator stayed after delivery"
    assert "Test message delivered" in final[-1]["text/plain"]


# ---------------------------------------------------------------- the headless run's live lines


def test_a_status_is_printed_as_a_line_as_it_happens(capsys):
    show(status_panel(StatusUpdate("sent", 3.14)))
    assert capsys.readouterr().out == "[i] Message status: sent  (after 3.1 s)\n"


def test_the_runner_echoes_what_a_notebook_prints_line_by_line():
    echoed: list[str] = []
    live = LiveLines(echoed.append)
    live.write("[i] Message status: accepted  (after 0.0 s)\n[i] Message sta")
    assert echoed == ["    [i] Message status: accepted  (after 0.0 s)"]
    live.write("tus: sent  (after 1.0 s)\n\n")
    live.flush()
    assert echoed[-1] == "    [i] Message status: sent  (after 1.0 s)" and len(echoed) == 2


def test_a_headless_run_shows_the_message_statuses_under_its_step(workspace):
    done = workspace.cli("-p", "sender_id", "GOVTECH", "-r", "test_phone", SG_MOBILE)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("▶ 05_")))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("  ✔ done"))
    statuses = [line.strip() for line in lines[start:end] if "Message status:" in line]
    assert statuses[0].startswith("[i] Message status: accepted")
    assert statuses[-1].startswith("[✔] Message status: delivered")


def test_forms_keep_phone_numbers_and_the_gateway_off_their_import_path():
    # Kernels started without the fork server (not Linux, or ONBOARDING_KERNEL_FORKS=0) each import
    # what their notebook's form imports: phone numbers and the Twilio SDK belong to the steps
    # that use them, not to every step's kernel (seen: +1 s a step with the geocoder).
    from .fresh_python import fresh_python_prints

    code = (
        "import sys, onboarding_helpers.forms, onboarding_helpers.display\n"
        "print(sorted(m for m in ('onboarding_helpers.phone', 'phonenumbers',"
        " 'onboarding_helpers.twilio_gateway') if m in sys.modules))"
    )
    loaded = fresh_python_prints(code)
    assert loaded == "[]", f"importing the forms loaded {loaded}"
