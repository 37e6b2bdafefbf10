"""The hand-off card: the four values under Postman's labels, the secret only masked.

The card follows the Postman in use (``which_postman``). Legacy Postman: a credential label and
the four values under Settings > Credentials, plus the mobile number its test SMS goes to. Postman
v2: the same four values in each campaign (channel type Internal Staff) and the registered Sender
ID as the Expected Sender Name; no label.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...credentials import mask
from ...which_postman import CHANNEL_TYPE, LEGACY, V2

# The form labels Postman shows for the four values (the same in both Postmans).
POSTMAN_LABELS = ("Account SID", "API Key SID", "API Secret", "Messaging Service ID")

# Legacy Postman: Settings > Credentials.
CHECKLIST = (
    "Sign in to legacy Postman (legacy.postman.gov.sg) and open Settings > Credentials.",
    "Under SMS, add a new credential. Label: '{label}' (lowercase letters, digits and dashes,"
    " at most 50 characters). It must differ from every label you already saved: Postman"
    " refuses one it has seen with 'Label already exists'.",
    "Fill the four fields with the values above, each under the same name: Account SID, API Key"
    " SID, API Secret, Messaging Service ID. Take the API Secret from the env file (or the form's"
    " Copy button, which copies it unseen); never send it by email or chat.",
    "Type your own mobile number as Postman's field takes it, without spaces: {phone}. Postman"
    " sends it a test SMS (billed, like any SMS) and saves the credential only if Twilio accepts"
    " that SMS. If not, Postman shows Twilio's own words: 'Authenticate' means the API Key SID and"
    " API Secret do not belong together.",
    "Check the SMS arrives on your phone showing your Sender ID.",
    "A saved credential cannot be edited, and deleting it cannot be undone: to change a value,"
    " add a new credential under a new label.",
)

# Postman v2: the values go into each campaign.
CHECKLIST_V2 = (
    "Sign in to Postman (postman.gov.sg) and create a campaign. As its channel type choose"
    f" '{CHANNEL_TYPE}', then scroll down to the Twilio fields.",
    "Fill the four fields with the values above, each under the same name: Account SID, API Key"
    " SID, API Secret, Messaging Service ID. Take the API Secret from the env file (or the form's"
    " Copy button, which copies it unseen); never send it by email or chat.",
    "Under Expected Sender Name, type your registered Sender ID exactly as registered: {sender}.",
    "Postman v2 keeps no credential label and sends no test SMS when you enter the values: the"
    " check above is the proof that they work. Send your first campaign to yourself ({phone},"
    " written without spaces) before your colleagues.",
    "The values belong to the campaign: enter them again for each new Internal SMS campaign.",
    "Campaign reports count 'sent' as success even when the carrier never confirms delivery;"
    " ask a few recipients whether the SMS arrived showing your Sender ID.",
)


@dataclass(frozen=True)
class HandoffCard:
    """The four values under Postman's labels, for the Postman in use. Holds the secret only
    masked. ``label``: legacy's credential label ("" for v2). ``test_number``: the officer's
    mobile as Postman takes it (no spaces), when one was given. ``balance``: the prepaid balance
    step 01 read (Twilio stops sending when it runs out)."""

    label: str
    account_sid: str
    api_key_sid: str
    api_secret_masked: str
    messaging_service_sid: str
    sender_id: str | None = None
    postman: str = LEGACY
    test_number: str = ""
    balance: str = ""  # "USD 50.00" as step 01 last read it; empty when unknown
    balance_low: bool = False

    def rows(self) -> list[tuple[str, str]]:
        values = [
            ("Account SID", self.account_sid),
            ("API Key SID", self.api_key_sid),
            ("API Secret", self.api_secret_masked),
            ("Messaging Service ID", self.messaging_service_sid),
        ]
        if self.postman == V2:
            rows = [("Channel type", CHANNEL_TYPE), *values]
            rows.append(("Expected Sender Name", self.sender_id or "(your registered Sender ID)"))
        else:
            rows = [("Credential label", self.label), *values]
        if self.test_number:
            rows.append(("Your mobile (as Postman takes it)", self.test_number))
        if self.balance:
            rows.append(("Balance (when step 01 ran)", self.balance))
        return rows

    def checklist(self) -> list[str]:
        phone = self.test_number or "e.g. +6581234567"
        sender = f"'{self.sender_id}'" if self.sender_id else "the ID in your SSIR approval"
        items = CHECKLIST_V2 if self.postman == V2 else CHECKLIST
        return [item.format(label=self.label, phone=phone, sender=sender) for item in items]


def make_card(
    label: str, values: tuple[str, str, str, str], postman: str = LEGACY, test_number: str = ""
) -> HandoffCard:
    """The card for ``postman_values``' four values; the secret goes in masked only. The Sender
    ID is added once the check has found it. Postman v2 takes no label: ``label`` is dropped."""
    account_sid, key_sid, secret, service_sid = values
    return HandoffCard(
        label="" if postman == V2 else label,
        account_sid=account_sid,
        api_key_sid=key_sid,
        api_secret_masked=mask(secret),
        messaging_service_sid=service_sid,
        postman=postman,
        test_number=test_number,
    )
