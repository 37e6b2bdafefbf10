"""What each Twilio error code means for the officer: what happened, which field to fix, what to do.

Codes follow Twilio's error pages (https://www.twilio.com/docs/errors/CODE); steps reword the
ones they meet in their own terms, and every other step falls back on this table.
"""

from __future__ import annotations

# code -> (what happened, field to fix or None, what to do)
ADVICE: dict[int, tuple[str, str | None, str]] = {
    20003: (
        "Twilio did not accept these credentials.",
        None,
        "Check the SID and its secret or token: copy them again from the Twilio console.",
    ),
    20005: (
        "This Twilio account is not active.",
        "Account SID",
        "Ask your Twilio account owner or Twilio support to reactivate it.",
    ),
    20404: (
        "Twilio could not find this resource.",
        None,
        "Check the SID you entered belongs to this account.",
    ),
    20429: ("Twilio is limiting how fast requests are made.", None, "Wait a minute and run again."),
    21211: ("The phone number is not valid.", "test_phone", "Write it with +65 and 8 digits."),
    21408: (
        "Messaging Geo Permissions do not allow this destination country.",
        "test_phone",
        "Enable the country in Messaging > Settings > Geo permissions, or use a Singapore number.",
    ),
    21404: (
        "Trial accounts cannot do this (for example, own more than one phone number).",
        "Account SID",
        "Upgrade the account (Billing > Manage Billing > Upgrade) as the onboarding guide asks.",
    ),
    21421: ("That phone number is not valid for this account.", None, "Pick another number."),
    21422: (
        "That phone number is no longer available to buy.",
        "phone_number",
        "Run the step again: it searches again and offers other numbers. Nothing was bought.",
    ),
    21606: (
        "The sender is not able to send messages.",
        "messaging_service",
        "Add the Sender ID (and a number for foreign recipients) to the service's sender pool.",
    ),
    21608: (
        "Trial accounts can only send to verified numbers.",
        "Account SID",
        "Upgrade the account (Billing > Upgrade) as the onboarding guide asks.",
    ),
    21610: (
        "This recipient has replied STOP to your sender.",
        "test_phone",
        "Use another phone, or reply START from it.",
    ),
    21612: (
        "Twilio cannot reach this number from the senders in the Messaging Service.",
        "test_phone",
        "Countries differ: some take your Sender ID, some only once registered there, the US and"
        " Canada only a number (the US a registered one). Step 04a (foreign_countries) says more.",
    ),
    21657: (
        "This Sender ID is not supported, or not registered, for the destination country.",
        "test_phone",
        "Register the Sender ID for that country in the console (Sender ID registration), or send"
        " from a sender it takes; step 04a (foreign_countries) says what each country needs.",
    ),
    21614: (
        "The number is not a mobile number.",
        "test_phone",
        "Use a mobile number (Singapore mobiles start with 8 or 9).",
    ),
    21701: (
        "The Messaging Service does not exist.",
        "Messaging Service SID",
        "Copy the MG... SID from the service's Properties page, or run step 04 again.",
    ),
    21703: (
        "The Messaging Service has no senders.",
        "Messaging Service SID",
        "Add the Sender ID to the sender pool (step 04).",
    ),
    21705: ("The Messaging Service settings are invalid.", None, "Check the use case and name."),
    21709: (
        "Alpha senders are not enabled for this account, or Twilio does not take the ID's format.",
        "Sender ID",
        "Turn on Messaging > Settings > General > Alphanumeric Sender ID (Trial accounts: upgrade);"
        " if it is on, check the format: 1-11 letters, digits, spaces, as registered with SGNIC.",
    ),
    21710: (
        "That phone number is already in this Messaging Service.",
        None,
        "Nothing to do: the number is in the sender pool.",
    ),
    21711: ("That sender is not in this Messaging Service.", None, "Add it in step 04."),
    21712: (
        "That phone number already belongs to another Messaging Service.",
        None,
        "Remove it from the other service in the console, or buy another number.",
    ),
    21714: (
        "The Messaging Service's sender pool has reached its size limit.",
        "messaging_service_name",
        "Remove a sender you no longer need from its Sender Pool (one alpha sender per service).",
    ),
    21715: ("That phone number cannot send SMS.", None, "Buy a number with SMS capability."),
    30002: (
        "The account is suspended, most often because its prepaid balance ran out.",
        "Account SID",
        "Add funds in the console (Billing), and set up auto-recharge or a balance notification"
        " there so a campaign does not stop halfway; then send again.",
    ),
    30034: (
        "US carriers blocked the message: it came from a US number that is not registered for"
        " application-to-person SMS.",
        "test_phone",
        "Register the number for A2P 10DLC (a brand and a campaign in the console's Regulatory"
        " Compliance) or use a verified toll-free number before sending to US phones.",
    ),
    70051: (
        "The API key is not allowed to make this request: its policy does not include the"
        " permission it needs.",
        "API key SID",
        "Use a key whose policy allows it (step 07 makes one of the runbook's kind), or add the"
        " permission to the key's policy in the console.",
    ),
    30003: (
        "The phone could not be reached (switched off or out of coverage).",
        "test_phone",
        "Check the phone is on and has signal, then send the test again.",
    ),
    30004: (
        "The message was blocked: the recipient's phone or network refuses it.",
        "test_phone",
        "Check the phone does not block unknown senders, or test with another phone.",
    ),
    30005: (
        "The number does not exist or is no longer in service.",
        "test_phone",
        "Check the number; use your own mobile.",
    ),
    30006: (
        "The number is a landline or its network cannot receive SMS.",
        "test_phone",
        "Use a mobile number (Singapore mobiles start with 8 or 9).",
    ),
    30007: (
        "The message was filtered by the carrier.",
        "Sender ID",
        "In Singapore this usually means the Sender ID is not registered with SGNIC, not yet"
        " mapped to your account by Twilio, or owned by another agency. Check your SSIR approval"
        " and Twilio's Sender ID mapping.",
    ),
    30008: ("The message could not be delivered (unknown error).", None, "Try again later."),
}
STATUS_ADVICE = {
    401: ADVICE[20003],
    404: ADVICE[20404],
    429: ADVICE[20429],
}
