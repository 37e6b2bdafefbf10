"""Errors the runbook shows to an officer.

Every message here is safe to print: callers must never put a secret into one.
Each error says what happened and what to do next.
"""

from __future__ import annotations


class RunbookError(Exception):
    """Base class: a problem the officer can act on.

    ``advice`` is the next thing to do; ``field`` names the input to fix, if any.
    """

    def __init__(self, message: str, *, advice: str = "", field: str | None = None) -> None:
        self.message = message
        self.advice = advice
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = self.message
        if self.field and self.field not in text:
            text += f" (field: {self.field})"
        return f"{text} {self.advice}".strip()


class InputError(RunbookError, ValueError):
    """An input failed validation. Nothing was written and nothing was created."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}", advice=fix, field=field)


class TwilioActionError(RunbookError):
    """Twilio refused or failed an action; ``advice`` says what to change."""

    def __init__(
        self,
        message: str,
        *,
        advice: str = "",
        field: str | None = None,
        code: int | None = None,
        status: int | None = None,
        more_info: str | None = None,
        served_by: str | None = None,
    ) -> None:
        self.code = code
        self.status = status
        self.more_info = more_info
        # Set when a live request went to a server that is not Twilio (a base URL override).
        self.served_by = served_by
        super().__init__(message, advice=advice, field=field)

    def __str__(self) -> str:
        text = super().__str__()
        if self.more_info:
            text += f" (Twilio's page on this error: {self.more_info})"
        return text


class StepBlocked(RunbookError):
    """The step cannot go on until the officer does something outside the runbook."""


class StateLocked(RunbookError):
    """Another run holds the state folder."""
