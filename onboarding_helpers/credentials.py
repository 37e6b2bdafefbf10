"""The credential store: the env file that holds the four Postman values and the Auth Token.

Written with python-dotenv's parser so comments and other lines survive; every write goes to a
temporary file created 0600 beside the env file and is renamed over it, so a crash leaves either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from .files import write_atomically

ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
API_KEY_SID = "TWILIO_API_KEY_SID"
API_KEY_SECRET = "TWILIO_API_KEY_SECRET"
MESSAGING_SERVICE_SID = "TWILIO_MESSAGING_SERVICE_SID"

VARIABLES = (ACCOUNT_SID, AUTH_TOKEN, API_KEY_SID, API_KEY_SECRET, MESSAGING_SERVICE_SID)
SECRET_VARIABLES = frozenset({AUTH_TOKEN, API_KEY_SECRET})

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:/@+-]*$")


def mask(value: str | None, shown: int = 4) -> str:
    """Show only the last characters of a secret: ``••••1a2b``. Short values are fully hidden."""
    if not value:
        return "(not set)"
    if len(value) <= shown * 2:
        return "••••"
    return "••••" + value[-shown:]


def _format_line(name: str, value: str) -> str:
    if _PLAIN_VALUE.match(value):
        return f"{name}={value}\n"
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"{name}='{escaped}'\n"


class CredentialStore:
    """Reads and writes the env file. Values are masked whenever shown."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()

    def __repr__(self) -> str:
        return f"CredentialStore({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    def values(self) -> dict[str, str]:
        """Every variable in the file that has a value."""
        if not self.path.exists():
            return {}
        return {k: v for k, v in dotenv_values(self.path).items() if v}

    def get(self, name: str) -> str | None:
        return self.values().get(name)

    def mode(self) -> int | None:
        """The file's permission bits (0o600 expected), or None when it does not exist."""
        try:
            return stat.S_IMODE(self.path.stat().st_mode)
        except FileNotFoundError:
            return None

    def save(self, values: dict[str, str]) -> None:
        """Set ``values`` in one atomic write, keeping every other line and comment."""
        for name, value in values.items():
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not a valid variable name")
            if not isinstance(value, str) or "\n" in value or "\r" in value:
                raise ValueError(f"the value for {name} must be one line of text")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pending = dict(values)
        lines: list[str] = []
        if self.path.exists():
            with open(self.path, encoding="utf-8") as source:
                for binding in parse_stream(source):
                    if binding.key in pending:
                        lines.append(_format_line(binding.key, pending.pop(binding.key)))
                    else:
                        lines.append(binding.original.string)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.extend(_format_line(name, value) for name, value in pending.items())
        write_atomically(self.path, "".join(lines))

    def remove(self, *names: str) -> None:
        """Delete variables (used when a key is revoked), atomically."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as source:
            kept = [b.original.string for b in parse_stream(source) if b.key not in names]
        write_atomically(self.path, "".join(kept))

    def secrets(self) -> list[str]:
        """The secret values held, for audits that prove none leaked elsewhere."""
        held = self.values()
        return [held[name] for name in SECRET_VARIABLES if held.get(name)]

    def summary(self) -> list[tuple[str, str]]:
        """(variable, shown value) for every runbook variable; secrets masked."""
        held = self.values()
        return [
            (
                name,
                mask(held.get(name)) if name in SECRET_VARIABLES else held.get(name, "(not set)"),
            )
            for name in VARIABLES
        ]
