"""Twilio's official OpenAPI specs for the contract tests, fetched once into ``.spec/``.

The specs come from the npm package ``@twilio-alpha/mcp@0.7.0`` (pinned by version and by the
registry's integrity hash), unpacked into the git-ignored ``.spec/`` folder at the repo root and
never committed. Policy when npm or the registry is unavailable: in CI (``CI`` set, e.g. true) the
tests FAIL, because a contract test that silently skips proves nothing; on a laptop they skip with
the reason, so an offline ``make test`` still runs everything else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

from ..ci import cannot_run

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@twilio-alpha/mcp@0.7.0"
TARBALL = "twilio-alpha-mcp-0.7.0.tgz"
# `npm view @twilio-alpha/mcp@0.7.0 dist.integrity`: the exact bytes the specs were checked against.
INTEGRITY = (
    "sha512-YsUde1pMXwqHm8Cvq9JdtsyvclVCC/f/V+FmxTNN04u5"
    "Qt5aapkbQgcfqBYQ0xcmvATBNswgPDo3MPVaCtZK8Q=="
)
SPEC_DIR_IN_TARBALL = "package/twilio-oai/spec/json"
# sha256 of each spec file inside that tarball, so a damaged or edited cache is fetched again.
SPECS = {
    "twilio_api_v2010.json": "475b69553e34e797af05d34679cdad3bc3b8b4b8b92e6ac044fa6ebc255bf052",
    "twilio_messaging_v1.json": "b82234c04d804b9f3d971bf40ece272c453cb54b7d7168484bffc00a2c5bd1b0",
    "twilio_iam_v1.json": "cd49b76f73b8a7312445664ed22b2e510e90a31e4f9709e2b157e5bd8687387d",
}
CACHE = ROOT / ".spec" / "twilio-alpha-mcp-0.7.0"
NPM_TIMEOUT = 300


class SpecUnavailable(Exception):
    """npm or the registry could not deliver the pinned specs."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_ok() -> bool:
    return all((CACHE / name).is_file() and _sha256(CACHE / name) == h for name, h in SPECS.items())


def _npm_pack(dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SpecUnavailable(
            "npm is not installed; install Node.js and npm (Debian: apt-get install -y nodejs npm)"
        )
    try:
        proc = subprocess.run(
            [npm, "pack", PACKAGE, "--pack-destination", str(dest), "--silent"],
            cwd=dest,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise SpecUnavailable(f"`npm pack {PACKAGE}` took over {NPM_TIMEOUT} s") from None
    tarball = dest / TARBALL
    if proc.returncode != 0 or not tarball.is_file():
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SpecUnavailable(f"`npm pack {PACKAGE}` failed: {' | '.join(detail)}")
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != INTEGRITY:
        # A pinned npm version cannot change, so this is corruption or a hostile mirror.
        raise SpecUnavailable(f"{TARBALL} does not match the pinned integrity {INTEGRITY}")
    return tarball


def _fetch_specs() -> None:
    with tempfile.TemporaryDirectory(prefix="twilio-spec-") as tmp:
        tarball = _npm_pack(Path(tmp))
        staged = Path(tmp) / "specs"
        staged.mkdir()
        with tarfile.open(tarball, "r:gz") as tar:
            for name in SPECS:
                # Members are picked by exact name, so nothing else in the tarball is written.
                try:
                    member = tar.extractfile(f"{SPEC_DIR_IN_TARBALL}/{name}")
                except KeyError:
                    member = None
                if member is None:
                    raise SpecUnavailable(f"{name} is missing from {TARBALL}")
                (staged / name).write_bytes(member.read())
        for name, expected in SPECS.items():
            if _sha256(staged / name) != expected:
                raise SpecUnavailable(f"{name} in {TARBALL} is not the pinned file")
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        if _cache_ok():  # another test run filled it meanwhile
            return
        if CACHE.exists():
            shutil.rmtree(CACHE)
        shutil.move(str(staged), str(CACHE))


@pytest.fixture(scope="session")
def twilio_specs() -> dict[str, dict[str, Any]]:
    """The three spec documents by file name, fetched with ``npm pack`` on first use."""
    if not _cache_ok():
        try:
            _fetch_specs()
        except SpecUnavailable as exc:
            cannot_run(f"Twilio OpenAPI specs unavailable: {exc}")
    return {name: json.loads((CACHE / name).read_text("utf-8")) for name in SPECS}


@pytest.fixture(scope="session")
def contract(twilio_specs: dict[str, dict[str, Any]]) -> Any:
    """The specs as openapi-core validators (loading the v2010 spec takes a few seconds)."""
    from .oas import Contract

    return Contract(twilio_specs)
