"""Step 04's panels: the service as the console's Properties page shows it; the Sender ID check."""

from __future__ import annotations

from ...display import Panel
from ...validation import sender_id_problems
from .step import MessagingServiceResult


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
        f"'{result.sender_id}' must equal the Sender ID registered with SGNIC, character for"
        " character (letter case included). Step 05 sends a test SMS to prove it arrives.",
    ]
    return Panel(
        "ok",
        "Messaging Service ready: this is your Messaging Service SID.",
        rows=[
            ("Messaging Service SID", result.service_sid),
            ("Service friendly name", result.friendly_name),
            ("Use case", result.usecase),
            *pool,
        ],
        notes=notes,
    )


def sender_id_panel(value: str) -> Panel:
    """The Sender ID against Twilio's and SGNIC's rules: each broken rule on its own line."""
    problems = sender_id_problems(value)
    if problems:
        return Panel(
            "error",
            f"Sender ID {value!r} breaks {len(problems)} rule(s):",
            notes=[f"✖ {p}" for p in problems]
            + ["It must equal the ID your agency registered with SGNIC, character for character."],
        )
    return Panel(
        "ok",
        f"Sender ID '{value}' follows Twilio's and SGNIC's rules.",
        notes=[
            "Check it is exactly the ID on your SGNIC (SSIR) approval, letter case included:"
            " the runbook cannot see SGNIC's registry."
        ],
    )
