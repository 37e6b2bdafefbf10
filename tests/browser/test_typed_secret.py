"""A secret typed into a form never reaches the saved notebook, with JupyterLab saving widget state.

The test server saves widget state into notebooks (``saveState``, see ``conftest.py``), as an
officer may have set it. The officer types, key by key, an Auth Token into step 01's form and an
API secret into step 02's (a key made in the console), and saves with Ctrl+S before pressing
anything: the saved ``.ipynb`` holds the forms' widget state but not what was typed. Then the
button (or Enter) sends what was typed to the kernel, which answers, the field is empty, and the
file saved again still does not hold it. The page's HTML and the work folder are searched too.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

from ..secret_audit import leaks
from .conftest import Server
from .test_lab_walk import LabWalker
from .walk import Choose, Cleared, Press, Shows, Type, visible_errors

pytestmark = pytest.mark.browser

SID = "AC" + "0" * 32  # well-formed: the form gets as far as the Auth Token


def _saved_with_state(walker: LabWalker, name: str, opened: float, label: str) -> str:
    """Ctrl+S; the saved file's text, once it is known to hold the form's widget state."""
    # Out of the field first: a form field keeps its keys to itself (no notebook shortcuts).
    walker.page.evaluate("document.activeElement && document.activeElement.blur()")
    walker.save(name, opened)
    text = (walker.lab.work.notebooks / f"{name}.ipynb").read_text()
    state = json.loads(text)["metadata"].get("widgets", {})
    assert label in json.dumps(state), f"{name}: the form's widget state was not saved"
    return text


def test_a_typed_auth_token_and_api_secret_stay_out_of_the_saved_notebook(
    page, lab: Server, screenshots
) -> None:
    walker = LabWalker(page, lab, screenshots)
    desk, token, secret = walker.desk, secrets.token_hex(16), secrets.token_hex(16)

    opened = time.time()
    notebook = walker.open("01_account_sid")
    desk.scope = notebook
    walker.run_all(notebook, "01_account_sid")
    desk.do(Type("Account SID", SID), "01")
    cells = notebook.locator(".jp-Cell").count()
    desk.do(Type("Auth Token", token), "01")  # key by key, as an officer types
    # The keys stayed in the field: none worked as a notebook shortcut (a, b, d d on hex).
    assert notebook.locator(".jp-Cell").count() == cells, "01: typing changed the notebook"
    saved = _saved_with_state(walker, "01_account_sid", opened, "Auth Token")
    clean = token not in saved  # not in the assert: pytest would print both
    assert clean, "01: the typed Auth Token is in the saved notebook"

    # Enter sends it: a malformed token comes back as the form's error, naming the field.
    desk.do(Type("Auth Token", "not-a-token"), "01")
    notebook.get_by_label("Auth Token", exact=True).press("Enter")
    desk.do(Shows("error", "Auth Token", text=("letters and digits",), shot="enter"), "01")
    desk.do(Cleared("Auth Token"), "01")
    desk.do(Type("Auth Token", token), "01")
    desk.do(Press("Check account"), "01")
    desk.do(Shows("error", "", text=("20003",), shot="pressed"), "01")  # Twilio: no such pair
    desk.do(Cleared("Auth Token"), "01")
    assert visible_errors(notebook) == [], "01: the form showed errors"
    saved = _saved_with_state(walker, "01_account_sid", time.time(), "Auth Token")
    clean = token not in saved
    assert clean, "01: the Auth Token is in the notebook saved after the press"
    walker.close("01_account_sid")

    opened = time.time()
    notebook = walker.open("02_api_key")
    desk.scope = notebook
    walker.run_all(notebook, "02_api_key")
    desk.do(Choose("I made it in the console"), "02")
    desk.do(Type("API secret", secret), "02")
    saved = _saved_with_state(walker, "02_api_key", opened, "API secret")
    clean = secret not in saved
    assert clean, "02: the typed API secret is in the saved notebook"
    walker.close("02_api_key")

    found = leaks([token, secret], lab.work.audit_roots(), texts=[*desk.seen_html, page.content()])
    assert found == [], f"a typed secret was found in: {found}"
