"""What the key Postman holds may read, found out with GET requests only.

Every read is signed with the API key, as Postman signs. A refusal of the credentials themselves
(20003) or of the account (20005) means nothing can be read: the step fails, naming the values to
check. A Restricted key's policy refusing a read (70051) is a finding: the permission is noted
and the check goes on without what it could not read.

Which kind the key is: the journal knows when the runbook made it (step 02 or 07). Otherwise a
refusal shows a Restricted key, and where none came, one more read that a Standard key may make
and the runbook's Restricted policy does not allow (listing the account's numbers) tells them
apart. No key can read its own policy (only the Auth Token or a Main key may use the Keys
resources), and Postman's one call, sending, cannot be tried without sending: a read-only check
can only name the permissions it saw refused, and say what proves the send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ...errors import StepBlocked, TwilioActionError
from ...journal import HandoffRecord, KeyCreated, RotationRecord
from ...runbook import Runbook
from ...twilio_gateway import call
from ...validation import API_KEYS_CONSOLE
from ..registry import HANDOFF, ROTATE_KEY
from .values import PAIR_FIELDS, PostmanValues

T = TypeVar("T")
STANDARD = "standard"
RESTRICTED = "restricted"
POLICY_REFUSED = 70051


class Refused:
    """What a read returns when the key's policy refused it (the permission is noted)."""


REFUSED = Refused()


@dataclass
class Access:
    """The reads the key was refused, by permission, and what the check knows of the key."""

    values: PostmanValues
    refused: dict[str, str] = field(default_factory=dict)  # permission -> what it was for
    key_type: str = ""  # "standard" or "restricted"; "" until known
    how_known: str = ""

    def read(
        self, action: str, permission: str, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T | Refused:
        """One GET with the key: its answer, or REFUSED when the policy does not allow it."""
        try:
            return call(action, fn, *args, **kwargs)
        except TwilioActionError as err:
            if err.code == POLICY_REFUSED and not err.served_by:
                self.refused[permission] = action
                self.key_type, self.how_known = RESTRICTED, "Twilio refused a read (error 70051)"
                return REFUSED
            raise cannot_read(err, self.values) from None


def cannot_read(err: TwilioActionError, values: PostmanValues) -> RunbookErrorLike:
    """The error that stops the check: which value to look at, and what to do."""
    if err.served_by:
        return err
    if err.code == 20003 or err.status == 401:
        err.field = PAIR_FIELDS
        err.message = (
            f"Twilio did not accept the API key {values.api_key_sid} with this secret for the"
            f" account {values.account_sid} (error 20003), so nothing could be read."
        )
        err.advice = (
            "One of these three values is not what Twilio holds: the secret may be wrong or cut"
            " short, the key may have been revoked in the console"
            f" ({API_KEYS_CONSOLE}), or it may belong to another account. Compare them with"
            " what Postman holds; a key whose secret is lost is replaced with step"
            f" {ROTATE_KEY.number}. If Postman holds these very values, its sends fail the"
            " same way."
        )
        return err
    if err.code == 20005:
        return StepBlocked(
            f"The account {values.account_sid} is not active, so Twilio refuses every request"
            " (error 20005): Postman cannot send either.",
            advice="A prepaid account is suspended when its balance runs out: add funds in"
            " Billing > Billing Overview. Otherwise ask the account owner or Twilio support to"
            " reactivate it. Then run this check again.",
            field="Account SID",
        )
    return err


RunbookErrorLike = TwilioActionError | StepBlocked


def key_type_known(rb: Runbook, key_sid: str) -> str:
    """The type the runbook made this key with, from the journal; "" when it did not make it."""
    for event in reversed(rb.progress.events(KeyCreated)):
        if event.key_sid == key_sid:
            return event.key_type or STANDARD
    return ""


def send_proven(rb: Runbook, key_sid: str) -> str:
    """When and how Postman's send was last proven with this very key (steps 06 and 07), or ""."""
    handoff: HandoffRecord = rb.progress.read(HANDOFF)
    if handoff.api_key_sid == key_sid and handoff.postman_check == "passed":
        return f"step {HANDOFF.number}'s Postman-equivalent send passed with it ({handoff.at})"
    rotation: RotationRecord = rb.progress.read(ROTATE_KEY)
    if rotation.new_key_sid == key_sid and rotation.check == "passed":
        return f"step {ROTATE_KEY.number}'s Postman-equivalent send passed with it ({rotation.at})"
    return ""
