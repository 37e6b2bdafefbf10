"""Step 06: prove the four values work the way Postman uses them, then hand them over.

The Postman-equivalent check (``postman.py``) makes Postman's own call: the API key and secret,
scoped to the Account SID (never the Auth Token), sending with ``From`` = the Messaging Service
SID. The message is then followed to a final status, as in step 05, because Postman would save
values whose messages never arrive. Without ``test_phone`` nothing is sent (the step is recorded
as skipped) and a request that costs nothing stands in: the same client fetches the Messaging
Service, which proves the key, secret, account and service belong together but not that a
message can go out.

Either way the step ends with the hand-off card (``card.py``: the four values under Postman's
labels, the secret masked, for the Postman step 00 recorded: legacy's credential label by
Postman's rule from ``label.py``, or v2's Internal Staff channel and Expected Sender Name) and the
run report. The Auth Token can then be put away (``auth_token.py``: ``forget_auth_token`` or the
form's button). ``hand_off`` does the step (``step.py``), ``form`` builds its ipywidgets form with
the transient secret reveal (``form.py``) and ``panel`` shows its result (``panel.py``).
"""

from __future__ import annotations

from .auth_token import TokenRemoval, keep_or_remove_note, removal_panel, remove_auth_token
from .card import CHANNEL_TYPE, CHECKLIST, CHECKLIST_V2, POSTMAN_LABELS, HandoffCard, make_card
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
from .step import BRIEF_FOLLOW_SECONDS, STEP, HandoffResult, hand_off

__all__ = [
    "BRIEF_FOLLOW_SECONDS",
    "CHANNEL_TYPE",
    "CHECKLIST",
    "CHECKLIST_V2",
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
    "TokenRemoval",
    "as_postman_failure",
    "card_panel",
    "checklist_panel",
    "default_label",
    "form",
    "hand_off",
    "keep_or_remove_note",
    "make_card",
    "panel",
    "postman_values",
    "removal_panel",
    "remove_auth_token",
    "report_panel",
    "secret_reveal",
    "suggest_label",
    "validate_label",
]
