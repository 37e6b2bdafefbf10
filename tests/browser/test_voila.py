"""A trainee runs the runbook in Voila (``make voila``): forms and results only, no code.

Voila runs every cell when the page opens, so a step is: open its page, check the panels, then
use the form exactly as in JupyterLab. The steps and their actions are the JupyterLab walk's
(``test_lab_walk.STEPS``): step 00 prepares the practice account, and step 01 is walked in full,
failure paths included. Screenshots: see ``conftest.py``.
"""

from __future__ import annotations

import pytest

from ..secret_audit import leaks
from .conftest import Server
from .test_lab_walk import STEPS
from .walk import Desk

pytestmark = pytest.mark.browser

VOILA_STEPS = ("00_start_here", "01_account_sid")
# What Voila shows instead of a traceback when a cell fails (tracebacks are hidden by default).
VOILA_CELL_ERROR = "There was an error when executing cell"


def test_trainee_runs_steps_in_voila_with_code_hidden(page, voila: Server, screenshots) -> None:
    table = {step.notebook: step for step in STEPS}
    desk = Desk(page, page.locator("body"), voila.work, screenshots, "voila")
    for name in VOILA_STEPS:
        step = table[name]
        page.goto(voila.link(f"/voila/render/{name}.ipynb"), timeout=60_000)
        for expected in step.shows:
            panel = desk.shows(expected, name, timeout=60_000)
            desk.shoot(f"{name}-{expected.shot or expected.kind}", panel)
        buttons = page.locator("button.jupyter-button")
        if step.actions:
            buttons.first.wait_for(timeout=60_000)
        html = page.content()
        assert VOILA_CELL_ERROR not in html, f"{name}: a cell failed in Voila"
        code = page.locator(".jp-CodeCell .jp-InputArea:visible, .jp-InputArea-editor:visible")
        assert code.count() == 0, f"{name}: Voila shows code cells"
        assert "open_runbook(" not in html, f"{name}: Voila shows code"
        desk.shoot(f"{name}-ran", buttons.first if buttons.count() else None)
        for action in step.actions:
            desk.do(action, name)
        assert VOILA_CELL_ERROR not in page.content()

    work = voila.work
    assert work.secrets(), "the audit needs the secrets the walk used"
    assert leaks(work.secrets(), work.audit_roots(), texts=desk.seen_html) == []
