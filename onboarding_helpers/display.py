"""How results and errors look in a notebook: small HTML panels with a plain-text twin.

The plain text is what papermill logs and terminals show; the HTML is what JupyterLab and Voila
show. Every style is inline: JupyterLab strips ``<style>`` elements from outputs, and its
stylesheet (Voila's too) right-aligns table cells and centres tables.
Nothing here ever receives a secret unmasked.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .errors import RunbookError

if TYPE_CHECKING:
    from .credentials import CredentialStore
    from .progress import ProgressRecord

T = TypeVar("T")

_COLOURS = {
    "ok": "#1e7e34",
    "error": "#b00020",
    "warn": "#8a6100",
    "info": "#0b5394",
    "muted": "#5f6368",
}
_ICONS = {"ok": "✔", "error": "✖", "warn": "!", "info": "i", "muted": "○"}
# What a panel's icon means, for screen readers (the icon itself is hidden from them): the kind
# of a panel never rests on its colour alone.
_WORDS = {"ok": "Done:", "error": "Error:", "warn": "Warning:", "info": "Note:", "muted": "Note:"}
# An error is announced the moment it appears (alert); any other result politely (status).
_ROLES = {"error": "alert"}
# Read by screen readers, not shown (the usual visually-hidden style, inline: see above).
_UNSEEN = (
    "position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;"
    "clip:rect(0,0,0,0);white-space:nowrap;border:0"
)
# Left- and top-aligned, in the page's own font, whatever the theme's table style says.
_CELL = (
    "text-align:left;vertical-align:top;padding:2px 16px 2px 0;border:none;"
    "font-family:inherit;white-space:normal;background:none"
)
_HEAD = _CELL + ";font-weight:600;border-bottom:1px solid #c8c8c8"
_TABLE = "border-collapse:collapse;margin:4px 0 0 0;border:none;table-layout:auto;width:auto"


@dataclass(frozen=True)
class Badge:
    """A status in a table cell: icon and colour in HTML, icon and word in text. The word is
    always there, so the status reads without colour, and in a terminal."""

    kind: str  # ok | error | warn | info | muted
    word: str
    icon: str = ""  # empty: the kind's own icon

    def __str__(self) -> str:
        return f"{self.icon or _ICONS[self.kind]} {self.word}"

    def html(self) -> str:
        return (
            f"<span class='runbook-badge runbook-badge-{self.kind}' style='color:"
            f"{_COLOURS[self.kind]};font-weight:600;white-space:nowrap'>{html.escape(str(self))}"
            "</span>"
        )


Cell = str | Badge


def _cell_html(cell: Cell) -> str:
    return cell.html() if isinstance(cell, Badge) else html.escape(str(cell))


def _text_table(table: list[tuple[Cell, ...]]) -> list[str]:
    """Rows as aligned text columns; the last cell of a row is not padded."""
    count = max((len(r) for r in table), default=0)
    widths = [0] * count
    for row in table:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(str(cell)))
    lines = []
    for row in table:
        cells = [f"{cell!s:<{widths[i]}}" for i, cell in enumerate(row[:-1])]
        lines.append("    " + "  ".join([*cells, str(row[-1])]))
    return lines


class Panel:
    """A titled box of rows; displays as HTML in notebooks and as text elsewhere.

    A row is a label and one or more cells. ``columns`` names them in a header row; without it
    each row's label is its header, as in a list of names and values. ``live`` marks a passing
    status (a message on its way): ``show`` prints it as one line, which papermill, and the
    headless runner with it, pass on as it happens.
    """

    def __init__(
        self,
        kind: str,
        title: str,
        rows: Iterable[Sequence[Cell]] = (),
        notes: Iterable[str] = (),
        columns: Sequence[str] = (),
        live: bool = False,
    ) -> None:
        self.kind = kind
        self.title = title
        self.rows = [tuple(r) for r in rows]
        self.notes = list(notes)
        self.columns = tuple(columns)
        self.live = live

    def __str__(self) -> str:
        lines = [f"[{_ICONS[self.kind]}] {self.title}"]
        if self.rows:
            lines += _text_table([self.columns, *self.rows] if self.columns else self.rows)
        lines += [f"    {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, extra: Mapping[str, str] | None = None, extra_column: str = "") -> str:
        """The panel as HTML. ``extra`` adds a last cell (raw HTML, e.g. a copy button) to the
        rows whose label it names, under the header ``extra_column``."""
        colour = _COLOURS[self.kind]
        notes = "".join(f"<p style='margin:4px 0'>{html.escape(n)}</p>" for n in self.notes)
        role = _ROLES.get(self.kind, "status")
        return (
            f"<div class='runbook-panel runbook-{self.kind}' role='{role}' style='border-left:4px"
            f" solid {colour};padding:6px 12px;margin:6px 0;text-align:left;position:relative'>"
            f"<strong style='color:{colour}'><span aria-hidden='true'>{_ICONS[self.kind]}</span>"
            f" <span style='{_UNSEEN}'>{_WORDS[self.kind]}</span> {html.escape(self.title)}"
            f"</strong>{self._table_html(extra, extra_column)}{notes}</div>"
        )

    def _table_html(self, extra: Mapping[str, str] | None, extra_column: str) -> str:
        if not self.rows:
            return ""
        head = ""
        if self.columns:
            names = [*self.columns, extra_column] if extra else list(self.columns)
            cells = "".join(f"<th scope='col' style='{_HEAD}'>{html.escape(n)}</th>" for n in names)
            head = f"<thead><tr>{cells}</tr></thead>"
        body = []
        for label, *values in self.rows:
            cells = [f"<th scope='row' style='{_CELL};font-weight:600'>{_cell_html(label)}</th>"]
            cells += [
                f"<td class='runbook-value' style='{_CELL}'>{_cell_html(v)}</td>" for v in values
            ]
            if extra:
                cells.append(f"<td style='{_CELL}'>{extra.get(str(label), '')}</td>")
            body.append(f"<tr style='background:none'>{''.join(cells)}</tr>")
        # The caption names the table for screen readers; the panel's title above shows it.
        caption = f"<caption style='{_UNSEEN}'>{html.escape(self.title)}</caption>"
        return f"<table style='{_TABLE}'>{caption}{head}<tbody>{''.join(body)}</tbody></table>"


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
    """Display in a notebook (HTML + text), or print outside one. A live status is printed in
    a notebook too: a line as it happens, which papermill streams to the headless runner."""
    if getattr(obj, "live", False):
        print(obj, flush=True)
        return
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


# How each status of the progress board looks: done in green, failed in red, blocked in amber,
# the rest (not needed or not yet) in grey.
STATUS_BADGES = {
    "done": Badge("ok", "done", "✔"),
    "failed": Badge("error", "failed", "✖"),
    "blocked": Badge("warn", "blocked", "!"),
    "skipped": Badge("muted", "skipped", "–"),
    "optional": Badge("muted", "optional", "○"),
    "to do": Badge("muted", "to do", "○"),
}


def status_badge(status: str) -> Badge:
    """The board's look for a step status; an unknown one in grey, as it is."""
    return STATUS_BADGES.get(status, Badge("muted", status or "-", "?"))


def board_panel(progress: ProgressRecord) -> Panel:
    """The progress board: every step in order, what it does, its status and when it ran."""
    rows = [
        (r["step"], r["title"], status_badge(r["status"]), r["at"] or "-") for r in progress.board()
    ]
    return Panel("info", "Progress", rows=rows, columns=("Step", "What", "Status", "When"))
