"""Step 07 (optional, after the hand-off): rotate the API key without Postman ever holding a
revoked one. A colleague leaves, a secret may have leaked, a yearly policy: the order is always
new key, prove it, put it in Postman, and only then revoke the old one.

- Phase one (``phases.begin``, ``make_new_key``, ``check_new_pair``, ``prove_like_postman``): the
  current pair checked when it works, the old key's SID kept in the record, a new key of the same
  type (Standard or Restricted, as step 02 made it) created through step 02's create-once and
  rescue machinery with its secret saved at once (the credential store keeps the old pair in a
  dated backup), the new pair checked, and proved the way Postman uses it (``check``). The panel
  says where the new values go for the Postman in use (``where``: legacy or v2).
- Phase two (``postman_updated``): the officer's word journalled, the new pair checked again, the
  old key revoked.
- A run stopped anywhere goes on where it stopped (``state``): never a second new key; keys made
  by a create whose answer was lost, and keys the runbook never made, are reported.

``rotate_key`` does the step (``step``), ``form`` builds its ipywidgets form and ``panel`` shows
its result.
"""

from __future__ import annotations

from .check import ROTATION_BODY, CheckOutcome
from .form import RotateForm, form
from .job import RotationResult
from .panel import panel, where_panel
from .state import CREATING, FINISHED, NEW_KEY_SAVED, WAITING, Rotation, rotation_state
from .step import STEP, rotate_key
from .where import LEGACY, V2, new_label, postman_in_use, where_values_go

__all__ = [
    "CREATING",
    "FINISHED",
    "LEGACY",
    "NEW_KEY_SAVED",
    "ROTATION_BODY",
    "STEP",
    "V2",
    "WAITING",
    "CheckOutcome",
    "RotateForm",
    "Rotation",
    "RotationResult",
    "form",
    "new_label",
    "panel",
    "postman_in_use",
    "rotate_key",
    "rotation_state",
    "where_panel",
    "where_values_go",
]
