"""What a headless run prints once step 08 has run (the registry's ``after_run``): the counts,
each finding with its mark, and where the findings and the run report are. Never a secret, and
phone numbers only masked."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ...credentials import CredentialStore
from ...journal import HealthRecord
from ...progress import ProgressRecord
from ...report import scrub
from ..registry import HEALTH_CHECK as STEP
from .checks import ICONS


def summary(env_file: str | os.PathLike[str], state_dir: str | os.PathLike[str]) -> list[str]:
    """Lines for the terminal after a run in which step 08 succeeded."""
    record: HealthRecord = ProgressRecord(state_dir).read(STEP)
    if not record.done:
        return []
    counted = record.reading()
    lines = [f"Health check of {record.service_sid}: {counted}; {record.problems} finding(s)."]
    try:
        checks = json.loads(Path(record.health_file).read_text(encoding="utf-8"))["checks"]
    except (OSError, ValueError, KeyError, TypeError):
        checks = []
    lines += [f"  {ICONS[c['status']]} {c['name']}: {c['summary']}" for c in checks if not c["ok"]]
    lines += [f"Findings: {record.health_file}", f"Run report: {record.report_path}"]
    return [scrub(line, CredentialStore(env_file).secrets()) for line in lines]
