"""Search everything a run wrote for the secrets it knew. Used by every notebook test."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote


def _forms(secret: str) -> set[bytes]:
    # The plain value, and the shapes it would take in a URL or a base64 blob.
    forms = {
        secret.encode(),
        quote(secret).encode(),
        base64.b64encode(secret.encode()).rstrip(b"="),
    }
    # Inside a longer base64 blob ("AC...:token" in a Basic auth header) the secret's encoding
    # depends on where it starts modulo 3 bytes: keep the characters only the secret decides.
    raw = secret.encode()
    for shift in (1, 2):
        encoded = base64.b64encode(b"\0" * shift + raw)
        first, end = -(-8 * shift // 6), 8 * (shift + len(raw)) // 6
        if end - first >= 8:
            forms.add(encoded[first:end])
    return forms


def files_under(*roots: Path) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        root = Path(root)
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(p for p in root.rglob("*") if p.is_file())
    return found


def leaks(secrets: Iterable[str], roots: Iterable[Path], texts: Iterable[str] = ()) -> list[str]:
    """Where any secret appears: file paths, or '<text N>' for captured output. Empty = clean."""
    secrets = [s for s in secrets if s]
    assert secrets, "an audit with no secret to look for proves nothing"
    found = []
    for path in files_under(*roots):
        data = path.read_bytes()
        if any(form in data for s in secrets for form in _forms(s)):
            found.append(str(path))
    for index, text in enumerate(texts):
        data = text.encode()
        if any(form in data for s in secrets for form in _forms(s)):
            found.append(f"<text {index}>")
    return found


def run_leaks(
    env_file: Path, roots: Iterable[Path], texts: Iterable[str] = (), also: Iterable[str] = ()
) -> list[str]:
    """``leaks`` for a run: every secret the env file holds (repeated lines too) and ``also``,
    searched for in what the run wrote (``roots``) and printed (``texts``). Empty = clean."""
    from onboarding_helpers.credentials import CredentialStore

    return leaks([*CredentialStore(env_file).secrets(), *also], roots, texts)
