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

# What each code on a campaign's messages means for the agency, read by step 08 from the message
# log: code -> (severity, Twilio's documented cause, what to do in Postman's terms). "fail": the
# set-up or the account stops messages; "warn": some recipients could not be reached. Causes are
# summarised from Twilio's error pages (https://www.twilio.com/docs/api/errors/CODE).
CAMPAIGN_ADVICE: dict[int, tuple[str, str, str]] = {
    21211: (
        "warn",
        "The 'To' number is not a valid phone number.",
        "Correct the numbers in the recipient list you upload to Postman (the campaign's CSV):"
        " a Singapore mobile is 8 digits starting with 8 or 9.",
    ),
    21408: (
        "fail",
        "Messaging Geo Permissions do not allow the destination country.",
        "Allow the country in the console (Messaging > Settings > Geo permissions), or take those"
        " recipients out of the Postman campaign.",
    ),
    21610: (
        "warn",
        "The recipient opted out: they replied STOP to this sender, and Twilio will not text them"
        " from it again until they reply START.",
        "Take these recipients off the campaign's list in Postman: Twilio refuses every further"
        " message to them (and does not charge). Only the recipient can opt back in, by replying"
        " START.",
    ),
    21612: (
        "fail",
        "No sender in the Messaging Service can reach the destination (e.g. an alphanumeric"
        " Sender ID to a country that takes none).",
        "Add a number for that country to the service's sender pool (step 04a says what each"
        " country needs), or take those recipients out of the Postman campaign.",
    ),
    21614: (
        "warn",
        "The 'To' number is not a mobile number (a landline cannot receive SMS).",
        "Replace landlines in the recipient list you upload to Postman with mobile numbers.",
    ),
    21703: (
        "fail",
        "The Messaging Service has no sender in its pool.",
        "Add your Sender ID to the service's sender pool (step 04) before Postman sends again.",
    ),
    30001: (
        "warn",
        "Twilio's queue for the sender overflowed: messages were sent faster than it can send.",
        "Send the campaign again later in smaller batches (Postman: split the recipient list).",
    ),
    30002: (
        "fail",
        "The account is suspended, most often because its prepaid balance ran out.",
        "Add funds in the console (Billing), set up auto-recharge and a low-balance"
        " notification, then send the campaign again to the recipients who did not get it.",
    ),
    30003: (
        "warn",
        "The recipient's phone was switched off or out of coverage (unreachable handset).",
        "Nothing is wrong with the set-up. Send to these recipients again later from Postman;"
        " persistent failures mean the numbers may be out of use.",
    ),
    30004: (
        "warn",
        "The recipient's phone or network blocks the message.",
        "Ask the recipients to allow messages from your Sender ID (some phones block unknown"
        " senders), or reach them another way.",
    ),
    30005: (
        "warn",
        "The destination number is unknown to its network: it may no longer exist.",
        "Remove or correct these numbers in the recipient list you upload to Postman; sending"
        " again will not help.",
    ),
    30006: (
        "warn",
        "The number is a landline or its network cannot receive SMS.",
        "Replace these numbers with mobile numbers in the recipient list you upload to Postman.",
    ),
    30007: (
        "fail",
        "The carrier filtered the message. In Singapore this usually means the Sender ID is not"
        " registered with SGNIC, not yet mapped to the account by Twilio, or another"
        " organisation's (protected).",
        "Check the Sender ID in the service's sender pool is exactly the one your agency"
        " registered with SGNIC (SSIR), and that Twilio has mapped it to this account; for"
        " Postman v2 it must also match the campaign's Expected Sender Name.",
    ),
    30008: (
        "warn",
        "An unknown error from the carrier or handset.",
        "Send to these recipients again later from Postman. If it persists, give Twilio support"
        " a few message SIDs from the console (Monitor > Logs > Messaging).",
    ),
    30034: (
        "fail",
        "US carriers blocked a message from a US number that is not registered for A2P 10DLC.",
        "Register the number (a brand and a campaign in Messaging > Regulatory Compliance) or"
        " use a verified toll-free number before Postman sends to US phones.",
    ),
}
CAMPAIGN_DEFAULT = (
    "warn",
    "Twilio reported this error on the messages.",
    "Look the code up on Twilio's error page and check a few of the messages in the console"
    " (Monitor > Logs > Messaging).",
)
