"""Change plans: what a run would read, reuse, create, buy and send, before anything happens.

``run --plan`` reads the account with GET requests only (``survey``: a runbook whose Twilio
clients refuse anything else before it is sent, and whose env file and progress record refuse
every write), asks each step what it would do (``make``: the steps' own ``preview`` functions,
built on the look-ups the steps themselves use, so the plan and the run decide the same way),
and writes ``plan-<UTC>.json`` and ``plan-<UTC>.md`` into the state folder (``document``).
``run --apply PLAN.json`` makes it again, refuses it if anything changed, then runs with a guard
that lets through only the approved changes (``apply``).

Not to be confused with ``runner.plan``, which picks the steps a run takes: this package is about
what those steps would change in Twilio.
"""

from __future__ import annotations

from .model import ACTIONS, CHANGING, KINDS, Action, ChangePlan

__all__ = ["ACTIONS", "CHANGING", "KINDS", "Action", "ChangePlan"]
