"""Notebook parameters for a headless run: what each notebook declares, and what the runner refuses.

A notebook's parameters are read the way ``papermill.inspect_notebook`` reads them (papermill's
pattern over the first cell tagged ``parameters``: name, type, default, help comment), from the
notebook's JSON: importing papermill costs ~0.5 s, which the runner spends later while its first
kernels boot, not before its checks. ``tests/runner/test_parameters.py`` holds the two readings
equal on every notebook of the runbook.

The runner never passes a secret as a parameter (papermill writes parameters into the executed
notebook twice); secrets reach the kernels only through the env file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import InputError

_SECRET_NAME = re.compile(r"(token|secret|password|passwd|api_?key_?secret|auth)", re.I)
# A Twilio secret is 32 letters and digits; SIDs are 34, so they do not match.
_SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")
_KEEP_OUT = "Put secrets in the env file (see .env.example), never on the command line."
# Notebook parameters the runner sets itself: passed by hand they would point the notebooks at
# files the runner does not hold the lock on.
RUNNER_OWNED = {
    "env_file": "--env-file PATH",
    "state_dir": "--state-dir DIR",
    "mode": "--sandbox or --live",
    "headless": "nothing: the runner always runs notebooks headless",
}
# papermill's PythonTranslator.PARAMETER_PATTERN (papermill 2.6-2.7), verbatim.
_PARAMETER_PATTERN = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*"
    r"(?P<value>.*?)(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$"
)


class Parameter(NamedTuple):
    """One declared parameter, with papermill's fields (``papermill.models.Parameter``)."""

    name: str
    inferred_type_name: str  # the annotation or ``# type:`` comment; "None" when neither
    default: str  # the default's source text
    help: str  # the comment after the assignment


def _definitions(source: str) -> list[str]:
    """The cell's assignments, each flattened to one line (papermill's grouping: an assignment
    spread over lines keeps only its last line's comment; a line with two '=' is skipped)."""

    def flatten(lines: list[str]) -> str:
        head = "".join(line.split("#", 1)[0].strip() for line in lines[:-1])
        return head + (lines[-1].strip() if lines else "")

    groups: list[str] = []
    lines: list[str] = []
    for line in source.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        equals = line.count("=")
        if equals:
            groups.append(flatten(lines))
            lines = []
            if equals > 1:
                continue
        lines.append(line)
    groups.append(flatten(lines))
    return [group for group in groups if group]


def notebook_parameters(path: Path) -> dict[str, Parameter]:
    """The parameters the notebook's first ``parameters`` cell declares, in order."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        found: dict[str, Parameter] = {}
        for definition in _definitions(source if isinstance(source, str) else "".join(source)):
            match = _PARAMETER_PATTERN.match(definition)
            if match is None:
                continue
            kind = str(match["annotation"] or match["type_comment"] or None).strip()
            name = match["target"].strip()
            default, text = str(match["value"]).strip(), str(match["help"] or "").strip()
            found[name] = Parameter(name, kind, default, text)
        return found
    return {}


def check_parameter(name: str, value: Any, secrets: Iterable[str] = ()) -> None:
    """Refuse a parameter the runner owns, or whose name or value holds a secret anywhere.

    ``secrets`` are the env file's secret values; papermill writes every parameter into the
    executed notebook, and steps send names to Twilio and the journal.
    """
    if name in RUNNER_OWNED:
        raise InputError(
            f"parameter {name}",
            "is set by the runner, not by -p/-r.",
            f"Use {RUNNER_OWNED[name]} instead.",
        )
    # A True/False cannot carry a secret: flags such as forget_auth_token pass by name.
    if _SECRET_NAME.search(name) and not isinstance(value, bool):
        raise InputError(
            f"parameter {name}",
            "looks like a secret, and papermill would copy it into the output notebook.",
            _KEEP_OUT,
        )
    if not isinstance(value, str):
        return
    if any(secret and secret in value for secret in secrets):
        raise InputError(
            f"parameter {name}",
            "contains a secret from the env file (the Auth Token or the API secret).",
            _KEEP_OUT,
        )
    if _SECRET_SHAPE.search(value):
        raise InputError(
            f"parameter {name}",
            "contains something shaped like a Twilio secret (32 letters and digits in a row).",
            _KEEP_OUT,
        )


def parse_parameter(raw: str) -> Any:
    """Like papermill's -p: True/False/None, ints and floats are converted, the rest is text."""
    if raw in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[raw]
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def check_known(declared: Iterable[str], names: Iterable[str]) -> None:
    """A parameter no notebook of this run declares is most likely a typo: refuse it.

    ``declared``: every name the run's notebooks declare.
    """
    takes = sorted(set(declared) - set(RUNNER_OWNED))
    unknown = sorted(set(names) - set(declared))
    if unknown:
        raise InputError(
            f"parameter {unknown[0]}",
            "is not a parameter of any notebook in this run.",
            "Check the spelling; each notebook's parameters cell lists what it takes: "
            + (", ".join(takes) or "(nothing)"),
        )


def for_notebook(declared: Iterable[str], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Only the parameters this notebook declares (papermill warns about the others), and
    ``headless=True``."""
    names = set(declared)
    return {"headless": True, **{k: v for k, v in parameters.items() if k in names}}
