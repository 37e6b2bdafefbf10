"""An officer walks the runbook in JupyterLab, in a real Chromium, against the sandbox Twilio.

For each notebook in the runbook's order the test opens it from JupyterLab's file browser, runs
it with *Run > Run All Cells*, checks the panels its cells show, types into its form's fields key
by key, clicks its buttons and checks the result panel each click draws, then saves the notebook
(Ctrl+S) and closes it. No traceback may show, and no secret from the env file may appear in
the page. At the end the saved notebooks (with widget state, which the test server saves) and
the whole work folder, except the env file and the sandbox's own data, are searched for the
secrets.

Screenshots of every step go to pytest's temporary folder, or ``$BROWSER_TESTS_SCREENSHOTS``
(see ``conftest.py``). Every panel with a table is checked to read from the left. After Run All
and after every panel and copy, axe-core checks the notebook's outputs (not JupyterLab's own
menus and panels) against WCAG 2.1 A and AA (``accessibility.py``; findings in
``axe-findings.txt`` beside the screenshots).

Run only these tests: ``make test PYTEST_ARGS="-m browser"`` (about a minute). They need
``/usr/bin/chromium`` (``apt-get install chromium``); without it they skip, except in CI.

Adding a step
-------------
Add a ``Step`` to ``STEPS`` below, in the runbook's order (``onboarding_helpers.progress.STEPS``).
A step is data:

- ``shows``: panels the notebook draws when its cells run, checked after *Run All*;
- ``actions``: what the officer does, in order:
  ``Type(label, value)`` types into the field whose label is ``label``;
  ``Press(text)`` clicks the button with that visible text;
  ``Choose(option)`` picks the radio option with that label; ``NoField(label)`` checks that the
  form has no such field;
  ``Cleared(label)`` waits until the form has emptied that field (secrets once used);
  ``Copy(label, value)`` presses the copy button of that row and reads the clipboard back;
  ``Shows(kind, title_words, rows=((label, value), ...), text=(...))`` waits for a result panel
  (``runbook-ok`` / ``-error`` / ``-warn`` / ``-info``) drawn after the last click, and takes a
  screenshot of it (``absent=(...)``: text it must not hold); ``Check(what, fn)`` checks files
  the step wrote (``fn(work)`` -> bool).
- values may be literal text or computed when the action runs: ``saved(NAME)`` is the env file's
  value (what the officer copies), ``masked(NAME)`` how the runbook shows a secret,
  ``cut(value, n)`` a value with its last ``n`` characters lost.

Entries whose notebook does not exist yet are left out. A notebook that exists but has no entry
is still walked as a smoke step (opened, run, no traceback, saved, audited) but its form is not
used: give it an entry. Status of the table:

| notebook             | entry | what the walk does and checks                                |
|----------------------|-------|--------------------------------------------------------------|
| 00_start_here        | yes   | store panel: SID shown, token masked, 0600; board: 00 done;  |
|                      |       | Postman v2 chosen in the form, its checklist shown           |
| 01_account_sid       | yes   | malformed SID, wrong token (20003), then OK; token cleared   |
| 02_api_key           | yes   | key name typed, existing keys listed, key created (SK shown) |
| 03_secret_key        | yes   | pair checked with Twilio; secret shown masked only           |
| 04a_buy_phone_number | yes   | numbers on offer; Buy without the tick is refused, no purchase |
| 04_messaging_service | yes   | invalid Sender ID (as typed and on the button), then MG SID  |
| 05_send_test_message | yes   | mobile number typed, test SMS delivered from the Sender ID   |
| 06_postman_handoff   | yes   | no label field (v2); Postman check passed; v2 card: Internal |
|                      |       | Staff, Expected Sender Name, secret masked, no label; copy   |
|                      |       | buttons: Account SID and the secret on the clipboard; report |
|                      |       | (after the walk: Auth Token removed with the form's button)  |

Steps 02-06 were written against the forms as they stood when this walk was written; if a form's
labels or button texts change, change its entry here.
"""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    CredentialStore,
)
from onboarding_helpers.journal import AuthTokenRemoved
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.steps import registry

