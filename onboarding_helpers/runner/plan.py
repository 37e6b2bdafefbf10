"""Which steps a headless run takes, in the registry's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..steps import registry
from ..steps.registry import Step


def plan(
    notebooks_dir: Path,
    only: Iterable[str] = (),
    parameters: Mapping[str, Any] | None = None,
    include_optional: bool = False,
) -> list[Step]:
    """The steps to run, in order, among those whose notebook exists.

    ``only``: step ids or numbers ("01", "04a"); none means every step. An
    optional step runs only when named, when ``include_optional``, or when the run's parameter
    named by its ``included_by`` is True.
    """
    wanted: set[Step] = set()
    unknown = []
    for name in only:
        step = registry.find(name)
        if step is None:
            unknown.append(name)
        else:
            wanted.add(step)
    if unknown:
        names = ", ".join(s.id for s in registry.STEPS)
        raise InputError("--only", f"unknown step {sorted(unknown)}.", f"Choose from: {names}.")
    if not any(step.notebook(notebooks_dir).exists() for step in registry.STEPS):
        raise InputError(
            "notebooks",
            f"{notebooks_dir} holds none of the runbook's notebooks.",
            "Run the command from the runbook's folder (the one with notebooks/ in it).",
        )
    parameters = parameters or {}
    chosen = []
    for step in registry.STEPS:
        if wanted and step not in wanted:
            continue
        asked_for = (
            step in wanted
            or include_optional
            or bool(step.included_by and parameters.get(step.included_by) is True)
        )
        if step.optional and not asked_for:
            continue
        if step.notebook(notebooks_dir).exists():
            chosen.append(step)
    return chosen
