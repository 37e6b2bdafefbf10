"""One parse of an env file's text, and the one rule for writing a line every reader agrees on.

python-dotenv's ``parse_stream`` reads the lines, so comments, other lines and ``export NAME=...``
survive a rewrite. What counts as an env file: blank lines, comments, and ``NAME=value`` or
``export NAME=value`` with a shell variable name. Anything else (``root:x:0:0:...``, a bare word,
a line dotenv cannot parse) means the file is something else, and the store refuses it before
anything runs. Values are written so that python-dotenv, ``source`` and ``docker --env-file`` read
the same thing as the store.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from dotenv.parser import parse_stream

STORE_MODES = ("sandbox", "live")
MARKER_PREFIX = "# postman-onboarding-runbook:"

NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")  # the names the store writes
_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a line's name, as `source` takes it
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:/@+-]*$")
_NEWLINE = re.compile(r"\r\n|\n|\r")
_EXPORT = re.compile(r"\s*(export[^\S\r\n]+)")


def format_line(name: str, value: str) -> str:
    """``NAME=value``: plain when every reader takes it as it is; else in single quotes, which
    dotenv and the shell both take literally; else (a ' in it) in double quotes, when nothing in
    it is special there. A value no quoting gives every reader alike is refused (ValueError);
    no Twilio value is one."""
    if _PLAIN_VALUE.match(value):
        return f"{name}={value}\n"
    if "\0" in value:
        raise ValueError(f"the value for {name} holds a NUL character, which the shell drops")
    if not set(value) & set("'\\"):
        return f"{name}='{value}'\n"
    if not set(value) & set('"$`\\'):
        return f'{name}="{value}"\n'
    raise ValueError(
        f"the value for {name} holds both kinds of quote, a backslash or a $ after a quote, which"
        " python-dotenv and the shell would read differently"
    )


@dataclass(frozen=True)
class Occurrence:
    index: int  # position among the parsed bindings
    line: int  # 1-based line of the name
    value: str  # "" for ``NAME=``


def _leading_lines(original: str) -> str:
    # The parser folds blank lines before a binding into it; keep them, drop the indentation.
    body = original.lstrip()
    leading = original[: len(original) - len(body)]
    return leading[: max(leading.rfind("\n"), leading.rfind("\r")) + 1]


class EnvText:
    """One parse of an env file. The rule for names that occur more than once lives here only:
    the value that counts is the last non-empty one, so an empty duplicate never hides a value."""

    def __init__(self, text: str) -> None:
        self.bindings = list(parse_stream(io.StringIO(text)))
        self.occurrences: dict[str, list[Occurrence]] = {}
        self.markers: set[str] = set()
        self.not_env_lines: list[int] = []  # lines that are no env-file line at all
        for index, binding in enumerate(self.bindings):
            original = binding.original.string
            leading = original[: len(original) - len(original.lstrip())]
            line = binding.original.line + len(_NEWLINE.findall(leading))
            if binding.key is None:
                if binding.error:
                    self.not_env_lines.append(line)
                self._note_marker(binding.error, original)
                continue
            if binding.value is None or not _SHELL_NAME.match(binding.key):
                self.not_env_lines.append(line)
                continue
            occurrence = Occurrence(index, line, binding.value)
            self.occurrences.setdefault(binding.key, []).append(occurrence)

    def _note_marker(self, error: bool, original: str) -> None:
        comment = original.strip()
        if error or not comment.startswith(MARKER_PREFIX):
            return
        words = comment[len(MARKER_PREFIX) :].split()
        if words and words[0].rstrip(";:,") in STORE_MODES:
            self.markers.add(words[0].rstrip(";:,"))

    def counting(self, name: str) -> Occurrence | None:
        """The occurrence whose value counts: the last non-empty one, else the last one."""
        found = self.occurrences.get(name, [])
        filled = [o for o in found if o.value]
        return (filled or found or [None])[-1]

    def values(self) -> dict[str, str]:
        counted = {name: self.counting(name) for name in self.occurrences}
        return {name: o.value for name, o in counted.items() if o is not None and o.value}

    def non_empty(self, name: str) -> list[str]:
        return [o.value for o in self.occurrences.get(name, []) if o.value]

    def holds_twilio_values(self) -> list[str]:
        return [n for n in self.occurrences if n.startswith("TWILIO_") and self.non_empty(n)]

    def file_mode(self) -> str | None:
        # Both markers (two files pasted together): answer "live", the reading that protects more.
        return next((m for m in ("live", "sandbox") if m in self.markers), None)

    def render(self, changes: dict[str, str], drop: frozenset[str] = frozenset()) -> str:
        """The file with ``changes`` set (one line each, where the counting occurrence was) and
        every other occurrence of those names, and every occurrence of ``drop``, removed."""
        keep = {name: self.counting(name) for name in changes}
        out: list[str] = []
        for index, binding in enumerate(self.bindings):
            original = binding.original.string
            name = binding.key
            if name is None or (name not in changes and name not in drop):
                out.append(original)
                continue
            out.append(_leading_lines(original))
            kept = keep.get(name)
            if kept is not None and kept.index == index:
                export = _EXPORT.match(original)
                prefix = export.group(1) if export else ""
                out.append(prefix + format_line(name, changes[name]))
        text = "".join(out)
        if text and not text.endswith(("\n", "\r")):
            text += "\n"
        return text + "".join(
            format_line(name, value)
            for name, value in changes.items()
            if name not in self.occurrences
        )