from ..secret_audit import leaks
from .accessibility import AxeLog
from .conftest import ROOT, Server
from .walk import (
    Check,
    Choose,
    Cleared,
    Copy,
    Desk,
    NoField,
    Press,
    Shows,
    Step,
    Type,
    cut,
    masked,
    saved,
    visible_errors,
)

pytestmark = pytest.mark.browser


def _step_status(name: str):
    step = registry.BY_ID[name]
    return lambda work: ProgressRecord(work.state_dir).read(step).done


def _postman_is(postman: str):
    return lambda work: ProgressRecord(work.state_dir).read(registry.START).postman == postman


def _handoff_for_v2(work) -> bool:
    record = ProgressRecord(work.state_dir).read(registry.HANDOFF)
    return record.postman == "v2" and record.expected_sender_name == "MYAGENCY"


def _token_put_away(work) -> bool:
    """No Auth Token in the env file (mode still 0600), and the journal says it was on purpose."""
    env = work.env_file
    removed = ProgressRecord(work.state_dir).events(AuthTokenRemoved)
    return (
        AUTH_TOKEN not in CredentialStore(env).values()
        and stat.S_IMODE(env.stat().st_mode) == 0o600
        and len(removed) == 1
    )


STEPS: tuple[Step, ...] = (
    Step(
        "00_start_here",
        shows=(
            Shows(
                "info",
                "Credential store",
                rows=(
                    ("permissions", "0o600"),
                    ("TWILIO_ACCOUNT_SID", saved(ACCOUNT_SID)),
                    ("TWILIO_AUTH_TOKEN", masked(AUTH_TOKEN)),
                ),
                shot="store",
            ),
            Shows("info", "Progress", rows=(("00_start_here", "done"),), shot="board"),
        ),
        actions=(
            # The officer uses Postman v2: the checklist and, at 06, the card follow the choice.
            Choose("Postman v2 (Internal SMS), postman.gov.sg"),
            Press("Use this Postman"),
            Shows(
                "info",
                "Postman in use: Postman v2",
                text=("Internal Staff", "Letter of Authorisation", "ACRA BizFile"),
                absent=("onboarding form",),
                shot="postman-v2",
            ),
            Check("step 00 recorded Postman v2", _postman_is("v2")),
        ),
    ),
    Step(
        "01_account_sid",
        actions=(
            # Failure path: the SID lost two characters in the copy.
            Type("Account SID", cut(saved(ACCOUNT_SID), 2)),
            Type("Auth Token", saved(AUTH_TOKEN)),
            Press("Check account"),
            Shows(
                "error",
                "Account SID",
                text=("has 32 characters", "Field to fix: Account SID"),
                shot="malformed-sid",
                docs="lab-01-malformed-account-sid",
            ),
            Cleared("Auth Token"),  # the token is not left in the form, even after a failure
            # Failure path: a token that is not this account's (Twilio answers 20003).
            Type("Account SID", saved(ACCOUNT_SID)),
            Type("Auth Token", "0123456789abcdef0123456789abcdef"),
            Press("Check account"),
            Shows("error", "did not accept", text=("20003",), shot="wrong-token"),
            Cleared("Auth Token"),
            # The officer copies both again, correctly.
            Type("Account SID", saved(ACCOUNT_SID)),
            Type("Auth Token", saved(AUTH_TOKEN)),
            Press("Check account"),
            Shows(
                "ok",
                "Account checked",
                rows=(("Account SID", saved(ACCOUNT_SID)), ("Status", "active"), ("Type", "Full")),
                docs="voila-01-account-checked",  # the Voila walk takes this one
            ),
            Cleared("Auth Token"),
            Check("the progress record says 01 is done", _step_status("01_account_sid")),
        ),
    ),
    Step(
        "02_api_key",
        actions=(
            Type("Key name", "Postman SMS browser walk"),
            Press("Show existing keys"),
            Shows("info", "API keys", shot="existing-keys"),
            Press("Set up API key"),
            Shows(
                "ok",
                "API key created",
                rows=(
                    ("API key SID", saved(API_KEY_SID)),
                    ("Name", "Postman SMS browser walk"),
                ),
            ),
            Check("the progress record says 02 is done", _step_status("02_api_key")),
        ),
    ),
    Step(
        "03_secret_key",
        actions=(
            Press("Check key and secret"),
            Shows(
                "ok",
                "secret work",
                rows=(
                    ("API key SID", saved(API_KEY_SID)),
                    ("API secret", masked(API_KEY_SECRET)),
                    ("Checked with Twilio", "yes"),
                ),
            ),
            Check("the progress record says 03 is done", _step_status("03_secret_key")),
        ),
    ),
    Step(
        "04a_buy_phone_number",
        actions=(
            # The officer looks at what is on offer, then presses Buy without ticking the
            # confirmation: refused, nothing bought (buying itself is covered headless).
            Press("Show available numbers"),
            Shows("info", "No number bought", shot="numbers-on-offer"),
            Press("Buy and add to service"),
            Shows(
                "error",
                "Nothing was bought",
                text=("Field to fix: confirm_purchase",),
                shot="purchase-needs-confirmation",
            ),
        ),
    ),
    Step(
        "04_messaging_service",
        actions=(
            # Failure path: a '#', which Twilio does not accept in a Sender ID. The form warns as
            # the officer types, and the button refuses it before any Twilio call.
            Type("Messaging Service name", "Postman SMS browser walk"),
            Type("Sender ID", "MY#AGENCY"),
            Shows("error", "breaks 1 rule", text=("'#'",), shot="sender-id-as-typed"),
            Press("Set up Messaging Service"),
            Shows(
                "error",
                "Sender ID",
                text=("'#'", "Field to fix: Sender ID"),
                shot="invalid-sender-id",
            ),
            Type("Sender ID", "MYAGENCY"),
            Press("Set up Messaging Service"),
            Shows(
                "ok",
                "Messaging Service ready",
                rows=(
                    ("Messaging Service SID", saved(MESSAGING_SERVICE_SID)),
                    ("Service friendly name", "Postman SMS browser walk"),
                ),
                text=("MYAGENCY",),
            ),
            Check("the progress record says 04 is done", _step_status("04_messaging_service")),
        ),
    ),
    Step(
        "05_send_test_message",
        actions=(
            Type("Your mobile number", "+65 8123 4567"),
            Press("Send test SMS"),
            Shows(
                "ok",
                "Test message delivered",
                rows=(
                    ("Messaging Service", saved(MESSAGING_SERVICE_SID)),
                    ("Registered Sender ID", "MYAGENCY"),
                ),
            ),
            Check("the progress record says 05 is done", _step_status("05_send_test_message")),
        ),
    ),
    Step(
        "06_postman_handoff",
        actions=(
            NoField("Credential label"),  # Postman v2 keeps no label
            Type("Your mobile number", "+65 8123 4567"),
            Press("Check like Postman"),
            # The hand-off card for Postman v2: where each value goes in a campaign, the secret
            # masked, the Sender ID as Expected Sender Name, the number without spaces.
            Shows(
                "ok",
                "Postman-equivalent check passed",
                rows=(
                    ("Channel type", "Internal Staff"),
                    ("Account SID", saved(ACCOUNT_SID)),
                    ("API Key SID", saved(API_KEY_SID)),
                    ("API Secret", masked(API_KEY_SECRET)),
                    ("Messaging Service ID", saved(MESSAGING_SERVICE_SID)),
                    ("Expected Sender Name", "MYAGENCY"),
                    ("Your mobile (as Postman takes it)", "+6581234567"),
                ),
                absent=("Credential label",),
                shot="handoff-card-v2",
            ),
            # The card's copy buttons: a plain value, then the secret, which is copied without
            # being shown (the walk saves the notebook with its widget state afterwards: the
            # audit at the end finds the secret in neither).
            Copy("Account SID", saved(ACCOUNT_SID)),
            Copy("API Secret", saved(API_KEY_SECRET)),
            Shows(
                "info",
                "In Postman v2 (each campaign)",
                text=("Internal Staff", "Expected Sender Name"),
                shot="postman-v2-checklist",
            ),
            Shows("info", "Run report written", shot="report"),
            Check("the progress record says 06 is done", _step_status("06_postman_handoff")),
            Check("the hand-off was made for Postman v2", _handoff_for_v2),
        ),
    ),
)

