"""Accessibility checks in the browser tests: axe-core, run on a page as the officer sees it.

``assert_accessible(page, state)`` injects axe-core (``axe/``: npm's package at the version and
hash of ``axe/package-lock.json``, installed by ``make test``; its ``axe.min.js`` checked against
the sha256 pinned here), runs the WCAG 2.0 and 2.1 level A and AA rules on the page, or on the
parts of it ``within`` names, and fails on any serious or critical violation, printing for each
the rule, the elements and the fix. Every finding, moderate and minor ones too, is also written
to the module's findings file (``AxeLog``) beside its screenshots.

Without axe-core installed the checks skip, except in CI (``CI`` set), where they fail saying
how to install it.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_FOLDER = Path(__file__).resolve().parent / "axe"
AXE_FILE = AXE_FOLDER / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
# axe.min.js of 4.14.1, as axe-core's own sri-history.json records it (sha256, hex): npm ci checks
# the package's tarball against the lock; this checks the one file the tests put into pages.
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING = ("critical", "serious")
INSTALL = f"make test installs it; by hand: cd {AXE_FOLDER} && npm ci --ignore-scripts"


@functools.cache
def _checked_source(path: Path) -> str | None:
    """axe.min.js at ``path``, after its hash is checked (once per file); None when it is not
    installed."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        pytest.fail(
            f"{path} is not axe-core {AXE_VERSION} as pinned (sha256 {digest}): delete"
            f" {AXE_FOLDER / 'node_modules'} and reinstall ({INSTALL})"
        )
    return data.decode("utf-8")


def axe_source() -> str:
    """The pinned axe-core script; skips the test without it (fails it in CI)."""
    source = _checked_source(AXE_FILE)
    if source is None:
        reason = f"axe-core is not installed at {AXE_FILE}: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(f"accessibility checks must run in CI: {reason}")
        pytest.skip(reason)
    return source


@dataclass
class AxeLog:
    """Where a module's findings go, state by state (every impact), and what was checked."""

    path: Path
    states: list[str] = field(default_factory=list)

    def write(self, audit: Audit) -> None:
        self.states.append(audit.state)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(audit.report(everything=True) + "\n")


@dataclass(frozen=True)
class Audit:
    """axe's violations for one state of one page."""

    state: str
    violations: tuple[dict[str, Any], ...]
    checked: int  # elements axe looked at (passes and violations): 0 means an empty scope
    # What axe could not decide by itself ("needs review"), e.g. a contrast over an image.
    incomplete: tuple[dict[str, Any], ...] = ()

    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v.get("impact") in BLOCKING]

    def report(self, everything: bool = False) -> str:
        shown = self.violations if everything else tuple(self.blocking())
        review = [
            f"  needs review: {v['id']} on {' '.join(str(t) for t in n['target'])}:"
            f" {' '.join(n.get('failureSummary', '').split())[:200]}"
            for v in (self.incomplete if everything else ())
            for n in v["nodes"]
        ]
        if not shown:
            return "\n".join([f"{self.state}: no violations", *review])
        lines = [f"{self.state}: {len(shown)} rule(s) violated"]
        for v in shown:
            lines.append(f"  [{v.get('impact')}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:5]:
                target = " ".join(str(t) for t in node["target"])
                fix = " ".join(node.get("failureSummary", "").split())
                lines.append(f"    element {target}: {node['html'][:160]}")
                lines.append(f"      fix: {fix[:400]}")
            if len(v["nodes"]) > 5:
                lines.append(f"    ... and {len(v['nodes']) - 5} more element(s)")
        return "\n".join(lines + review)


# How much taller the page must be to show every scroll box's content at once (Voila scrolls in
# #rendered_cells, JupyterLab in the notebook's panel): what is scrolled out of a box is not
# "on screen" for axe, which then skips its contrast.
_HIDDEN_BY_SCROLLING = """() => Math.max(0, ...[...document.querySelectorAll('*')]
    .filter(e => /auto|scroll/.test(getComputedStyle(e).overflowY))
    .map(e => e.scrollHeight - e.clientHeight))"""
TALLEST = 20_000  # CSS pixels: well past the longest notebook


def _everything_in_view(page: Page) -> dict[str, int] | None:
    """Make the viewport tall enough that nothing is scrolled out of view; the old size, to put
    back (None: nothing was hidden)."""
    size = page.viewport_size
    hidden = page.evaluate(_HIDDEN_BY_SCROLLING)
    if not size or hidden <= 0:
        return None
    height = size["height"]
    for _ in range(4):  # the page may lay itself out again at the new size
        height = min(height + hidden + 50, TALLEST)
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(200)
        hidden = page.evaluate(_HIDDEN_BY_SCROLLING)
        if hidden <= 0 or height >= TALLEST:
            break
    return size


# JupyterLab's <body> is 0 px tall (all it holds is positioned) with overflow:hidden, which axe
# takes for a clip of everything in the page: it then checks no contrast at all. While axe runs,
# <body> is as tall as the viewport (what it clips anyway, as the viewport's overflow): nothing
# on the page moves.
_BODY_TO_VIEWPORT = """() => {
    const body = document.body;
    if (getComputedStyle(body).overflow !== 'hidden' || body.getBoundingClientRect().height > 0)
        return false;
    body.style.height = '100vh';
    return true;
}"""
_BODY_BACK = "() => document.body.style.removeProperty('height')"


def run_axe(page: Page, state: str, within: tuple[str, ...] = ()) -> Audit:
    """axe's WCAG 2.0/2.1 A and AA rules on the page, or on the elements ``within`` selects,
    with the whole page in view."""
    old_size = _everything_in_view(page)
    body_grown = page.evaluate(_BODY_TO_VIEWPORT)
    try:
        return _run_axe(page, state, within)
    finally:
        if body_grown:
            page.evaluate(_BODY_BACK)
        if old_size:
            page.set_viewport_size(old_size)


def _run_axe(page: Page, state: str, within: tuple[str, ...]) -> Audit:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # through the DevTools protocol: a page's CSP allows it
        version = page.evaluate("() => window.axe.version")
        assert version == AXE_VERSION, f"axe-core {version} ran, not {AXE_VERSION}"
    if within:
        found = page.evaluate("s => s.some(q => document.querySelector(q))", list(within))
        assert found, f"{state}: nothing on the page matches {within} to check"
    context = {"include": [[s] for s in within]} if within else None
    options = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}}
    result = page.evaluate(
        """([context, options]) => axe.run(context || document, options).then(r => ({
            violations: r.violations,
            incomplete: r.incomplete,
            checked: r.passes.reduce((n, p) => n + p.nodes.length, 0)
                + r.violations.reduce((n, v) => n + v.nodes.length, 0),
        }))""",
        [context, options],
    )
    return Audit(
        state, tuple(result["violations"]), int(result["checked"]), tuple(result["incomplete"])
    )


def assert_accessible(
    page: Page, state: str, within: tuple[str, ...] = (), log: AxeLog | None = None
) -> Audit:
    """Run axe (``run_axe``); fail on any serious or critical violation, naming each."""
    audit = run_axe(page, state, within)
    if log is not None:
        log.write(audit)
    assert audit.checked, f"{state}: axe found nothing to check"
    assert not audit.blocking(), audit.report()
    return audit
