"""The credential store: the env file that holds the four Postman values and the Auth Token.

One parser (python-dotenv's ``parse_stream``) both reads and rewrites the file, so comments, other
lines and ``export NAME=...`` survive, and reading and writing agree on which line counts. Every
write goes to a temporary file created 0600 beside the env file and is renamed over it, so a crash
leaves either the old file or the new one. A write that would replace or drop a non-empty value
first copies the whole old file to ``<env file>.backup-<UTC time>``: the API key secret is shown
by Twilio once, so losing it is data loss.

A store opened for a mode ("sandbox" or "live") marks the files it creates with a first comment
line and refuses to write into a file of the other mode, so practice never wipes a live account.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

from .env_text import MARKER_PREFIX, NAME, STORE_MODES, EnvText, format_line
from .errors import InputError
from .files import (
    check_folder,
    check_private_file,
    make_folder,
    read_private,
    write_atomically,
    write_new_file,
    written_through,
)

ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
API_KEY_SID = "TWILIO_API_KEY_SID"
API_KEY_SECRET = "TWILIO_API_KEY_SECRET"
MESSAGING_SERVICE_SID = "TWILIO_MESSAGING_SERVICE_SID"

VARIABLES = (ACCOUNT_SID, AUTH_TOKEN, API_KEY_SID, API_KEY_SECRET, MESSAGING_SERVICE_SID)
SECRET_VARIABLES = frozenset({AUTH_TOKEN, API_KEY_SECRET})

SANDBOX_ENV_FILE = ".env.sandbox"
MARKERS = {
    "sandbox": f"{MARKER_PREFIX} sandbox practice credentials; never put a live account here",
    "live": f"{MARKER_PREFIX} live credentials",
}

_STAMP = "%Y%m%dT%H%M%SZ"


def mask(value: str | None, shown: int = 4) -> str:
    """Show only the last characters of a secret: ``••••1a2b``. Short values are fully hidden."""
    if not value:
        return "(not set)"
    if len(value) <= shown * 2:
        return "••••"
    return "••••" + value[-shown:]


def _check_values(values: dict[str, str]) -> None:
    for name, value in values.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(f"{name!r} is not a valid variable name")
        if not isinstance(value, str) or "\n" in value or "\r" in value:
            raise ValueError(f"the value for {name} must be one line of text")
        format_line(name, value)  # raises for a value readers would take differently


class CredentialFileMismatch(InputError):
    """The env file belongs to the other mode (or may hold a live account). Nothing was written."""

    def __init__(self, env_file: Path, problem: str, fix: str) -> None:
        self.env_file = env_file
        super().__init__("env_file", problem, fix)


@dataclass(frozen=True)
class SaveReport:
    """What a ``save()`` did. Names only: never a value."""

    backup: Path | None = None  # the copy of the old file, when a value was replaced or dropped
    replaced: tuple[str, ...] = ()  # names whose non-empty value changed
    merged: tuple[str, ...] = ()  # names whose duplicate lines became one


def _not_an_env_file(path: Path, lines: list[int]) -> InputError:
    # Line numbers only: a line of a file that is not ours may hold anything, a secret too.
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return InputError(
        "env_file",
        f"{path} is not an env file: line {lines[0]}{more} is neither NAME=value, export"
        " NAME=value, a comment nor blank. Nothing was read or written.",
        "Check that this is the env file you meant (env_file, or --env-file). If it is, correct"
        " or delete that line: the runbook writes only NAME=value lines.",
    )


def _what_is_held(env: EnvText, held: list[str]) -> str:
    # Names and the Account SID (not a secret) help the officer recognise the account.
    account = env.values().get(ACCOUNT_SID)
    owner = f" for the account {account}" if account else ""
    if API_KEY_SECRET in held:
        return f"holds an API key secret{owner} (with {', '.join(held)})"
    return f"already holds {', '.join(held)}{owner}"


class CredentialStore:
    """Reads and writes the env file. Values are masked whenever shown.

    ``mode`` ("sandbox", "live" or None) is the kind of credentials this store may write; None
    skips the marker checks. ``mode()`` (a method, kept for callers) is the file's permission bits.
    """

    def __init__(self, path: str | os.PathLike[str], mode: str | None = None) -> None:
        if mode is not None and mode not in STORE_MODES:
            raise ValueError(f"mode must be one of {STORE_MODES} or None, not {mode!r}")
        self.path = Path(path).expanduser().absolute()
        self.expected_mode = mode

    def __repr__(self) -> str:
        extra = f", mode={self.expected_mode!r}" if self.expected_mode else ""
        return f"CredentialStore({str(self.path)!r}{extra})"

    # ------------------------------------------------------------------ reading

    def exists(self) -> bool:
        try:
            return self.path.exists()
        except OSError as exc:
            self._fail(exc, "check")

    def values(self) -> dict[str, str]:
        """Every variable in the file that has a value (for a repeated name: its counting one)."""
        return self._load()[1].values()

    def get(self, name: str) -> str | None:
        return self.values().get(name)

    def duplicates(self) -> dict[str, list[int]]:
        """{name: 1-based line of every occurrence} for names that occur more than once."""
        found = self._load()[1].occurrences
        return {name: [o.line for o in occ] for name, occ in found.items() if len(occ) > 1}

    def file_mode(self) -> str | None:
        """'sandbox' or 'live' from the file's marker line; None without one (or no file)."""
        return self._load()[1].file_mode()

    def mode(self) -> int | None:
        """The file's permission bits (0o600 expected), or None when it does not exist."""
        try:
            return stat.S_IMODE(self.path.stat().st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self._fail(exc, "check")

    def secrets(self) -> list[str]:
        """The secret values held, for audits that prove none leaked elsewhere.

        Also the values of repeated lines that do not count: they are secrets in the file too.
        """
        env = self._load()[1]
        held = env.values()
        found: list[str] = []
        for name in SECRET_VARIABLES:
            for value in [held.get(name, ""), *env.non_empty(name)]:
                if value and value not in found:
                    found.append(value)
        return found

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

    def file(self) -> Path:
        """The file that holds the values: the env file, or the target of the symbolic link it
        is (written through, the link kept; refused unless both are the user's own)."""
        return written_through(self.path, "env_file")

    def backups(self) -> list[Path]:
        """The dated copies ``save()`` made of this env file (beside the file that holds the
        values, a link's target), newest last."""
        real = self.file()
        pattern = re.compile(re.escape(real.name) + r"\.backup-(\d{8}T\d{6}Z)(?:-(\d+))?")
        try:
            names = os.listdir(real.parent)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            self._fail(exc, "read")
        found = []
        for name in names:
            match = pattern.fullmatch(name)
            if match:
                found.append((match.group(1), int(match.group(2) or 1), name))
        return [real.parent / name for *_, name in sorted(found)]

    def rescue_file(self, key_sid: str) -> Path:
        """Where a new key's secret goes when the env file cannot take it (step 02's rescue):
        a new 0600 file beside the env file."""
        return self.path.with_name(f".{self.path.name}.unsaved-{key_sid}")

    def copies(self) -> list[Path]:
        """Every file beside the env file that holds values copied from it: the dated backups
        and the rescue files (beside the link and beside its target, for a linked env file)."""
        found = self.backups()
        for env_path in dict.fromkeys((self.path, self.file())):
            try:
                names = os.listdir(env_path.parent)
            except OSError:
                continue
            prefix = f".{env_path.name}.unsaved-"
            found += [env_path.parent / n for n in sorted(names) if n.startswith(prefix)]
        return list(dict.fromkeys(found))

    # ------------------------------------------------------------------ writing

    def check_mode(self) -> None:
        """Raise what ``save()`` would raise for this file's mode, without writing anything.

        Also raises InputError for an unusable path (a folder others can write, a link to
        another user's file), so callers can fail before doing anything.
        """
        self._refuse_other_mode(self._load()[1], writing_values=True)
        for folder in dict.fromkeys((self.path.parent, self.file().parent)):
            check_folder(folder, "env_file")

    def save(self, values: dict[str, str]) -> SaveReport:
        """Set ``values`` in one atomic write, keeping every other line and comment.

        Each name ends up on exactly one line. When a non-empty value would be replaced, or a
        duplicate line holding a different non-empty value dropped, the whole old file is first
        copied to a dated backup beside it (0600).
        """
        _check_values(values)
        raw, env = self._load()
        self._refuse_other_mode(env, writing_values=True)
        replaced, merged, needs_backup = [], [], False
        for name, value in values.items():
            counted = env.counting(name)
            if counted is not None and counted.value and counted.value != value:
                replaced.append(name)
            if len(env.occurrences.get(name, [])) > 1:
                merged.append(name)
            needs_backup |= any(old != value for old in env.non_empty(name))
        text = env.render(values)
        if self.expected_mode and not env.markers and not env.holds_twilio_values():
            text = MARKERS[self.expected_mode] + "\n" + text
        backup = self._backup(raw) if needs_backup and raw is not None else None
        self._write(text)
        return SaveReport(backup, tuple(replaced), tuple(merged))

    def one_line_per_name(self) -> SaveReport:
        """Leave each of the runbook's names on one line, holding the value that counts (with a
        backup first when a different non-empty value goes), so that python-dotenv, ``source``
        and ``docker --env-file``, which take the last line, read what the store reads."""
        env = self._load()[1]
        repeated = [n for n in VARIABLES if len(env.occurrences.get(n, [])) > 1]
        if not repeated:
            return SaveReport()
        held = env.values()
        return self.save({name: held.get(name, "") for name in repeated})

    def remove(self, *names: str) -> tuple[str, ...]:
        """Delete variables (used when a key is revoked), atomically; no backup: deliberate.

        Returns the names that were in the file. A store with a mode still refuses a file marked
        for the other mode.
        """
        raw, env = self._load()
        if raw is None:
            return ()
        self._refuse_other_mode(env, writing_values=False)
        removed = tuple(name for name in dict.fromkeys(names) if name in env.occurrences)
        self._write(env.render({}, drop=frozenset(names)))
        return removed

    # ------------------------------------------------------------------ internals

    def _load(self) -> tuple[bytes | None, EnvText]:
        """The raw bytes (None: no file) and their one parse; a file that is not an env file is
        refused, whatever else the caller meant to do."""
        try:
            real = self.file()
            if os.path.isdir(real):
                raise IsADirectoryError(real)
            raw = read_private(real, "env_file")
        except OSError as exc:
            self._fail(exc, "read")
        if raw is None:
            return None, EnvText("")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            # from None: the decode error carries the file's bytes, secrets included.
            raise InputError(
                "env_file",
                f"{self.path} is not UTF-8 text: line {line} (byte {exc.start + 1} of the file)"
                " cannot be read.",
                "Open it in an editor and save it with UTF-8 encoding, or retype that line; if"
                " it is not an env file at all, choose another env file path.",
            ) from None
        env = EnvText(text)
        if env.not_env_lines:
            raise _not_an_env_file(self.path, env.not_env_lines)
        return raw, env

    def _refuse_other_mode(self, env: EnvText, *, writing_values: bool) -> None:
        mine = self.expected_mode
        if mine is None:
            return
        other = "live" if mine == "sandbox" else "sandbox"
        if other in env.markers:
            kind = "live" if other == "live" else "sandbox practice"
            raise CredentialFileMismatch(
                self.path,
                f"{self.path} is marked as holding {kind} credentials, and this is a {mine} run:"
                " sandbox and live credentials must never share a file. Nothing was written.",
                f"Use a separate env file for {mine} credentials"
                + (f" (the sandbox default is {SANDBOX_ENV_FILE})." if mine == "sandbox" else ".")
                + " Pass env_file (or --env-file) to choose it.",
            )
        held = env.holds_twilio_values()
        if mine == "sandbox" and writing_values and held and not env.markers:
            raise CredentialFileMismatch(
                self.path,
                f"{self.path} {_what_is_held(env, held)} and no marker line saying they are"
                " practice values: they may be a live account's, which practice must never"
                " replace"
                + (" (an API secret cannot be recovered)" if API_KEY_SECRET in held else "")
                + ". Nothing was written.",
                f"Use a separate env file for practice (the sandbox default is {SANDBOX_ENV_FILE};"
                " pass env_file or --env-file). If these are old practice values, delete those"
                f" TWILIO_ lines from {self.path} yourself and run again.",
            )

    def _backup(self, raw: bytes) -> Path:
        stamp = datetime.now(timezone.utc).strftime(_STAMP)
        real = self.file()
        base = f"{real.name}.backup-{stamp}"
        target, number = real.with_name(base), 1
        while True:
            try:
                write_new_file(target, raw)
                return target
            except FileExistsError:
                number += 1  # two saves in one second: take the next number
                target = real.with_name(f"{base}-{number}")
            except OSError as exc:
                self._fail(exc, "back up")

    def _write(self, text: str) -> None:
        try:
            real = self.file()
            make_folder(real.parent, "env_file")
            if os.path.exists(real):  # a hard link would keep the old text under its other name
                check_private_file(os.stat(real), real, "env_file")
            write_atomically(real, text, field="env_file")
        except OSError as exc:
            # Other failures (a full disk) stay OSErrors: the caller's rescue path handles them.
            self._fail(exc, "write")

    def _fail(self, exc: OSError, action: str) -> NoReturn:
        error = self._path_error(exc, action)
        if error is None:
            raise exc
        raise error from exc

    def _path_error(self, exc: OSError, action: str) -> InputError | None:
        """The officer-facing error for an unusable path; None for other failures."""
        path = self.path
        if isinstance(exc, IsADirectoryError):
            return InputError(
                "env_file",
                f"{path} is a folder, not an env file.",
                f"Give the path of the env file itself (for example {path / '.env'}), or move"
                " the folder away.",
            )
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            blocker = next((p for p in path.parents if p.is_file()), path.parent)
            return InputError(
                "env_file",
                f"cannot use {path}: {blocker} is a file, not a folder.",
                "Choose an env file path inside a folder, or move that file away.",
            )
        if isinstance(exc, PermissionError):
            return InputError(
                "env_file",
                f"permission denied when trying to {action} {path}.",
                f"Make the file readable and writable by your user (chmod 600 {path}) and its"
                f" folder {path.parent} writable, or choose another env file.",
            )
        return None
