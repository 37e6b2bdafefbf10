"""axe-core on every page the runbook shows an officer or a trainer, as a browser draws it.

Every notebook in Voila (the whole page): as it first renders with its form, after each action
that succeeds and each that is refused (``accessibility.assert_accessible`` runs after every
result panel and every copy), with the waiting bar on screen while a test SMS is on its way. Then
the sandbox console: its login page (before and after a wrong Auth Token), an account page (its
owner's view, and the trainer's) and the trainer's board, all holding what the walk did. The rules
are WCAG 2.0 and 2.1, levels A and AA; a serious or critical violation fails the test with the
rule, the element and the fix. Every finding, of any impact, goes to ``axe-findings.txt`` in the
module's screenshots folder. (JupyterLab: ``test_lab_walk.py`` runs the same check on the open
notebook's outputs at every step.)

The walk is the JupyterLab walk's (``test_lab_walk.STEPS``), with a refusal added where it has
none, and steps 07 and 08, which it does not take.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from onboarding_helpers.credentials import ACCOUNT_SID, AUTH_TOKEN
from onboarding_helpers.sandbox import set_account, trainer_token
from onboarding_helpers.sandbox.process import live_url

from .accessibility import AxeLog, assert_accessible
from .conftest import Server
from .test_lab_walk import PLAN, STEPS
from .walk import Action, Choose, Desk, Press, Shows, Type, settle

pytestmark = pytest.mark.browser

# What Voila shows instead of a traceback when a cell fails.
VOILA_CELL_ERROR = "There was an error when executing cell"
PHONE = "+65 8123 4567"
REFUSED = Shows("error", "", text=("Field to fix",), shot="refused")


@dataclass(frozen=True)
class Waiting:
    """After a Send: the waiting bar is on screen; check it (axe, and its value for assistive
    technology) before the message's final status takes it away."""


# Refusals the JupyterLab walk does not make, done first; then the walk's own actions.
REFUSALS: dict[str, tuple[Action, ...]] = {
    "02_api_key": (
        Choose("I made it in the console"),
        Type("API key SID", "SK123"),
        Press("Set up API key"),
        REFUSED,
        Choose("Create it for me"),
    ),
    "05_send_test_message": (
        Type("Your mobile number", "+65 1234"),
        Press("Send test SMS"),
        REFUSED,
    ),
    "06_postman_handoff": (
        Type("Your mobile number", "+65 1234"),
        Press("Check like Postman"),
        REFUSED,
    ),
}
# Steps the JupyterLab walk does not take: a refusal, then the action done.
OWN_STEPS: dict[str, tuple[Action, ...]] = {
    "05_send_test_message": (
        Type("Your mobile number", PHONE),
        Press("Send test SMS"),
        Waiting(),
        Shows("ok", "Test message delivered"),
    ),
    "07_rotate_key": (
        Type("Your mobile number", "+65 1234"),
        Press("Make and check the new key"),
        REFUSED,
        Type("Your mobile number", ""),
        Press("Make and check the new key"),
        Shows("ok", "New API key"),
    ),
    "08_health_check": (
        Type("Account SID", "AC123"),
        Press("Run the health check"),
        REFUSED,
        Type("Account SID", ""),
        Press("Run the health check"),
        Shows("ok", "Health check"),
    ),
}


def actions_for(notebook: str) -> tuple[Action, ...]:
    table = {step.notebook: step.actions for step in STEPS}
    own = OWN_STEPS.get(notebook, table.get(notebook, ()))
    return REFUSALS.get(notebook, ()) + own


def _slow_messages(voila: Server, seconds: float) -> None:
    """Each status of a practice message takes ``seconds``: the waiting bar stays long enough."""
    url = live_url(voila.work.sandbox_dir)
    assert url, "the notebooks' sandbox is not running"
    set_account(url, voila.work.saved(ACCOUNT_SID), message_step_seconds=seconds)


