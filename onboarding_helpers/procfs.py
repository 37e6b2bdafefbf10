"""What Linux's /proc says of a process, for checks that must not trust what a process claims
(its environment): whose child it is, what it runs, whether it still runs. Elsewhere (no /proc)
every answer is "unknown", which the callers treat as "no".
"""

from __future__ import annotations

from pathlib import Path


def command_line(pid: int) -> list[bytes]:
    """The process's argv; empty when it is gone or unknown."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """The process's state letter (R, S, Z for a zombie ...) and its parent's pid; None when it
    is gone or unknown."""
    try:  # /proc/PID/stat: "pid (command) state ppid ...", the command may hold spaces
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return fields[0], int(fields[1])
    except (OSError, ValueError, IndexError):
        return None
