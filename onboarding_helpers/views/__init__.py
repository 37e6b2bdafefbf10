"""Step results as panels, the same for the headless path and the forms.

Shared panels live here; each step's own panels live in ``views/<step>.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..credentials import CredentialStore
from ..display import Panel, error_panel, show
from ..errors import RunbookError
from ..progress import ProgressRecord
from ..steps.start import PREREQUISITES

T = TypeVar("T")


def store_panel(store: CredentialStore) -> Panel:
    mode = store.mode()
    rows = [("env file", str(store.path)), ("permissions", oct(mode) if mode is not None else "-")]
    rows += store.summary()
    return Panel("info", "Credential store", rows=rows)


def board_panel(progress: ProgressRecord) -> Panel:
    rows = [(r["step"], f"{r['status']:<8} {r['title']}") for r in progress.board()]
    return Panel("info", "Progress", rows=rows)


def prerequisites_panel() -> Panel:
    return Panel(
        "info",
        "Before step 01, the guide's administrative steps must be done:",
        notes=[f"☐ {text}" for _, text in PREREQUISITES],
    )


def run_step(action: Callable[[], T], panel: Callable[[T], Panel]) -> T:
    """Headless: run a step and show its panel; on failure show the advice, then stop the notebook.

    The error raised afterwards carries the same safe message, so papermill and the runner can
    name the step and the fix.
    """
    try:
        result = action()
    except RunbookError as err:
        show(error_panel(err))
        raise
    show(panel(result))
    return result
