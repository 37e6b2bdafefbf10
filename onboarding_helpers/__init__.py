"""Postman SMS onboarding runbook: the package behind the notebooks.

Kept light on import: Twilio, papermill and widgets load only when a step needs them.
"""

__version__ = "0.1.0"