def _check_waiting_bar(desk: Desk, step: str) -> None:
    """The bar is a progressbar with its value and what it waits for, and passes axe."""
    bar = desk.page.get_by_role("progressbar")
    bar.wait_for(timeout=30_000)
    desk.check_accessible(f"{step}: waiting for delivery")
    name = bar.get_attribute("aria-label") or ""
    assert "delivery" in name.lower(), f"{step}: the waiting bar's name is {name!r}"
    now = float(bar.evaluate("e => e.value ?? e.getAttribute('aria-valuenow')"))
    most = float(bar.evaluate("e => e.max ?? e.getAttribute('aria-valuemax')"))
    assert 0 <= now <= most, f"{step}: the bar says {now} of {most}"
    said = bar.get_attribute("aria-valuetext") or ""
    assert " s" in said and "gives up" in said, f"{step}: the bar says {said!r}"


def _walk_notebook(desk: Desk, voila: Server, name: str) -> None:
    page = desk.page
    page.goto(voila.link(f"/voila/render/{name}.ipynb"), timeout=60_000)
    page.locator("button.jupyter-button").first.wait_for(timeout=60_000)
    settle(page)  # every widget drawn: the check sees the whole form
    assert VOILA_CELL_ERROR not in page.content(), f"{name}: a cell failed in Voila"
    desk.check_accessible(f"{name}: form rendered")
    for action in actions_for(name):
        if isinstance(action, Waiting):
            _check_waiting_bar(desk, name)
        else:
            if isinstance(action, Press) and action.button == "Send test SMS":
                _slow_messages(voila, 1.5)
            desk.do(action, name)
    assert VOILA_CELL_ERROR not in page.content(), f"{name}: a cell failed in Voila"


@pytest.fixture(scope="module")
def findings(screenshots) -> AxeLog:
    log = AxeLog(screenshots / "axe-findings.txt")
    print(f"axe-core findings: {log.path}")
    return log


@pytest.fixture(scope="module")
def desk(page, voila: Server, screenshots, findings: AxeLog) -> Desk:
    return Desk(
        page, page.locator("body"), voila.work, screenshots, "voila", axe=findings, axe_within=()
    )


def test_every_notebook_in_voila_meets_wcag_aa(desk: Desk, voila: Server, findings) -> None:
    for step in PLAN:
        _walk_notebook(desk, voila, step.notebook)
    rendered = {s.split(":")[0].split()[-1] for s in findings.states if "form rendered" in s}
    assert rendered == {step.notebook for step in PLAN}
    assert any("waiting for delivery" in s for s in findings.states)


def test_console_pages_meet_wcag_aa(desk: Desk, voila: Server, findings) -> None:
    """After the walk: the login page, an account page and the trainer's board."""
    url = live_url(voila.work.sandbox_dir)
    if not url:
        pytest.fail("the notebooks' sandbox is not running: the Voila walk failed first")
    page, work = desk.page, voila.work
    sid = work.saved(ACCOUNT_SID)

    def check(state: str) -> None:
        assert_accessible(page, f"console {state}", log=findings)

    page.goto(f"{url}/console/{sid}")  # no cookie: the login page
    page.get_by_label("Account SID").wait_for()
    check("login page")
    page.get_by_label("Account SID").fill(sid)
    page.get_by_label("Auth Token").fill("0" * 32)
    page.get_by_role("button", name="Log in").click()
    page.locator(".badge.bad").wait_for()
    check("login refused")
    page.get_by_label("Account SID").fill(sid)
    page.get_by_label("Auth Token").fill(work.saved(AUTH_TOKEN))
    page.get_by_role("button", name="Log in").click()
    page.locator("#account-info").wait_for()
    check("account page (its owner)")
    page.goto(f"{url}/console/board")
    page.get_by_label("Trainer token").wait_for()
    check("trainer's page, locked")
    page.get_by_label("Trainer token").fill(trainer_token(url))
    page.get_by_role("button", name="Unlock").click()
    page.locator("#trainers-board").wait_for()
    check("trainer's board")
    page.goto(f"{url}/console/{sid}")
    page.locator("#account-info").wait_for()
    check("account page (trainer)")
    page.goto(f"{url}/console")
    check("all practice accounts")
