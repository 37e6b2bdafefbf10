"""Step 01: the Account SID, checked with the Auth Token by fetching the account, and its balance.

``check_account`` does the step (``step.py``), ``form`` builds its ipywidgets form (``form.py``)
and ``panel`` shows its result (``panel.py``).
"""

from __future__ import annotations

from .form import AccountForm, form
from .panel import panel
from .step import PUT_AWAY_ADVICE, AccountResult, check_account

__all__ = ["PUT_AWAY_ADVICE", "AccountForm", "AccountResult", "check_account", "form", "panel"]
