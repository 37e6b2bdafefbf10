"""Step 01's result panel."""

from __future__ import annotations

from ...display import Panel
from .step import AccountResult


def panel(result: AccountResult) -> Panel:
    """The checked account: the one Postman will send from."""
    return Panel(
        "ok",
        "Account checked: this is the account Postman will send from.",
        rows=[
            ("Account SID", result.account_sid),
            ("Name", result.friendly_name),
            ("Status", result.status),
            ("Type", result.type),
        ],
        notes=["The Account SID and Auth Token are saved in the env file."],
    )
