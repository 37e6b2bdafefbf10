"""The four values Postman holds, and nothing else: where the health check takes them from.

From the env file (a set-up the runbook made), or typed in the form (a set-up made by hand): each
typed value wins over the env file's, and is used for this check only, never saved (the check
writes nothing to the env file). The Auth Token is never read: Postman does not have it.
Headless runs read the env file only, since a secret is never a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...credentials import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, MESSAGING_SERVICE_SID
from ...errors import InputError
from ...runbook import Runbook
from ...validation import (
    validate_account_sid,
    validate_api_key_sid,
    validate_api_secret,
    validate_messaging_service_sid,
)
from ..registry import ACCOUNT, API_KEY, MESSAGING_SERVICE, SECRET_KEY

if TYPE_CHECKING:
    from twilio.rest import Client

# The fields as the form and the errors name them, the env file's names, and which step saves them.
FIELDS = (
    ("Account SID", ACCOUNT_SID, ACCOUNT),
    ("API key SID", API_KEY_SID, API_KEY),
    ("API secret", API_KEY_SECRET, SECRET_KEY),
    ("Messaging Service SID", MESSAGING_SERVICE_SID, MESSAGING_SERVICE),
)
PAIR_FIELDS = "Account SID / API key SID / API secret"


@dataclass(frozen=True)
class PostmanValues:
    """The four values, checked for shape. ``typed``: the names of those typed in the form."""

    account_sid: str
    api_key_sid: str
    api_secret: str = field(repr=False)  # used to sign requests; never shown or written
    service_sid: str
    typed: tuple[str, ...] = ()

    def client(self, rb: Runbook, step: str) -> Client:
        """A client signed the way Postman signs: the API key, scoped to the account."""
        return rb.client_with_key(self.account_sid, self.api_key_sid, self.api_secret, step)


def _one(
    rb: Runbook, saved: dict[str, str], name: str, variable: str, typed: object, made_by: str
) -> tuple[str, bool]:
    text = typed.strip() if isinstance(typed, str) else ""
    if text:
        return text, True
    value = saved.get(variable, "")
    if not value:
        raise InputError(
            name,
            f"is not in the env file {rb.store.path} and was not typed in the form.",
            f"Type the value Postman holds in the form's {name} field, or let step {made_by}"
            " save it in the env file.",
        )
    return value, False


def postman_values(
    rb: Runbook,
    account_sid: object = "",
    api_key_sid: object = "",
    api_secret: object = "",
    service_sid: object = "",
) -> PostmanValues:
    """The values to check: each typed one, else the env file's; InputError naming the field
    when one is missing or malformed (nothing is sent then)."""
    saved = rb.store.values()
    given = (account_sid, api_key_sid, api_secret, service_sid)
    picked = [
        _one(rb, saved, name, variable, typed, step.id)
        for (name, variable, step), typed in zip(FIELDS, given, strict=True)
    ]
    typed_names = tuple(f[0] for f, (_, typed) in zip(FIELDS, picked, strict=True) if typed)
    return PostmanValues(
        account_sid=validate_account_sid(picked[0][0]),
        api_key_sid=validate_api_key_sid(picked[1][0]),
        api_secret=validate_api_secret(picked[2][0]),
        service_sid=validate_messaging_service_sid(picked[3][0]),
        typed=typed_names,
    )
