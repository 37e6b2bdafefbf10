"""Rewrite notebooks/*.ipynb from tools/notebooks/*.py (see tools/notebook_cells.py)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from notebook_cells import build  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    for source in sorted((ROOT / "tools" / "notebooks").glob("*.py")):
        cells = runpy.run_path(str(source))["CELLS"]
        target = ROOT / "notebooks" / f"{source.stem}.ipynb"
        build(cells, target)
        print(f"wrote {target.relative_to(ROOT)}")
