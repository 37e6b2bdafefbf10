"""The trainee's side of the class hub, run as the trainee (``trainees.run_as_trainee``): their
work folder, and a practice account the hub made for them written into their env file.

``python -m onboarding_helpers.training.hub home prepare|adopt`` reads a JSON handover on its
standard input and prints one JSON line. It reads its paths from the ``ONBOARDING_*`` variables
the hub gives every trainee process (``settings.trainee_environment``).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...credentials import ACCOUNT_SID, VARIABLES
from ...journal import event_from_json
from ...runbook import Runbook, preflight, resolve_settings
from ...steps.registry import BY_ID, START
from ..practice import set_progress_aside


def _runbook() -> Runbook:
    rb = Runbook(resolve_settings())
    preflight(rb)
    return rb


def prepare(notebooks: Path) -> dict[str, Any]:
    """The work folder with the runbook's notebooks (copied at the first login only: later logins
    keep the trainee's own copies); says which practice account the env file names."""
    rb = _runbook()
    work = rb.settings.env_file.parent
    target = work / "notebooks"
    if not target.exists():
        target.mkdir(parents=True)
        for notebook in sorted(notebooks.glob("*.ipynb")):
            shutil.copyfile(notebook, target / notebook.name)
    rb.settings.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {"account_sid": rb.store.values().get(ACCOUNT_SID, "")}


def adopt(handover: dict[str, Any]) -> dict[str, Any]:
    """Take over a practice account the hub made: its values into the env file (the old ones are
    kept in a dated backup by the store), its journal entries, and for a scenario the old
    progress record set aside and step 00's record, keeping the trainee's choice of Postman."""
    rb = _runbook()
    scenario = str(handover.get("scenario") or "")
    with rb.exclusive("the class hub's new practice account"):
        postman = rb.progress.read(START).postman
        if scenario:
            set_progress_aside(rb, scenario)
        values = {name: "" for name in VARIABLES}
        values.update({k: str(v) for k, v in handover.get("values", {}).items() if k in VARIABLES})
        report = rb.store.save(values)
        for entry in handover.get("events", []):
            rb.progress.log(BY_ID.get(str(entry.get("step")), START), event_from_json(entry))
        if handover.get("start"):
            record = START.record.from_json(handover["start"])
            rb.progress.save(START, replace(record, postman=postman or record.postman))
    return {"account_sid": values[ACCOUNT_SID], "backup": str(report.backup or "")}
