"""How the browser tests act as an officer: the actions a step is made of, and how each is done.

A step of the walk is data (the table is ``STEPS`` in ``test_lab_walk.py``): the notebook, what
its cells show once run, and the officer's actions on its form. ``Desk`` carries out actions in
one page region: the open notebook in JupyterLab, or the whole page in Voila.

Every check waits (Playwright's auto-waiting) and then asserts, so a button that does nothing
fails its ``Shows`` with a timeout naming the panel it expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from onboarding_helpers.credentials import mask

from .accessibility import AxeLog, assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


class Values(Protocol):
    def saved(self, name: str) -> str: ...

    def secrets(self) -> list[str]: ...


# A value to type or to expect: literal text, or computed when the action runs.
Value = str | Callable[[Values], str]


def saved(name: str) -> Callable[[Values], str]:
    """The env file's value of ``name`` when the action runs (what the officer copies)."""
    return lambda work: work.saved(name)


def masked(name: str) -> Callable[[Values], str]:
    """How the runbook shows the secret ``name``: masked, last four characters only."""
    return lambda work: mask(work.saved(name))


def cut(value: Value, chars: int) -> Callable[[Values], str]:
    """``value`` with its last ``chars`` characters lost, as in a careless copy."""
    return lambda work: resolve(value, work)[:-chars]


def resolve(value: Value, work: Values) -> str:
    return value if isinstance(value, str) else value(work)


@dataclass(frozen=True)
class Type:
    """Type ``value`` into the form field labelled ``field``, replacing its text (a password
    field key by key, other fields pasted)."""

    field: str
    value: Value


@dataclass(frozen=True)
class Press:
    """Click the button whose visible text is ``button``."""

    button: str


@dataclass(frozen=True)
class Choose:
    """Pick the radio option whose label is ``option`` (e.g. which Postman)."""

    option: str


@dataclass(frozen=True)
class NoField:
    """The form has no field labelled ``field`` (e.g. Postman v2 has no credential label)."""

    field: str


@dataclass(frozen=True)
class Cleared:
    """The form emptied the field ``field`` (e.g. a secret once it has been used)."""

    field: str


@dataclass(frozen=True)
class Shows:
    """A result panel is visible: kind ok|error|warn|info, words of its title, rows, text.

    After a ``Press`` only panels drawn after the click count, so a stale panel from an earlier
    click never satisfies it.
    """

    kind: str
    title: str
    rows: tuple[tuple[str, Value], ...] = ()
    text: tuple[Value, ...] = ()
    shot: str = ""  # screenshot name; empty: named after the kind
    absent: tuple[str, ...] = ()  # text the panel must not hold (e.g. a row another case has)
    # Also the README's picture docs/screenshots/<docs>.png (BROWSER_TESTS_DOCS=1), taken by the
    # walk whose prefix it starts with ("lab-...", "voila-..."): the walks share their steps.
    docs: str = ""


@dataclass(frozen=True)
class Copy:
    """Press the copy button in the row labelled ``label`` of the last panel that has one; the
    clipboard must then hold ``value`` (compared, never printed: it may be a secret), and the
    page must not."""

    label: str
    value: Value


@dataclass(frozen=True)
class Check:
    """A check outside the browser, e.g. on the files the step wrote."""

    what: str
    holds: Callable[[Any], bool]  # gets the WorkFolder


Action = Type | Press | Choose | NoField | Shows | Cleared | Copy | Check


@dataclass(frozen=True)
class Step:
    """One notebook of the walk: what Run All shows, then the officer's actions in order."""

    notebook: str  # file stem in notebooks/, e.g. "01_account_sid"
    shows: tuple[Shows, ...] = ()
    actions: tuple[Action, ...] = ()
    smoke: bool = False  # made up for a notebook that has no entry in the table yet


