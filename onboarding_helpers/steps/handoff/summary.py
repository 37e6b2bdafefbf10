"""What a headless run prints once step 06 has run (the registry's ``after_run``): the hand-off
card for the Postman in use, the secret masked, and where the run report is."""

from __future__ import annotations

from ...report import handoff_summary as summary

__all__ = ["summary"]