# After the walk: the officer comes back to 06 and puts the Auth Token away.
PUT_TOKEN_AWAY = Step(
    "06_postman_handoff",
    actions=(
        Press("Remove the Auth Token from the env file"),
        Shows(
            "ok",
            "The Auth Token was removed from the env file",
            rows=((AUTH_TOKEN, "removed"),),
            shot="auth-token-removed",
        ),
        Check("the env file no longer holds the Auth Token", _token_put_away),
    ),
)


def walk_plan(notebooks: Path = ROOT / "notebooks") -> list[Step]:
    """The steps to walk: table entries whose notebook exists, plus smoke steps for the rest."""
    present = {p.stem for p in notebooks.glob("*.ipynb")}
    table = {step.notebook: step for step in STEPS}
    names = [step.id for step in registry.STEPS]
    order = [n for n in names if n in present] + sorted(present - set(names))
    return [table.get(name, Step(name, smoke=True)) for name in order]


PLAN = walk_plan()
# What axe-core checks in JupyterLab: the open notebook's outputs (our panels and forms).
LAB_OUTPUTS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"


class LabWalker:
    """Walks the plan in one JupyterLab page, each step once, in order, whatever test asks."""

    def __init__(self, page, lab: Server, shots: Path) -> None:
        self.page, self.lab = page, lab
        # axe-core checks what the notebook shows (its output areas), not JupyterLab's own parts.
        self.desk = Desk(
            page,
            page.locator("body"),
            lab.work,
            shots,
            "lab",
            axe=AxeLog(shots / "axe-findings.txt"),
            axe_within=(LAB_OUTPUTS,),
        )
        self.outcome: dict[str, str] = {}  # notebook -> "ok" or what went wrong
        self.saved: dict[str, float] = {}  # notebook -> mtime after the walk saved it
        page.goto(lab.link("/lab"))
        page.locator(".jp-DirListing-item").first.wait_for(timeout=60_000)

    def walk_to(self, target: Step) -> None:
        for step in PLAN[: PLAN.index(target) + 1]:
            if step.notebook not in self.outcome:
                try:
                    self.walk(step)
                except BaseException as err:
                    self.outcome[step.notebook] = f"{type(err).__name__}: {err}"[:500]
                    raise
                self.outcome[step.notebook] = "ok"
            elif self.outcome[step.notebook] != "ok":
                pytest.fail(
                    f"an earlier step failed: {step.notebook}: {self.outcome[step.notebook]}"
                )

    def walk(self, step: Step) -> None:
        name = step.notebook
        opened = time.time()
        notebook = self.open(name)
        self.desk.scope = notebook
        self.run_all(notebook, name)
        assert visible_errors(notebook) == [], f"{name}: Run All showed errors"
        for expected in step.shows:
            self.desk.shoot(
                f"{name}-{expected.shot or expected.kind}", self.desk.shows(expected, name)
            )
        buttons = notebook.locator("button.jupyter-button")
        self.desk.shoot(f"{name}-ran", buttons.first if buttons.count() else None)
        self.desk.assert_no_secret_on_page(f"{name}: after Run All")
        self.desk.check_accessible(f"{name}: after Run All")
        for action in step.actions:
            self.desk.do(action, name)
        assert visible_errors(notebook) == [], f"{name}: the form showed errors"
        self.save(name, opened)
        self.close(name)

    def open(self, name: str):
        """Double-click the notebook in the file browser; wait until its kernel is idle."""
        from playwright.sync_api import expect

        page = self.page
        sidebar = page.locator('.jp-SideBar [data-id="filebrowser"]')
        if sidebar.get_attribute("aria-selected") != "true":
            sidebar.click()
        page.locator(".jp-DirListing-item").filter(
            has=page.get_by_text(f"{name}.ipynb", exact=True)
        ).dblclick()
        current = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
        expect(current).to_contain_text(f"{name}.ipynb")
        expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=60_000)
        return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    def run_all(self, notebook, name: str) -> None:
        page = self.page
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        # Done when no cell is queued or running and every cell ran (or one failed).
        page.wait_for_function(
            """(panel) => {
                const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                    .map(e => e.textContent);
                if (prompts.some(p => p.includes('*'))) return false;
                const failed = panel.querySelector(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
                return failed !== null || prompts.every(p => /\\[\\d+\\]/.test(p));
            }""",
            arg=notebook.element_handle(),
            timeout=60_000,
        )

    def save(self, name: str, opened: float) -> None:
        """Ctrl+S, as officers do; wait until the tab is clean and the file is newer."""
        path = self.lab.work.notebooks / f"{name}.ipynb"
        self.page.keyboard.press("Control+s")
        deadline = time.time() + 30
        while time.time() < deadline:
            dirty = self.page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-dirty").count()
            if not dirty and path.stat().st_mtime > opened:
                self.saved[name] = path.stat().st_mtime
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{name}: Ctrl+S did not save {path.name} within 30 s")

    def close(self, name: str) -> None:
        page = self.page
        page.get_by_role("menuitem", name="File", exact=True).click()
        # The menu item's accessible name ends with its shortcut (Alt+W).
        page.get_by_role("menuitem", name=re.compile(r"^Close Tab")).click()
        tabs = page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=f"{name}.ipynb")
        tabs.first.wait_for(state="detached")


