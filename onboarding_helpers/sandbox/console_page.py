"""The console's HTML plumbing: a page answer, its security headers, and the templates every
console page is rendered from (``templates/``: ``console.py`` the routes and the account page,
``board.py`` the trainer's board).

The pages show what trainees and their requests put into the sandbox (names, numbers, error
words) to the trainer, whose cookie opens every page; so every value goes through Jinja's
autoescape, and no template marks a value as safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2

PREFIX = "/console"
DOCS = "https://www.twilio.com/docs/errors/"  # Twilio's page for each error code


@dataclass
class Page:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


NO_STORE = {"Cache-Control": "no-store"}

# One environment per process: templates are compiled on first use and kept.
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader(__package__, "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the page, not blanks a cell
    finalize=lambda value: "" if value is None else value,  # a missing value shows as nothing
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals.update(PREFIX=PREFIX, DOCS=DOCS)


def render(template: str, **values: Any) -> str:
    """The HTML of ``templates/<template>`` with ``values``, each escaped where it is shown."""
    return TEMPLATES.get_template(template).render(**values)


def html_page(status: int, text: str, nonce: str = "") -> Page:
    script = f"script-src 'nonce-{nonce}'; " if nonce else ""
    csp = (
        f"default-src 'none'; style-src 'unsafe-inline'; {script}connect-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return Page(
        status,
        text.encode("utf-8"),
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": csp,
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",  # no-referrer would make the form's Origin "null"
            **NO_STORE,
        },
    )


def text_page(status: int, message: str) -> Page:
    """A one-paragraph HTML answer (errors and refusals)."""
    return html_page(status, render("message.html", message=message))
