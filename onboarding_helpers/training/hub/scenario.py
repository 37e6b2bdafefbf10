"""The trainer starts a training scenario for one trainee of the class.

A scenario needs the sandbox's admin API (a new account, its settings, injected faults), so in a
class only the hub's side can start one: trainees' notebooks refuse (``practice``). It runs here,
as root, on a staging env file and state folder of its own (0700, deleted after), exactly as
``practice.start_scenario`` runs for an officer alone; then the helper, running as the trainee,
adopts the result (``home.adopt``): the new account's values into their env file, the journal
entries, their old progress record set aside. The trainer token never reaches the trainee.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...credentials import VARIABLES
from ...runbook import Runbook, Settings
from ...steps.registry import START
from ..practice import start_scenario
from .settings import ClassSettings
from .trainees import run_as_trainee, trainee_user, wait_for_sandbox


@dataclass(frozen=True)
class Started:
    trainee: str
    scenario: str
    account_sid: str
    backup: str  # where the trainee's old env file values are kept ("" if there were none)


def start_for(
    settings: ClassSettings, trainee: str, name: str, parameters: dict[str, Any] | None = None
) -> Started:
    """Start scenario ``name`` for ``trainee``: a new practice account named after them, on the
    class's sandbox, set up to go wrong as the scenario says. Faults other trainees' scenarios
    injected stay (the sandbox is shared)."""
    from ...sandbox import remember_token

    user = trainee_user(settings, trainee)
    # Every admin call below sends the token only after the sandbox proves it holds it.
    remember_token(settings.sandbox_url, wait_for_sandbox(settings))
    with tempfile.TemporaryDirectory(prefix="class-scenario-") as staging:
        folder = Path(staging)
        rb = Runbook(
            Settings(
                mode="sandbox",
                env_file=folder / ".env.sandbox",
                state_dir=folder / "state",
                sandbox_dir=folder / "sandbox",
                base_url=settings.sandbox_url,
            )
        )
        result = start_scenario(rb, name, parameters, friendly_name=trainee, clear_old_faults=False)
        handover = {
            "values": {k: v for k, v in rb.store.values().items() if k in VARIABLES and v},
            "events": [event.to_json() for event in rb.progress.events()],
            "start": rb.progress.all_steps().get(START.id),
            "scenario": result.scenario,
        }
    answer = run_as_trainee(settings, user, "adopt", handover)
    return Started(trainee, result.scenario, str(answer["account_sid"]), str(answer["backup"]))