@pytest.fixture(scope="module")
def walker(page, lab, screenshots) -> LabWalker:
    return LabWalker(page, lab, screenshots)


@pytest.mark.parametrize("step", PLAN, ids=[s.notebook for s in PLAN])
def test_officer_walks_the_step(walker: LabWalker, step: Step) -> None:
    walker.walk_to(step)


def test_officer_puts_the_auth_token_away_at_the_end(walker: LabWalker, lab: Server) -> None:
    walker.walk_to(PLAN[-1])
    token = lab.work.saved(AUTH_TOKEN)
    walker.walk(PUT_TOKEN_AWAY)
    assert token in lab.work.secrets()  # the audits below still look for it


def test_saved_notebooks_and_work_folder_hold_no_secret(walker: LabWalker, lab: Server) -> None:
    walker.walk_to(PLAN[-1])
    work = lab.work
    secrets = work.secrets()
    assert len(secrets) >= 2  # the audit looks for something real: Auth Token and API secret

    # The files are the ones the walk saved, with the outputs and widgets the officer saw.
    saved_01 = json.loads((work.notebooks / "01_account_sid.ipynb").read_text())
    assert work.saved(ACCOUNT_SID) in json.dumps(saved_01["cells"])
    assert saved_01["metadata"].get("widgets"), "widget state was not saved into the notebook"
    assert set(walker.saved) == {step.notebook for step in PLAN}

    found = leaks(secrets, work.audit_roots(), texts=walker.desk.seen_html)
    assert found == [], f"secrets found in: {found}"
