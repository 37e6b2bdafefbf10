"""An officer walks steps 00-06 in Voila with the keyboard alone, at 200% zoom.

No click: Tab and Shift+Tab move between the fields and buttons, Enter or Space presses a button,
and the values are typed. At every stop the element in focus must show that it is (its outline,
shadow, border or background differs from when it is not in focus) and lie wholly on screen. The
page is 640 x 450 CSS pixels at a device scale of 2: a 1280 x 900 window at 200% zoom. At the end,
on the hand-off card, the copy button for the Account SID is pressed with Enter (the clipboard is
read back) and every cell and copy button of the card is checked to be visible, none cut off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SID,
    MESSAGING_SERVICE_SID,
)

from .conftest import PERMISSIONS, VIEWPORT, Server
from .walk import Desk, Shows, saved, settle

pytestmark = pytest.mark.browser

ZOOM = 2  # 200%: the same window shows half as many CSS pixels each way
PHONE = "+6581234567"

# What the element in focus is called (its label, or its text) and how it looks: compared with
# how it looks once focus has moved on.
_DESCRIBE = """(e) => {
    const label = e.getAttribute('aria-label')
        || (e.labels && e.labels.length ? e.labels[0].innerText : '')
        || e.innerText || e.value || '';
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    return {
        name: label.trim().replace(/\\s+/g, ' '),
        tag: e.tagName.toLowerCase(),
        look: [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor,
               s.backgroundColor].join(' | '),
        box: [r.left, r.top, r.right, r.bottom],
        screen: [innerWidth, innerHeight],
    };
}"""


@pytest.fixture(scope="module")
def zoomed(browser) -> Iterator[object]:
    """A page as a 1280 x 900 window shows it at 200% zoom."""
    size = {"width": VIEWPORT["width"] // ZOOM, "height": VIEWPORT["height"] // ZOOM}
    context = browser.new_context(viewport=size, device_scale_factor=ZOOM, permissions=PERMISSIONS)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


class KeyboardOnly:
    """Moves through a page with Tab and Shift+Tab, checking each stop as it goes."""

    def __init__(self, page, shots: Path) -> None:
        self.page, self.shots, self.stops = page, shots, 0
        self.path: list[str] = []  # every stop's name, for the failure message
        self.compared = 0  # stops whose look in focus and out of it were compared

    def _here(self) -> dict:
        return self.page.evaluate(f"({_DESCRIBE})(document.activeElement)")

    def _step(self, key: str) -> dict:
        """Press ``key``; check that the element left shows a different look than in focus."""
        before = self.page.evaluate(
            f"""(n) => {{ const e = document.activeElement;
                if (!e || e === document.body) return null;
                e.dataset.kbStop = n; return ({_DESCRIBE})(e); }}""",
            self.stops,
        )
        self.page.keyboard.press(key)
        if before is not None:
            after = self.page.evaluate(
                f"""(n) => {{ const e = document.querySelector(`[data-kb-stop="${{n}}"]`);
                    return e && e !== document.activeElement ? ({_DESCRIBE})(e) : null; }}""",
                self.stops,
            )
            if after is not None:
                self.compared += 1
                assert after["look"] != before["look"], (
                    f"no visible focus on {before['tag']} {before['name']!r}: it looks the same"
                    f" in focus and out of it ({before['look']})"
                )
        self.stops += 1
        here = self._here()
        self.path.append(f"{here['tag']}:{here['name'][:40]}")
        return here

    def tab_to(self, name: str, backwards: bool = False, limit: int = 60) -> None:
        """Tab (Shift+Tab) until the element named ``name`` has focus; it must be on screen."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            here = self._step(key)
            if here["name"] == name:
                left, top, right, bottom = here["box"]
                width, height = here["screen"]
                assert left >= 0 and top >= 0 and right <= width and bottom <= height, (
                    f"{name!r} has focus but is not wholly on screen: {here['box']} in {width}"
                    f" x {height}"
                )
                return
        raise AssertionError(f"{key} never reached {name!r}; stops: {self.path[-limit:]}")

    def back(self) -> str:
        """Shift+Tab once; the name of what then has focus."""
        return str(self._step("Shift+Tab")["name"])

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.page.wait_for_timeout(500)  # the field's last update reaches the kernel first

    def press(self, key: str) -> None:
        assert key in ("Enter", "Space"), key
        self.page.keyboard.press(key)


