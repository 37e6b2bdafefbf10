"""One rule for a test that cannot run here: skip on a developer's machine, fail in CI.

CI (the ``CI`` variable set, as CI services do) installs everything the tests need (.ci/run), so
a missing browser, proxy, uv or package index there is a broken CI set-up, not a reason to pass.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def cannot_run(reason: str) -> NoReturn:
    """Skip with ``reason`` on a developer's machine; fail with it in CI."""
    if in_ci():
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)
