"""Step 02: the API key Postman signs in with (guide 4.2): Standard, as both Postman guides ask,
or on request (``api_key_type`` "restricted") a Restricted key whose policy holds only what
Postman's sends and the runbook's checks need (``policy``).

The secret is the one value Twilio shows once. So:

- ``set_up_api_key`` writes it to the env file in the same call that receives it (``create``),
  before anything else can fail. If that write fails, the secret goes to a rescue file beside the
  env file (mode 0600) or, in a form, to a one-time panel; the key is journalled as existing
  without a saved secret, and the error says loudly what to do (``rescue``). If it could be kept
  nowhere, nobody holds the secret, so the useless key is revoked at once. The next run moves a
  kept secret into place (``restore``).
- Re-running is safe: a saved pair that Twilio accepts is reused (one request, nothing created).
  Keys the runbook created whose secret the env file does not hold ("orphans") and keys whose
  create answer was lost are reported, and revoked only on request; keys step 07 replaced are
  reported and left to 07 (``leftovers``).
- Replacing a key (lost or leaked secret, a colleague leaving, a yearly policy) is step 07's, the
  one rotation path; this package lends it the create-once, rescue and history machinery.
- Lost answers: every create is journalled as an intent first. If the answer never comes, or the
  run is killed before the secret is saved, Twilio may have made a key whose secret nobody will
  ever see: the keys are listed, any key of that name the runbook does not know is journalled as
  an orphan and offered for revoking, and a new key is made (``history``).
- A pair typed in a form is checked with Twilio before it is saved; a pair that fails is never
  reported as saved and good (``ways``).

Requests: a fresh run costs two (list keys, create); a re-run costs one (the check). Keys are
listed again only when the journal names a key to look for.

Step 03 (``secret_key``) checks the pair; this step reuses its check (``verify_pair``).
"""

from __future__ import annotations

from .create import create_key
from .form import ApiKeyForm, form
from .keys import KeyInfo, list_account_keys, list_keys
from .leftovers import Leftovers, revoke_orphans
from .panel import keys_panel, panel, revoked_panel, unsaved_secret_panel
from .policy import KEY_TYPES, POSTMAN_PERMISSIONS, postman_policy, validate_key_type
from .rescue import SecretNotSaved, UnsavedSecretHandler
from .step import SOURCES, STEP, default_key_name, set_up_api_key, validate_key_name
from .ways import ApiKeyResult

__all__ = [
    "KEY_TYPES",
    "POSTMAN_PERMISSIONS",
    "SOURCES",
    "STEP",
    "ApiKeyForm",
    "ApiKeyResult",
    "KeyInfo",
    "Leftovers",
    "SecretNotSaved",
    "UnsavedSecretHandler",
    "create_key",
    "default_key_name",
    "form",
    "keys_panel",
    "list_account_keys",
    "list_keys",
    "panel",
    "postman_policy",
    "revoke_orphans",
    "revoked_panel",
    "set_up_api_key",
    "unsaved_secret_panel",
    "validate_key_name",
    "validate_key_type",
]
