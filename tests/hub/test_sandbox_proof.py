"""The hub sends the trainer token only to the class's own sandbox. A program that took the
sandbox's port first (a trainee has a shell on the class machine) answers health like the sandbox,
but cannot prove it holds the token: the hub refuses, naming who holds the port, and the program
receives no Authorization header and no token anywhere in what it is sent.

The impostor is a plain ``http.server`` that records every request it gets; the last test runs it
as another system user, as a trainee would (root needed, as for ``test_hub.py``), and needs no
JupyterHub: the hub refuses before it would start one."""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onboarding_helpers.sandbox import (
    SandboxNotProven,
    SandboxServer,
    account_exists,
    remember_token,
    set_faults,
)
from onboarding_helpers.training.hub.config import prepare_class_folder
from onboarding_helpers.training.hub.scenario import start_for
from onboarding_helpers.training.hub.settings import ClassSettings, unreadable_for_trainees
from onboarding_helpers.training.hub.trainees import (
    ClassError,
    new_account_handover,
    prepare_trainee,
    wait_for_sandbox,
)

from ..browser.conftest import free_port
from ..ci import cannot_run

ROOT = Path(__file__).resolve().parents[2]

# Answers health like the sandbox (naming the class sandbox's database, so a client looks for the
# token beside it) with a made-up proof, or the real sandbox's answer when given its URL (a relay),
# keeping the connection open as the sandbox does; every other call gets a cheerful 200. Given the
# token, it plays the real sandbox that proves itself, then closes the connection (HTTP/1.0).
# Prints one JSON line per request it receives.
IMPOSTOR = r"""
import hashlib, hmac, json, sys, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, db_path, relay, token = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def proof(challenge):
    if relay:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        answer = opener.open(f"{relay}/_sandbox/health?challenge={challenge}", timeout=5)
        return json.loads(answer.read())["proof"]
    if token:
        message = f"onboarding-sandbox-proof/1\n127.0.0.1\n{port}\n{challenge}".encode()
        return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()
    return "0" * 64

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0" if token else "HTTP/1.1"

    def answer(self):
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size).decode("latin-1")
        print(json.dumps({"line": self.requestline, "headers": dict(self.headers.items()),
                          "raw": self.requestline + "\n" + str(self.headers) + body}), flush=True)
        answer = {"status": "ok", "pid": 1, "db_path": db_path, "url": f"http://127.0.0.1:{port}",
                  "account_sid": "AC" + "0" * 32, "auth_token": "0" * 32}
        challenge = self.path.partition("?challenge=")[2]
        if challenge:
            answer["proof"] = proof(challenge)
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = answer

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("listening", flush=True)
server.serve_forever()
"""


