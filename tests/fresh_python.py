"""What a fresh interpreter prints: for checks of what an import loads, which this process's
own imports would hide."""

from __future__ import annotations

import subprocess
import sys


def fresh_python_prints(code: str) -> str:
    """Run code in a new interpreter (this one's venv); its stdout, stripped."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
