"""The hand-off card: the four values under Postman's labels, the secret only masked."""

from __future__ import annotations

from dataclasses import dataclass

from ...credentials import mask

# The form labels Postman shows for the four values.
POSTMAN_LABELS = ("Account SID", "API Key SID", "API Secret", "Messaging Service ID")

CHECKLIST = (
    "Sign in to Postman (postman.gov.sg) and open Settings > Credentials.",
    "Under SMS, add a new credential. Label: '{label}' (lowercase letters, digits and dashes,"
    " at most 50 characters).",
    "Fill the four fields with the values above, each under the same name: Account SID, API Key"
    " SID, API Secret, Messaging Service ID. Take the API Secret from the env file (or the form's"
    " reveal button); never send it by email or chat.",
    "Type your own mobile number. Postman sends it a test SMS (billed, like any SMS) and saves"
    " the credential only if Twilio accepts that SMS. If not, Postman shows Twilio's own words:"
    " 'Authenticate' means the API Key SID and API Secret do not belong together.",
    "Check the SMS arrives on your phone showing your Sender ID.",
    "A saved credential cannot be edited, and deleting it cannot be undone: to change a value,"
    " add a new credential under a new label.",
)


@dataclass(frozen=True)
class HandoffCard:
    """The four values under Postman's labels. Holds the secret only masked."""

    label: str
    account_sid: str
    api_key_sid: str
    api_secret_masked: str
    messaging_service_sid: str
    sender_id: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Credential label", self.label),
            ("Account SID", self.account_sid),
            ("API Key SID", self.api_key_sid),
            ("API Secret", self.api_secret_masked),
            ("Messaging Service ID", self.messaging_service_sid),
        ]

    def checklist(self) -> list[str]:
        return [item.format(label=self.label) for item in CHECKLIST]


def make_card(label: str, values: tuple[str, str, str, str]) -> HandoffCard:
    """The card for ``postman_values``' four values; the secret goes in masked only. The Sender
    ID is added once the check has found it."""
    account_sid, key_sid, secret, service_sid = values
    return HandoffCard(
        label=label,
        account_sid=account_sid,
        api_key_sid=key_sid,
        api_secret_masked=mask(secret),
        messaging_service_sid=service_sid,
    )
