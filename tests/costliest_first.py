"""A pytest plugin: the test modules that cost most are collected first.

``make test`` spreads whole modules over pytest-xdist workers (``--dist loadfile``), handing each
worker the next module in the queue as it runs short of work. xdist's own queue order puts the
modules with the most tests first (``--loadscope-reorder``, its default), which puts the browser
and hub walks, a minute of wall time in one or two tests, at the end: one of them could still be
running alone long after the other workers had finished. With ``--no-loadscope-reorder`` the
queue keeps the collection's order, and this plugin makes that order costliest first, so the walks
start at once and the hundreds of quick modules fill in around them.

The cost is read from the markers pytest.ini declares, not from a list of durations to keep up
to date: a class hub, then a browser, then a notebook run in a kernel, then the rest (in-process);
within one kind, the module with more tests first. Each module keeps its own order of tests.
"""

from __future__ import annotations

import pytest

# Costliest first; a module's kind is that of its costliest test.
KINDS = ("hub", "browser", "notebook")


def kind_rank(item: pytest.Item) -> int:
    """0 for a hub test, 1 for a browser test, 2 for a notebook test, 3 for the rest."""
    names = {mark.name for mark in item.iter_markers()}
    return next((rank for rank, kind in enumerate(KINDS) if kind in names), len(KINDS))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ordered = sorted(modules.values(), key=lambda tests: (min(map(kind_rank, tests)), -len(tests)))
    items[:] = [item for tests in ordered for item in tests]