@dataclass
class Impostor:
    port: int
    process: subprocess.Popen[str]

    def received(self) -> list[dict[str, object]]:
        """Every request it got, once it is stopped."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=10)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def start_impostor(
    port: int,
    db_path: Path,
    relay: str = "",
    token: str = "",
    python: str = sys.executable,
    preexec_fn: Callable[[], None] | None = None,
) -> Impostor:
    process = subprocess.Popen(
        [python, "-c", IMPOSTOR, str(port), str(db_path), relay, token],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
        preexec_fn=preexec_fn,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "listening":
        process.kill()
        pytest.fail(f"the impostor did not start: {process.communicate(timeout=10)[1]}")
    return Impostor(port, process)


def assert_no_token_sent(requests: list[dict[str, object]], token: str) -> None:
    assert requests, "the impostor was never asked anything: the test proves nothing"
    for request in requests:
        headers = {str(k).lower() for k in request["headers"]}  # type: ignore[union-attr]
        assert "authorization" not in headers, request["line"]
        assert token not in str(request["raw"])
        assert str(request["line"]).startswith("GET /_sandbox/health")  # nothing else asked


def make_trainer_token(sandbox_dir: Path) -> str:
    """The class sandbox's trainer token, made as a trainer makes it before the sandbox first
    runs: the sandbox's ``token`` command (the sandbox then uses that very token)."""
    done = subprocess.run(
        [sys.executable, "-m", "onboarding_helpers.sandbox", "token", "--dir", str(sandbox_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def class_folder(tmp_path: Path) -> Iterator[tuple[ClassSettings, str]]:
    """A class's settings on a free sandbox port, its sandbox folder holding a trainer token."""
    settings = ClassSettings(class_dir=tmp_path / "class", sandbox_port=free_port())
    prepare_class_folder(settings)
    token = make_trainer_token(settings.sandbox_dir)
    yield settings, token


def test_the_hubs_calls_send_no_token_to_an_impostor_on_the_sandbox_port(class_folder):
    # The tokens this test has this process remember are for its own free port: a sandbox that
    # later listens there has its own token remembered instead (SandboxServer.bind).
    settings, token = class_folder
    impostor = start_impostor(settings.sandbox_port, settings.sandbox_dir / "sandbox.sqlite3")
    try:
        # A trainee's login and the trainer's scenario command wait for the sandbox first.
        with pytest.raises(ClassError) as refused:
            wait_for_sandbox(settings, timeout=5)
        said = str(refused.value)
        assert f"Port {settings.sandbox_port}" in said and token not in said
        assert f"user '{pwd.getpwuid(os.getuid()).pw_name}'" in said
        assert f"pid {impostor.process.pid}" in said and "no trainer token" in said
        # Each call that carries the token, given, remembered or found beside the database the
        # impostor names, checks the proof first.
        with pytest.raises(SandboxNotProven):
            new_account_handover(settings, "ana")
        with pytest.raises(SandboxNotProven):
            account_exists(settings.sandbox_url, "AC" + "1" * 32, token=token)
        remember_token(settings.sandbox_url, token)
        with pytest.raises(SandboxNotProven):
            set_faults(settings.sandbox_url, "* .", status=500)
        remember_token(settings.sandbox_url, "stale" * 9)  # found afresh beside the database
        with pytest.raises(SandboxNotProven):
            set_faults(settings.sandbox_url, "* .", status=500)
    finally:
        requests = impostor.received()
    assert_no_token_sent(requests, token)
    assert len(requests) >= 6


def test_a_real_sandboxs_proof_relayed_from_another_port_is_refused(class_folder):
    settings, token = class_folder
    with SandboxServer(settings.sandbox_dir / "sandbox.sqlite3") as real:  # the same token
        impostor = start_impostor(settings.sandbox_port, real.db_path, relay=real.url)
        try:
            with pytest.raises(ClassError, match=f"Port {settings.sandbox_port}"):
                wait_for_sandbox(settings, timeout=5)
            with pytest.raises(SandboxNotProven):
                new_account_handover(settings, "ana")
        finally:
            requests = impostor.received()
    assert_no_token_sent(requests, token)


def test_the_token_goes_only_on_the_connection_that_was_proved(class_folder):
    # The sandbox proves itself, then the connection closes (it stopped, say): reconnecting could
    # reach a program that took the port meanwhile, so the client stops instead.
    settings, token = class_folder
    impostor = start_impostor(settings.sandbox_port, settings.sandbox_dir / "x", token=token)
    try:
        with pytest.raises(SandboxNotProven, match="closed the connection"):
            new_account_handover(settings, "ana")
    finally:
        requests = impostor.received()
    assert_no_token_sent(requests, token)


# ---------------------------------------------------------------- as another system user


def _impostor_python() -> str:
    """A Python another user may run (the virtualenv's may be under /root)."""
    for python in (sys.executable, "/usr/bin/python3"):
        if Path(python).exists() and unreadable_for_trainees(Path(python).resolve()) is None:
            return python
    cannot_run("no Python on this machine that another user may run")


@dataclass
class TraineeImpostor:
    settings: ClassSettings
    token: str
    name: str
    impostor: Impostor


@pytest.fixture
def trainee_impostor(tmp_path: Path) -> Iterator[TraineeImpostor]:
    """A trainee of the class (a real system user) listening on the sandbox's port first."""
    if os.geteuid() != 0 or not shutil.which("useradd"):
        cannot_run("needs root and useradd: the impostor runs as another system user")
    from onboarding_helpers.training.hub.trainees import as_user, create_user

    tag = secrets.token_hex(3)
    homes = Path(tempfile.mkdtemp(prefix="hub-proof-homes-"))
    homes.chmod(0o755)
    settings = ClassSettings(
        class_dir=tmp_path / "class",
        port=free_port(),
        sandbox_port=free_port(),
        api_port=free_port(),
        proxy_api_port=free_port(),
        group=f"prooftest-{tag}",
        home_root=homes,
    )
    prepare_class_folder(settings)
    token = make_trainer_token(settings.sandbox_dir)
    name = f"eve-{tag}"
    user = create_user(settings, name)
    impostor = None
    try:
        impostor = start_impostor(
            settings.sandbox_port,
            settings.sandbox_dir / "sandbox.sqlite3",
            python=_impostor_python(),
            preexec_fn=as_user(user),
        )
        yield TraineeImpostor(settings, token, name, impostor)
    finally:
        if impostor is not None and impostor.process.poll() is None:
            impostor.process.kill()
            impostor.process.wait(timeout=10)  # userdel refuses a user with a live process
        subprocess.run(["userdel", "--remove", name], capture_output=True)
        subprocess.run(["groupdel", settings.group], capture_output=True)
        shutil.rmtree(homes, ignore_errors=True)


def test_a_trainee_on_the_sandbox_port_stops_the_hub_and_never_gets_the_token(trainee_impostor):
    settings, token, name = trainee_impostor.settings, trainee_impostor.token, trainee_impostor.name
    impostor = trainee_impostor.impostor
    assert Path(f"/proc/{impostor.process.pid}").stat().st_uid == pwd.getpwnam(name).pw_uid
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    env.update(
        {
            "ONBOARDING_HUB_DIR": str(settings.class_dir / "second"),
            "ONBOARDING_HUB_PORT": str(settings.port),
            "ONBOARDING_HUB_SANDBOX_PORT": str(settings.sandbox_port),
            "ONBOARDING_HUB_API_PORT": str(settings.api_port),
            "ONBOARDING_HUB_PROXY_API_PORT": str(settings.proxy_api_port),
        }
    )
    serve = [str(ROOT / ".venv" / "bin" / "python"), "-m", "onboarding_helpers.training.hub"]
    started = subprocess.run(
        [*serve, "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 2, started.stdout + started.stderr
    assert f"the class sandbox's port {settings.sandbox_port}" in started.stderr
    assert f"user '{name}'" in started.stderr and f"pid {impostor.process.pid}" in started.stderr
    assert not (settings.class_dir / "second").exists()  # refused before anything was made

    # Had it taken the port after the hub started: a login and a scenario are refused alike.
    for attempt in (
        lambda: prepare_trainee(settings, name),
        lambda: start_for(settings, name, "trial-account"),
    ):
        with pytest.raises(ClassError) as refused:
            attempt()
        assert f"Port {settings.sandbox_port}" in str(refused.value)
        assert f"user '{name}'" in str(refused.value) and token not in str(refused.value)
    assert_no_token_sent(impostor.received(), token)