@dataclass
class Desk:
    """Where the officer works: a page, the region of it that holds the notebook, the folder."""

    page: Page
    scope: Locator
    work: Values
    shots: Path
    prefix: str
    taken: list[Path] = field(default_factory=list)
    seen_html: list[str] = field(default_factory=list)
    # axe-core after every panel and copy (accessibility.py): its findings file, and the parts of
    # the page it checks (empty: the whole page, as in Voila; JupyterLab: the notebook's outputs).
    axe: AxeLog | None = None
    axe_within: tuple[str, ...] = ()

    def check_accessible(self, state: str) -> None:
        """axe's WCAG A/AA rules on the page as it is now, when this desk checks them."""
        if self.axe is not None:
            assert_accessible(self.page, f"{self.prefix} {state}", self.axe_within, self.axe)

    def shoot(self, name: str, target: Locator | None = None) -> Path:
        if target is not None:
            try:
                target.scroll_into_view_if_needed(timeout=5_000)
            except Exception as err:
                raise AssertionError(f"{name}: the panel was shown, then disappeared") from err
        path = self.shots / f"{self.prefix}-{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        self.taken.append(path)
        return path

    def assert_no_secret_on_page(self, where: str) -> None:
        """The page's HTML (inputs' typed values aside) must not hold a secret from the env file."""
        html = self.page.content()
        self.seen_html.append(html)
        shown = [s for s in self.work.secrets() if s in html]
        assert not shown, f"{where}: a secret from the env file is visible on the page"

    def field(self, label: str) -> Locator:
        return self.scope.get_by_label(label, exact=True)

    def do(self, action: Action, step: str) -> None:
        if isinstance(action, Type):
            box = self.field(action.field)
            value = resolve(action.value, self.work)
            if box.get_attribute("type") == "password":
                # A secret field (the forms' SecretRow) keeps what is typed in the page until a
                # press carries it: typed key by key, as officers type, nothing can overtake it.
                box.fill("")
                box.press_sequentially(value)
            else:
                # Pasted, as officers copy values from Twilio's console: one input event. Typed
                # key by key, ipywidgets buffers the updates while the kernel is busy and a
                # click's message can overtake the last of them.
                box.fill(value)
            # Compared outside the assert: pytest, like expect(), would print a typed secret.
            same = box.input_value() == value
            assert same, f"{step}: {action.field}: the typing was garbled"
        elif isinstance(action, Press):
            self._press(action.button, step)
        elif isinstance(action, Choose):
            self.scope.get_by_label(action.option, exact=True).check()
        elif isinstance(action, NoField):
            found = self.scope.get_by_label(action.field, exact=True).count()
            assert found == 0, f"{step}: the form shows a {action.field!r} field"
        elif isinstance(action, Shows):
            panel = self.shows(action, step)
            self.shoot(f"{step}-{action.shot or action.kind}", panel)
            self.check_accessible(f"{step}: {action.kind} panel {action.title!r}")
            if action.docs.startswith(f"{self.prefix}-"):
                self.document(action.docs)
        elif isinstance(action, Cleared):
            box = self.field(action.field)
            for _ in range(300):  # up to 30 s: a busy machine (pytest -n) answers late
                if box.input_value() == "":
                    break
                self.page.wait_for_timeout(100)
            assert box.input_value() == "", f"{step}: the form left {action.field} filled in"
        elif isinstance(action, Copy):
            self.copy(action, step)
        elif isinstance(action, Check):
            assert action.holds(self.work), f"{step}: {action.what}"
        else:  # pragma: no cover - a new action type without an executor
            raise TypeError(f"unknown action {action!r}")

    def _press(self, button: str, step: str) -> None:
        # Panels already on the page cannot satisfy the next Shows: mark them.
        self.scope.locator(".runbook-panel").evaluate_all(
            "els => els.forEach(e => e.setAttribute('data-walk-stale', '1'))"
        )
        # Not get_by_role: the icon font's glyph (CSS ::before) is part of the accessible name.
        exact = re.compile(rf"^\s*{re.escape(button)}\s*$")
        self.scope.locator("button").filter(has_text=exact).click()

    def shows(self, expected: Shows, step: str, timeout: float = 30_000) -> Locator:
        """Wait for the panel, then check its rows and text; return it."""
        from playwright.sync_api import expect

        panels = self.scope.locator(f".runbook-{expected.kind}:not([data-walk-stale])")
        panel = panels.filter(has_text=expected.title).last
        try:
            panel.wait_for(state="visible", timeout=timeout)
        except Exception as err:
            visible = self.scope.locator(".runbook-panel:not([data-walk-stale])").all_inner_texts()
            raise AssertionError(
                f"{step}: no {expected.kind} panel titled like {expected.title!r} appeared;"
                f" new panels on the page: {visible or 'none'}"
            ) from err
        try:
            for label, value in expected.rows:
                row = panel.locator("tr").filter(
                    has=self.page.locator("th").get_by_text(label, exact=True)
                )
                # A list: one of the row's cells holds it (a row may have several).
                expect(row.locator("td")).to_contain_text([resolve(value, self.work)])
            for text in expected.text:
                expect(panel).to_contain_text(resolve(text, self.work))
            for text in expected.absent:
                expect(panel).not_to_contain_text(text)
        except AssertionError:
            if not panel.count():
                raise AssertionError(
                    f"{step}: the {expected.kind} panel {expected.title!r} appeared, then"
                    " vanished before it could be read (the officer would see nothing)"
                ) from None
            raise
        if panel.locator("table").count():
            self.assert_left_aligned(panel, f"{step}: {expected.title}")
        self.assert_no_secret_on_page(f"{step}: {expected.title}")
        return panel

    def copy(self, action: Copy, step: str) -> None:
        """Press a copy button and read the clipboard back."""
        from playwright.sync_api import expect

        label = self.page.locator("th").get_by_text(action.label, exact=True)
        row = (
            self.scope.locator("tr")
            .filter(has=label)
            .filter(has=self.page.locator("button.runbook-copy"))
        )
        row = row.last
        said = row.locator(".runbook-copy-said")
        said.evaluate("e => { e.textContent = '' }")
        row.locator("button.runbook-copy").click()
        expect(said).to_contain_text("opied")  # "Copied ..." or "Not copied: why"
        # It says what it copied (read out by screen readers: the span is a status).
        said_text = said.inner_text()
        assert said_text.startswith(f"Copied {action.label}"), f"{step}: {said_text}"
        held = self.page.evaluate("navigator.clipboard.readText()")
        # Compared here, not with expect(): its message would print a secret.
        assert held == resolve(action.value, self.work), f"{step}: {action.label} copied wrong"
        self.assert_no_secret_on_page(f"{step}: after copying {action.label}")
        self.page.evaluate("navigator.clipboard.writeText('')")
        self.check_accessible(f"{step}: {action.label} copied")

    def assert_left_aligned(self, panel: Locator, where: str) -> int:
        """Every header and value cell of the panel reads from the left (the theme's CSS says
        right), and its tables start at the left edge; returns how many cells were checked."""
        found = panel.evaluate(
            """(el) => [...el.querySelectorAll('th, td')].map(c => getComputedStyle(c).textAlign)
                .concat([...el.querySelectorAll('table')].map(t => 'margin:'
                    + getComputedStyle(t).marginLeft))"""
        )
        cells = [f for f in found if not f.startswith("margin:")]
        assert cells, f"{where}: the panel has no table"
        assert set(cells) == {"left"}, f"{where}: cells aligned {sorted(set(cells))}"
        assert set(found) - set(cells) == {"margin:0px"}, f"{where}: a table is not at the left"
        return len(cells)

    def document(self, name: str, target: Locator | None = None) -> Path | None:
        """A README picture (docs/screenshots/NAME.png) when BROWSER_TESTS_DOCS=1: the element
        ``target``, else the whole page."""
        from .conftest import DOCS_SCREENSHOTS, WRITE_DOCS

        if not WRITE_DOCS:
            return None
        path = DOCS_SCREENSHOTS / f"{name}.png"
        if target is None:
            self.page.screenshot(path=str(path))
        else:
            target.scroll_into_view_if_needed()
            target.screenshot(path=str(path))
        return path


def visible_errors(scope: Locator) -> list[str]:
    """Tracebacks and stderr output in a JupyterLab notebook (what an officer must never see)."""
    stderr = scope.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    return [re.sub(r"\s+", " ", t)[:300] for t in stderr.all_inner_texts()]


def settle(page: Page, quiet_ms: int = 1000, timeout_ms: int = 30_000) -> None:
    """Wait until the page stops changing: Voila has run every cell (its loading screen is gone)
    and the widgets have drawn themselves (each draws when its script has loaded, after the
    first one shows), so that a check sees the whole form."""
    page.wait_for_function(
        """(quiet) => {
            if (document.getElementById('loading')) return false;
            const now = document.body.getElementsByTagName('*').length;
            const last = window.__settle;
            if (!last || last.count !== now) {
                window.__settle = { count: now, since: Date.now() };
                return false;
            }
            return Date.now() - last.since >= quiet;
        }""",
        arg=quiet_ms,
        polling=200,
        timeout=timeout_ms,
    )
