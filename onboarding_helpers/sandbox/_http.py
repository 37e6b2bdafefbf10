"""Guards the sandbox server and its console share: who may call, and what a request may look like.

- Loopback names: the admin API and the console answer only to a Host of 127.0.0.1, localhost or
  ::1 and, when a browser sends an Origin, only to this very origin. That stops DNS rebinding (a
  web page reaching the sandbox under its own name) and cross-site form posts (CSRF).
- The trainer token: a random secret in ``trainer.token`` beside the database, made once. Admin
  calls send it as ``Authorization: Bearer``, once the server proved it holds it (``token_proof``);
  the console's trainer cookie carries it.
- Request framing: a sane Content-Length, no chunked bodies, Basic credentials that decode.

Standard library only, and no import of the rest of the sandbox, so anything may import it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Mapping
from email.message import Message
from pathlib import Path

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_NAME = "trainer.token"
TRAINER_COOKIE = "sandbox_trainer"
MAX_BODY_BYTES = 1024 * 1024  # Twilio requests are a few hundred bytes; 1 MiB is plenty
# Given to the Twilio API in place of Basic credentials that do not decode: it fails auth (20003).
BAD_BASIC = "Basic !"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,}$")
_DIGITS = re.compile(r"^[0-9]+$")
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
CHALLENGE_FORMAT = "challenge must be 32 to 128 letters, digits, - or _ (a fresh random one)."


# ---------------------------------------------------------------- Host and Origin


def hostname(host_header: str) -> str:
    """The host part of a Host header, lower case: ``[::1]:8080`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def same_origin(headers: Mapping[str, str]) -> bool:
    """No Origin (not a browser, or a same-origin GET), or exactly ``http://<Host>``."""
    origin = headers.get("Origin")
    if origin is None:
        return True
    return origin.strip().lower() == f"http://{(headers.get('Host') or '').strip().lower()}"


def local_refusal(headers: Mapping[str, str], client_host: str) -> str | None:
    """Why a non-API request is refused (403), or None when it is local and same-origin."""
    if client_host not in LOOPBACK:
        return "The sandbox answers loopback callers only."
    if hostname(headers.get("Host") or "") not in LOCAL_HOSTS:
        return "The sandbox answers on 127.0.0.1 or localhost only: open it by that address."
    if not same_origin(headers):
        return "Refused: this request came from another web site (its Origin is not this one)."
    return None


# ---------------------------------------------------------------- the trainer token


class TokenFileError(RuntimeError):
    """trainer.token exists but holds no usable token."""


def token_path(db_path: str | Path) -> Path:
    """Where the trainer token of the sandbox database ``db_path`` lives."""
    return Path(db_path).parent / TOKEN_NAME


def read_token(path: Path) -> str | None:
    """The token in ``path``, or None if the file is missing, unreadable or malformed."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if _TOKEN_RE.match(text) else None


def ensure_token_file(path: Path) -> str:
    """The token in ``path``, creating the file (0600, O_EXCL) with a new one if there is none.

    An existing file is never rewritten: several servers on one database share one token.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _existing_token(path)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def _existing_token(path: Path) -> str:
    # Another server may have just created the file and not written it yet: wait a moment.
    deadline = time.monotonic() + 2.0
    while True:
        token = read_token(path)
        if token is not None:
            with contextlib.suppress(OSError):
                if path.stat().st_mode & 0o077:
                    os.chmod(path, 0o600)  # a copied file may have kept looser permissions
            return token
        if time.monotonic() > deadline:
            raise TokenFileError(
                f"{path} holds no trainer token (at least 32 letters, digits, - or _)."
                " Delete it and start the sandbox again: a new token is made."
            )
        time.sleep(0.02)


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison; bytes, because compare_digest refuses non-ASCII text."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogatepass"))


def valid_challenge(challenge: str) -> bool:
    return bool(_CHALLENGE_RE.match(challenge))


def token_proof(token: str, challenge: str, host: str, port: int) -> str:
    """HMAC-SHA256, keyed with the trainer token, of a caller's fresh challenge and the address it
    was answered on: shows the caller this server holds the token, before the caller sends it.
    The address stops another program relaying a real sandbox's proof from another port."""
    message = f"onboarding-sandbox-proof/1\n{host.lower()}\n{port}\n{challenge}"
    key = token.encode("utf-8", "surrogatepass")
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def bearer_token(headers: Mapping[str, str]) -> str | None:
    scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def cookie_values(headers: Message, name: str) -> list[str]:
    """Every value of cookie ``name`` (browsers may send one per path), without SimpleCookie,
    whose parser gives up on the whole header at the first odd cookie of another site."""
    values = []
    for header in headers.get_all("Cookie") or []:
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                values.append(value.strip().strip('"'))
    return values


# ---------------------------------------------------------------- request framing


class FramingError(Exception):
    """A request whose body cannot be read safely; answered, then the connection is closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def body_length(headers: Message) -> int:
    """The declared body length, checked before a byte of the body is read."""
    if headers.get("Transfer-Encoding"):
        raise FramingError(411, "Send the body with a Content-Length, not chunked.")
    values = {value.strip() for value in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    if len(values) > 1:
        raise FramingError(400, "Send one Content-Length header, not several.")
    text = values.pop()
    if not _DIGITS.match(text):
        raise FramingError(400, "Content-Length must be a whole number of bytes.")
    # Check the digit count first: int() of thousands of digits is itself slow (and refused).
    if len(text.lstrip("0")) > 7 or int(text) > MAX_BODY_BYTES:
        raise FramingError(413, f"The request body is over {MAX_BODY_BYTES} bytes; send less.")
    return int(text)


def checked_basic(header: str | None) -> str | None:
    """``header`` if it is not Basic or its credentials decode as ASCII ``user:password``;
    otherwise ``BAD_BASIC``, which the API answers 401/20003 like any wrong credentials."""
    if header is None or not header.startswith("Basic "):
        return header
    try:
        base64.b64decode(header[6:].strip(), validate=True).decode("ascii")
    except ValueError:  # binascii.Error, non-ASCII text or bytes (UnicodeDecodeError)
        return BAD_BASIC
    return header
