"""Helpers to write the runbook's notebooks from Python (outputs empty, ids stable).

Usage: python tools/build_notebooks.py  — rewrites notebooks/*.ipynb from their sources in
tools/notebooks/*.py. Each source defines CELLS: a list of ("md"|"code"|"parameters", text).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def build(cells: list[tuple[str, str]], path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for index, (kind, text) in enumerate(cells):
        text = text.strip("\n")
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(text)
        else:
            cell = nbformat.v4.new_code_cell(text)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
        cell.id = hashlib.sha1(f"{path.stem}:{index}".encode()).hexdigest()[:8]
        nb.cells.append(cell)
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
