"""The sandbox console's account page in Chromium: the trainer unlocks it, a trainee's name full
of markup reads as text, and the Auth Token's Show button (the page's one script, allowed by the
page's CSP nonce) fetches the token and hides it again.
"""

from __future__ import annotations

import pytest

from onboarding_helpers.sandbox import provision_account

from ..test_console_pages import injected

pytestmark = pytest.mark.browser


def test_the_trainer_unlocks_the_account_page_and_shows_the_token(sandbox, page):
    name = injected("trainee")
    account = provision_account(sandbox.url, friendly_name=name)
    sid = account["account_sid"]
    page.goto(f"{sandbox.url}/console/{sid}")  # no cookie yet: the login page (403)
    page.fill("#trainer input[name='token']", sandbox.token_path.read_text().strip())
    page.click("#trainer button[type='submit']")
    page.wait_for_selector("#account-info")

    problems: list[str] = []  # a script the CSP blocks, or one that fails, reports here
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.reload()
    assert page.title() == f"{name} · {sid}"
    assert name in page.inner_text("#account-info")
    assert page.query_selector("x-inj-trainee") is None

    token = page.locator("#auth-token")
    mask = token.inner_text()
    assert set(mask) == {"•"}
    page.click("#reveal-token")
    page.wait_for_function(
        "t => document.getElementById('auth-token').textContent === t", arg=account["auth_token"]
    )
    page.click("#reveal-token")
    page.wait_for_function("m => document.getElementById('auth-token').textContent === m", arg=mask)
    assert problems == []
