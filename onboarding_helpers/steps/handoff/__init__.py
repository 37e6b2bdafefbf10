"""Step 06: prove the four values work the way Postman uses them, then hand them over.

The Postman-equivalent check (``postman.py``) makes Postman's own call: the API key and secret,
scoped to the Account SID (never the Auth Token), sending with ``From`` = the Messaging Service
SID. The message is then followed to a final status, as in step 05, because Postman would save
values whose messages never arrive. Without ``test_phone`` nothing is sent (the step is recorded
as skipped) and a request that costs nothing stands in: the same client fetches the Messaging
Service, which proves the key, secret, account and service belong together but not that a
message can go out.

Either way the step ends with the hand-off card (``card.py``: the four values under Postman's
labels, the secret masked, and a credential label by Postman's rule from ``label.py``) and the run
report. ``hand_off`` does the step (``step.py``), ``form`` builds its ipywidgets form with the
transient secret reveal (``form.py``) and ``panel`` shows its result (``panel.py``).
"""

from __future__ import annotations

from .card import CHECKLIST, POSTMAN_LABELS, HandoffCard, make_card
from .form import DEFAULT_REVEAL_SECONDS, HandoffForm, form, secret_reveal
from .label import (
    DEFAULT_LABEL,
    LABEL_MAX,
    LABEL_RULE,
    default_label,
    suggest_label,
    validate_label,
)
from .panel import PanelGroup, card_panel, checklist_panel, panel, report_panel
from .postman import POSTMAN_BODY, as_postman_failure, postman_values
from .step import STEP, HandoffResult, hand_off

__all__ = [
    "CHECKLIST",
    "DEFAULT_LABEL",
    "DEFAULT_REVEAL_SECONDS",
    "LABEL_MAX",
    "LABEL_RULE",
    "POSTMAN_BODY",
    "POSTMAN_LABELS",
    "STEP",
    "HandoffCard",
    "HandoffForm",
    "HandoffResult",
    "PanelGroup",
    "as_postman_failure",
    "card_panel",
    "checklist_panel",
    "default_label",
    "form",
    "hand_off",
    "make_card",
    "panel",
    "postman_values",
    "report_panel",
    "secret_reveal",
    "suggest_label",
    "validate_label",
]
