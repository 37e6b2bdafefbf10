"""The progress record: each step's non-secret results, and an append-only journal of actions.

Lives in the state folder (default ``.runbook/``). The next notebook reads what the last one
found here. Nothing secret is ever written: every write is checked for secret-looking values.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError, StateLocked
from .files import append_private, make_folder, open_private, read_private, write_atomically
from .journal import Event, StepRecord, event_from_json
from .steps import registry
from .steps.registry import Step

E = TypeVar("E", bound=Event)


# Twilio secrets are 32 letters/digits; SIDs are 34 (two-letter prefix). Refuse the former.
_SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_no_secret(data: dict[str, Any], where: str) -> None:
    for name, value in data.items():
        if _SECRET_LIKE.search(json.dumps(value, ensure_ascii=False)):
            raise ValueError(
                f"refusing to write a secret-looking value (field {name!r}) into the {where}"
            )


def _fix_for(path: Path) -> str:
    return (
        f"Move it aside (mv '{path}' '{path}.broken') and run again: the step records are"
        " rebuilt as steps run, and nothing in Twilio is lost. Keep the moved file for support."
    )


def _torn(raw: bytes) -> bool:
    """A line a killed run left half-written: the start of one of our JSON objects."""
    return raw.startswith(b'{"')


class ProgressRecord:
    """Step results in ``progress.json`` and actions in ``journal.jsonl`` under the state folder."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.state_dir = Path(state_dir).expanduser().absolute()
        self.progress_path = self.state_dir / "progress.json"
        self.journal_path = self.state_dir / "journal.jsonl"
        # Written with every journal entry: a change plan's file and sha256 while it is applied.
        self.stamp: dict[str, str] = {}

    def _ensure_dir(self) -> None:
        if self.state_dir.exists() and not self.state_dir.is_dir():
            raise InputError(
                "state_dir",
                f"{self.state_dir} is a file, not a folder.",
                "Give a folder (--state-dir), or move that file away.",
            )
        try:
            make_folder(self.state_dir, "state_dir")
        except OSError as err:
            raise InputError(
                "state_dir",
                f"the folder {self.state_dir} cannot be made: {err.strerror}.",
                "Give a folder you can write to (--state-dir).",
            ) from None

    def check(self) -> None:
        """Raise InputError naming the path and the fix if the state folder cannot be used."""
        if self.state_dir.exists() and not self.state_dir.is_dir():
            self._ensure_dir()
        self.all_steps()
        self._entries()

    def all_steps(self) -> dict[str, dict[str, Any]]:
        try:
            raw = read_private(self.progress_path, "state_dir")
        except OSError as err:
            raise InputError(
                "state_dir", f"{self.progress_path} cannot be read: {err.strerror}.", "Check it."
            ) from None
        if raw is None:
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise InputError(
                "state_dir",
                f"the progress record {self.progress_path} is damaged (not the JSON the runbook"
                " writes).",
                _fix_for(self.progress_path),
            )
        return data

    def _write_record(self, name: str, entry: dict[str, Any]) -> None:
        _check_no_secret(entry, "progress record")
        self._ensure_dir()
        steps = self.all_steps()
        steps[name] = entry
        text = json.dumps(steps, indent=2, sort_keys=True) + "\n"
        write_atomically(self.progress_path, text, field="state_dir")

    def _append(self, entry: dict[str, Any]) -> None:
        _check_no_secret(entry, "journal")
        self._ensure_dir()
        line = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
        # Phone numbers and account ids: private to the user (0600), like everything a run
        # writes; a run killed mid-write leaves a torn last line, and ours starts on a fresh one.
        append_private(self.journal_path, line.encode("utf-8"), "state_dir")

    def _entries(self, step: str | None = None) -> list[dict[str, Any]]:
        try:
            lines = (read_private(self.journal_path, "state_dir") or b"").splitlines()
        except OSError as err:
            raise InputError(
                "state_dir", f"{self.journal_path} cannot be read: {err.strerror}.", "Check it."
            ) from None
        entries = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                if _torn(raw):
                    continue  # half a line from a killed run; the rest still counts
                entry = None
            if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
                raise InputError(
                    "state_dir",
                    f"line {number} of the journal {self.journal_path} is not a journal entry"
                    " (edited by hand?). The runbook reads the journal to avoid making things"
                    " twice, so it stops rather than guess.",
                    f"Open the file and delete or repair line {number}; every other line is"
                    " one JSON object the runbook wrote.",
                )
            if step is None or entry.get("step") == step:
                entries.append(entry)
        return entries

    # ------------------------------------------------------------ typed records and events

    def read(self, step: Step) -> Any:
        """The step's last record, typed (``step.record``); an empty one if it never ran."""
        return step.record.from_json(self.all_steps().get(step.id, {}))

    def save(self, step: Step, record: StepRecord) -> StepRecord:
        """Record a step's outcome (its status and results), stamped with the time."""
        if not isinstance(record, step.record):
            raise TypeError(f"{step.id} keeps a {step.record.__name__}, not {type(record)}")
        entry = {**record.to_json(), "at": utc_now()}
        self._write_record(step.id, entry)
        return step.record.from_json(entry)

    def log(self, step: Step, event: E) -> E:
        """Append one typed event to the journal on behalf of ``step``; flushed at once."""
        entry = {**event.to_json(), **self.stamp, "at": utc_now(), "step": step.id}
        self._append(entry)
        return event_from_json(entry)  # type: ignore[return-value]

    def events(self, *kinds: type[E], step: Step | None = None) -> list[E]:
        """The journal's events of these kinds (all kinds if none), oldest first."""
        found = []
        for entry in self._entries(step.id if step else None):
            event = event_from_json(entry)
            if not kinds or isinstance(event, kinds):
                found.append(event)
        return found  # type: ignore[return-value]

    def board(self) -> list[dict[str, str]]:
        """One row per step: name, title, status and when."""
        steps = self.all_steps()
        rows = []
        for step in registry.STEPS:
            entry = steps.get(step.id, {})
            status = entry.get("status", "optional" if step.optional else "to do")
            rows.append(
                {
                    "step": step.id,
                    "title": step.title,
                    "status": status,
                    "at": entry.get("at", ""),
                }
            )
        return rows


_kernel_holds: dict[Path, int] = {}


def hold_for_kernel(state_dir: Path) -> None:
    """Mark this process (a notebook kernel of a headless run) as using the state folder until it
    exits: a shared lock on ``kernels.lock``, released by the operating system at exit."""
    import fcntl

    path = Path(state_dir) / "kernels.lock"
    if path in _kernel_holds:
        return
    make_folder(path.parent, "state_dir")
    fd = open_private(path, os.O_RDWR | os.O_CREAT, "state_dir")
    fcntl.flock(fd, fcntl.LOCK_SH)
    _kernel_holds[path] = fd


def wait_for_kernels(state_dir: Path, timeout: float = 15.0) -> None:
    """Wait until no kernel of an earlier run still uses the state folder.

    A killed runner's kernels live on for about a second (they notice their parent is gone on
    their own), and in that second the running step can still call Twilio and write here.
    """
    import fcntl
    import time

    path = Path(state_dir) / "kernels.lock"
    make_folder(path.parent, "state_dir")
    fd = open_private(path, os.O_RDWR | os.O_CREAT, "state_dir")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return  # closing the descriptor releases it at once
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StateLocked(
                        f"A notebook kernel of an earlier run still uses {state_dir}.",
                        advice="Wait a few seconds and run again; if a notebook of this run is"
                        " open in JupyterLab, shut its kernel down first.",
                    ) from None
                time.sleep(0.05)
    finally:
        os.close(fd)