def assert_not_cut_off(page, selector: str, where: str) -> int:
    """Every element ``selector`` matches can be scrolled wholly into view and is not hidden
    by a box that clips it (the point at its right edge is the element's own); returns how
    many were checked."""
    found = page.locator(selector)
    count = found.count()
    for i in range(count):
        element = found.nth(i)
        element.scroll_into_view_if_needed()
        seen = element.evaluate(
            """(e) => { const r = e.getBoundingClientRect();
                const x = r.right - 2, y = (r.top + r.bottom) / 2;
                const hit = document.elementFromPoint(x, y);
                return { inside: r.left >= 0 && r.right <= innerWidth,
                         own: !!hit && (hit === e || e.contains(hit)), text: e.innerText }; }"""
        )
        assert seen["inside"] and seen["own"], f"{where}: cut off at 200% zoom: {seen['text']!r}"
    return count


def _open(page, voila: Server, name: str) -> None:
    page.goto(voila.link(f"/voila/render/{name}.ipynb"), timeout=60_000)
    page.locator("button.jupyter-button").first.wait_for(timeout=60_000)
    settle(page)  # every field and button drawn before the first Tab
    page.locator("body").focus()  # the walk starts at the top of the page


def test_officer_walks_00_to_06_by_keyboard_alone_at_200_percent(
    zoomed, voila: Server, screenshots
) -> None:
    page, work = zoomed, voila.work
    desk = Desk(page, page.locator("body"), work, screenshots, "keyboard")
    keys = KeyboardOnly(page, screenshots)

    _open(page, voila, "00_start_here")
    keys.tab_to("Use this Postman")
    assert keys.back() != "Use this Postman"  # Shift+Tab: back to the choice above it
    keys.tab_to("Use this Postman")
    keys.press("Space")
    desk.shows(Shows("info", "Postman in use"), "00", timeout=60_000)
    desk.shoot("00-chosen")

    _open(page, voila, "01_account_sid")
    keys.tab_to("Account SID")  # filled in from the env file step 00 wrote
    keys.tab_to("Auth Token")  # empty: the saved one
    keys.tab_to("Check account")
    keys.press("Enter")
    desk.shows(Shows("ok", "Account checked"), "01", timeout=60_000)

    _open(page, voila, "02_api_key")
    keys.tab_to("Set up API key")
    keys.press("Enter")
    desk.shows(
        Shows("ok", "API key created", rows=(("API key SID", saved(API_KEY_SID)),)),
        "02",
    )

    _open(page, voila, "03_secret_key")
    keys.tab_to("Check key and secret")
    keys.press("Space")
    desk.shows(Shows("ok", "secret work"), "03")

    _open(page, voila, "04_messaging_service")
    keys.tab_to("Sender ID")
    if not page.evaluate("document.activeElement.value"):
        keys.type("MYAGENCY")
    keys.tab_to("Set up Messaging Service")
    keys.press("Enter")
    desk.shows(Shows("ok", "Messaging Service ready"), "04", timeout=60_000)

    _open(page, voila, "05_send_test_message")
    keys.tab_to("Your mobile number")
    keys.type(PHONE)
    keys.tab_to("Send test SMS")
    keys.press("Enter")
    desk.shows(Shows("ok", "Test message delivered"), "05", timeout=90_000)

    _open(page, voila, "06_postman_handoff")
    keys.tab_to("Your mobile number")
    keys.type(PHONE)
    keys.tab_to("Check like Postman")
    keys.press("Enter")
    rows = (
        ("Account SID", saved(ACCOUNT_SID)),
        ("Messaging Service ID", saved(MESSAGING_SERVICE_SID)),
    )
    card = desk.shows(Shows("ok", "Postman-equivalent check passed", rows=rows), "06", 90_000)
    keys.tab_to("Copy Account SID")
    keys.press("Enter")
    said = card.locator("tr", has_text="Account SID").locator(".runbook-copy-said")
    said.wait_for()
    page.wait_for_function("e => e.textContent.startsWith('Copied')", arg=said.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == work.saved(ACCOUNT_SID)
    desk.shoot("06-card-copied", card)

    where = "the hand-off card"
    cells = assert_not_cut_off(page, ".runbook-ok:not([data-walk-stale]) td, .runbook-copy", where)
    assert cells >= 2 * 6, f"{where}: only {cells} cells and buttons checked"
    assert keys.compared >= 15, f"only {keys.compared} focus stops compared: {keys.path}"
    print(f"{keys.compared} focus stops checked: {keys.path}")
