"""Step 03: the secret key (guide 4.3). Shows where the API secret is kept, proves the key SID +
secret pair with one request its type of key may make (Standard or Restricted), and can keep a
copy in the OS keyring.

Modules: ``pair`` (the saved pair and the check Postman's sign-in makes, shared with step 02),
``os_keyring``, ``step`` (``check_secret``), ``form`` and ``panel``.
"""

from __future__ import annotations

from .form import SecretForm, form
from .os_keyring import KEYRING_SERVICE, KeyringStatus, keyring_get, keyring_status
from .pair import verify_pair
from .panel import keyring_panel, panel
from .step import STEP, SecretResult, check_secret

__all__ = [
    "KEYRING_SERVICE",
    "STEP",
    "KeyringStatus",
    "SecretForm",
    "SecretResult",
    "check_secret",
    "form",
    "keyring_get",
    "keyring_panel",
    "keyring_status",
    "panel",
    "verify_pair",
]
