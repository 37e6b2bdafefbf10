"""Step results as panels, the same for the headless path and the forms.

Shared panels live in ``display``; each step's own panels live in ``views/<step>.py``."""

from __future__ import annotations

from ..display import Panel, board_panel, run_step, store_panel
from ..steps.start import PREREQUISITES

__all__ = ["board_panel", "prerequisites_panel", "run_step", "store_panel"]


def prerequisites_panel() -> Panel:
    return Panel(
        "info",
        "Before step 01, the guide's administrative steps must be done:",
        notes=[f"☐ {text}" for _, text in PREREQUISITES],
    )
