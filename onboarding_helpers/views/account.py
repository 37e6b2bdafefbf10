"""Step 01 panels."""

from __future__ import annotations

from typing import Any

from ..display import Panel


def account_panel(result: Any) -> Panel:
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
