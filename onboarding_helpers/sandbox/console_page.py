"""The console's HTML plumbing: a page answer, its security headers, escaping and the frame every
console page shares (``console.py`` the routes and the account page, ``board.py`` the trainer's
board). Standard library only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

PREFIX = "/console"


@dataclass
class Page:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


NO_STORE = {"Cache-Control": "no-store"}
_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#121c2d;background:#f4f4f6}
header{background:#121c2d;color:#fff;padding:10px 24px}header a{color:#fff}
main{padding:16px 24px;max-width:1100px}
section{background:#fff;border:1px solid #e1e3ea;border-radius:6px;margin:0 0 16px;
padding:12px 16px}
h1{font-size:1.2em;margin:0}h2{font-size:1.05em;margin:0 0 8px}.where{color:#606b85;font-size:.85em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}
code{font-size:.95em}.badge{padding:1px 8px;border-radius:9px;background:#e1e3ea}
.warn{background:#fde7b0}.bad{background:#f6b1b1}.ok{background:#c8ecd4}
button{cursor:pointer}.note{color:#606b85;font-size:.9em}
"""


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value))


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
    body = f"<!doctype html><title>Sandbox console</title><p>{escape(message)}</p>"
    return html_page(status, body)


def document(title: str, body: str, nonce: str = "", script: str = "") -> str:
    tag = f"<script nonce='{nonce}'>{script}</script>" if script else ""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><header><h1>Twilio sandbox console</h1>"
        "<span class='where'>A practice copy of Twilio's console, on this computer only."
        f" <a href='{PREFIX}'>All practice accounts</a></span></header>"
        f"<main>{body}</main>{tag}</body></html>"
    )


def table(headings: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p class='note'>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
