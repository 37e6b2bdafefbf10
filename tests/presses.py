"""Pressing a form's ``SecretRow`` in-process, as the page does: one custom message on the
widget's comm, ``{"press": button, "values": {field: typed}}`` (what the row's script sends)."""

from __future__ import annotations

from onboarding_helpers.secret_row import SecretRow


def press(row: SecretRow, button: str, **typed: str) -> None:
    """Press ``button`` with ``typed`` in the fields (by name), through the widget's message
    handling (``Widget._handle_msg``, where the kernel's comm delivers the page's message)."""
    content = {"press": button, "values": typed}
    row._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})
