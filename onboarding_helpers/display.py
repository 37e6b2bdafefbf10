"""How results and errors look in a notebook: small HTML panels with a plain-text twin.

The plain text is what papermill logs and terminals show; the HTML is what JupyterLab and Voila
show.
Nothing here ever receives a secret unmasked.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from .errors import RunbookError

if TYPE_CHECKING:
    from .credentials import CredentialStore
    from .progress import ProgressRecord

T = TypeVar("T")

_COLOURS = {"ok": "#1e7e34", "error": "#b00020", "warn": "#8a6d00", "info": "#0b5394"}
_ICONS = {"ok": "✔", "error": "✖", "warn": "!", "info": "i"}


class Panel:
    """A titled box of rows; displays as HTML in notebooks and as text elsewhere."""

    def __init__(
        self,
        kind: str,
        title: str,
        rows: Iterable[tuple[str, str]] = (),
        notes: Iterable[str] = (),
    ) -> None:
        self.kind = kind
        self.title = title
        self.rows = list(rows)
        self.notes = list(notes)

    def __str__(self) -> str:
        lines = [f"[{_ICONS[self.kind]}] {self.title}"]
        width = max((len(k) for k, _ in self.rows), default=0)
        lines += [f"    {k:<{width}}  {v}" for k, v in self.rows]
        lines += [f"    {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.kind]
        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
            f"<td><code>{html.escape(v)}</code></td></tr>"
            for k, v in self.rows
        )
        notes = "".join(f"<p style='margin:4px 0'>{html.escape(n)}</p>" for n in self.notes)
        return (
            f"<div class='runbook-panel runbook-{self.kind}' style='border-left:4px solid {colour};"
            f"padding:6px 12px;margin:6px 0'>"
            f"<strong style='color:{colour}'>{_ICONS[self.kind]} {html.escape(self.title)}</strong>"
            f"<table style='margin-top:4px'>{rows}</table>{notes}</div>"
        )


def error_panel(err: RunbookError) -> Panel:
    """An error as the officer should see it: what happened, which field, what to do."""
    notes = []
    if err.field:
        notes.append(f"Field to fix: {err.field}")
    if err.advice:
        notes.append(f"What to do: {err.advice}")
    more = getattr(err, "more_info", None)
    if more:
        notes.append(f"Twilio's page on this error: {more}")
    return Panel("error", err.message, notes=notes)


def show(obj: object) -> None:
    """Display in a notebook (HTML + text), or print outside one."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
            return
    except ImportError:
        pass
    print(obj)


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


def store_panel(store: CredentialStore) -> Panel:
    """Where the credentials are kept, its permissions, and each value (secrets masked)."""
    mode = store.mode()
    rows = [("env file", str(store.path)), ("permissions", oct(mode) if mode is not None else "-")]
    rows += store.summary()
    return Panel("info", "Credential store", rows=rows)


def board_panel(progress: ProgressRecord) -> Panel:
    rows = [(r["step"], f"{r['status']:<8} {r['title']}") for r in progress.board()]
    return Panel("info", "Progress", rows=rows)
