"""Step 04's panels: the service as the console's Properties page shows it; the Sender ID check."""

from __future__ import annotations

from ...display import Panel
from ...validation import SENDER_ID_MATCH_REMINDER, sender_id_problems, sender_id_warnings
from ..registry import TEST_MESSAGE
from .step import MessagingServiceResult

# The guide's two signs that a Sender ID is registered to another organisation: Twilio cannot
# see SGNIC's registry, so adding it here may succeed all the same.
PROTECTED_ID_SIGNS = (
    "An ID registered by another organisation shows in one of two ways: an error on the"
    f" service's Sender Pool page, or a test SMS that never arrives ({TEST_MESSAGE.id})."
)


def panel(result: MessagingServiceResult) -> Panel:
    """Like the console's Properties page: the SID first, then name, use case and sender pool."""
    pool = [("Sender Pool", f"Alpha Sender  {result.sender_id}  ({result.alpha_sender_sid})")]
    pool += [("", f"Phone Number  {number}") for number in result.phone_numbers]
    if result.created_service:
        notes = ["Created the Messaging Service and added the Sender ID."]
    elif result.created_alpha_sender:
        notes = ["Reused the Messaging Service made earlier and added the Sender ID."]
    else:
        notes = ["The service and its Sender ID were already in place: nothing was created."]
    if result.attached_number:
        notes.append(f"Put the number {result.attached_number} into the sender pool.")
    notes += list(result.notes)
    notes += [
        "Saved in the env file as TWILIO_MESSAGING_SERVICE_SID. In Postman it goes into the"
        " field 'Messaging Service ID'.",
        f"'{result.sender_id}': {SENDER_ID_MATCH_REMINDER}",
        PROTECTED_ID_SIGNS,
    ]
    warned = bool(result.warnings)
    return Panel(
        "warn" if warned else "ok",
        "Messaging Service ready: this is your Messaging Service SID"
        + (", with a warning about the Sender ID." if warned else "."),
        rows=[
            ("Messaging Service SID", result.service_sid),
            ("Service friendly name", result.friendly_name),
            ("Use case", result.usecase),
            *pool,
        ],
        notes=[f"Warning: {w}" for w in result.warnings] + notes,
    )


def sender_id_panel(value: str) -> Panel:
    """The Sender ID against Twilio's and SGNIC's rules: each broken rule on its own line, then
    what we only suspect, as warnings."""
    problems = sender_id_problems(value)
    if problems:
        return Panel(
            "error",
            f"Sender ID {value!r} breaks {len(problems)} rule(s):",
            notes=[f"✖ {p}" for p in problems] + [SENDER_ID_MATCH_REMINDER],
        )
    warnings = sender_id_warnings(value)
    if warnings:
        return Panel(
            "warn",
            f"Sender ID '{value}' follows Twilio's and SGNIC's rules, with a warning:",
            notes=[f"! {w}" for w in warnings] + [SENDER_ID_MATCH_REMINDER],
        )
    return Panel(
        "ok",
        f"Sender ID '{value}' follows Twilio's and SGNIC's rules.",
        notes=[SENDER_ID_MATCH_REMINDER],
    )
