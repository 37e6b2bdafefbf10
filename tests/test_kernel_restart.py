"""A helper module edited while ``make lab`` or ``make voila`` runs: the next kernel runs it.

The officer (or a trainer updating the runbook mid-class) edits a module of the package, then
restarts the kernel in JupyterLab, or reopens the page in Voila, and expects the code on disk.
Each test starts the server with the Makefile's own recipe (``make lab`` / ``make voila``, run
with this venv) in a scratch copy of the project's package and notebooks, the package first on
PYTHONPATH, so the edit never touches the project. The class hub's trainee servers run with
the hub's trainee environment; the third test starts one with it.

Besides PYTHONPATH, the test sets only the port, the token, Jupyter's own folders (Jupyter
config files, JUPYTER_*) and the runbook's state folders: nothing about kernels.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest

from onboarding_helpers.training.hub.settings import ClassSettings

from .browser.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent  # the venv these tests run in: make's VENV
MODULE = "onboarding_helpers.runbook"  # every step's notebook imports it
FIRST = "as first saved"
EDITED = "as edited during the class"
PROBE = f"import {MODULE} as m; print(m.__file__, '|', m.RESTART_PROBE)"
START_TIMEOUT = 120.0  # a server starts slowly while other test workers run
IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


@dataclass
class Server:
    """A Jupyter server started for a test, in its scratch folder."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, timeout: float = 120) -> str:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return str(answer.read().decode())

    def post(self, path: str, body: dict[str, str] | None = None) -> dict[str, str]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body or {}).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            return dict(json.loads(answer.read() or b"{}"))

    def run(self, kernel: str, code: str) -> str:
        """What ``code`` prints in the kernel, run over its websocket as JupyterLab runs a cell."""
        return asyncio.run(_execute(self, kernel, code))

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


async def _execute(server: Server, kernel: str, code: str) -> str:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    ws_url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
    request = HTTPRequest(ws_url, headers={"Authorization": f"token {server.token}"})
    connection = await websocket_connect(request)
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex}
    content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
    message = {"header": {**header, "username": "", "version": "5.3"}, "parent_header": {}}
    message.update(metadata={}, content=content, channel="shell", buffers=[])
    await connection.write_message(json.dumps(message))
    printed = []
    try:
        while True:
            raw = await asyncio.wait_for(connection.read_message(), timeout=120)
            assert raw is not None, f"the kernel's websocket closed:\n{server.tail()}"
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream":
                printed.append(body["text"])
            elif kind == "error":
                raise AssertionError(f"{body['ename']}: {body['evalue']}")
            elif kind == "status" and body["execution_state"] == "idle":
                return "".join(printed)
    finally:
        connection.close()


def _notebook(path: Path, code: str) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def _set_probe(package: Path, value: str) -> None:
    """Write the probe line at the end of the copy's module, as an editor saves the file."""
    module = package / (MODULE.replace(".", "/") + ".py")
    text = module.read_text().split("\nRESTART_PROBE = ")[0].rstrip("\n")
    module.write_text(f"{text}\nRESTART_PROBE = {value!r}\n")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the project to start the server in: the package (first on PYTHONPATH) and the
    notebooks beside it, plus Jupyter's config asking for a free port and no browser."""
    for folder in ("onboarding_helpers", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=IGNORED)
    _set_probe(tmp_path, FIRST)
    _notebook(tmp_path / "notebooks" / "probe.ipynb", PROBE)
    return tmp_path


def _environment(scratch: Path, port: int, token: str) -> dict[str, str]:
    config = scratch / "jupyter" / "config"
    config.mkdir(parents=True)
    listen = {"port": port, "port_retries": 0, "open_browser": False}
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {**listen, "ip": "127.0.0.1", "allow_root": True}})  # CI: root
    )
    (config / "voila.json").write_text(json.dumps({"Voila": listen}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONBOARDING_", "JUPYTER"))}
    env.update(
        PYTHONPATH=str(scratch),
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(scratch / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(scratch / "jupyter" / "runtime"),
        JUPYTER_TOKEN=token,
        ONBOARDING_STATE_DIR=str(scratch / "state"),
        ONBOARDING_ENV_FILE=str(scratch / "creds" / ".env"),
    )
    return env


def _start(scratch: Path, command: list[str], env: dict[str, str], port: int, ready: str) -> Server:
    log = scratch / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - make or the venv's jupyter, our arguments
            command,
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group: make, its shell, the server
        )
    server = Server(f"http://127.0.0.1:{port}", env["JUPYTER_TOKEN"], process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited at start:\n{server.tail()}")
        try:
            server.get(ready, timeout=2)
            return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    _stop(server)
    raise AssertionError(f"the server did not answer in {START_TIMEOUT:.0f} s:\n{server.tail()}")


def _stop(server: Server) -> None:
    """SIGTERM to make, its shell and the server (which shuts its kernels down); whatever is
    left of them after 15 s is killed."""
    try:
        family = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    _, alive = psutil.wait_procs(family, timeout=15)
    for process in alive:
        process.kill()
    server.process.wait(timeout=15)


@pytest.fixture
def started(scratch: Path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        _stop(server)


def _make(scratch: Path, target: str, started: list[Server]) -> Server:
    """``make lab`` or ``make voila``, as the Makefile runs it, in the scratch folder."""
    port, token = free_port(), uuid.uuid4().hex
    command = [
        "make",
        "-s",
        "-f",
        str(ROOT / "Makefile"),
        f"VENV={VENV}",
        "-o",
        f"{VENV}/.compiled-servers",  # bytecode: the install's business, not this test's
        target,
    ]
    ready = "/api/status" if target == "lab" else "/"  # Voila has no REST API of its own
    server = _start(scratch, command, _environment(scratch, port, token), port, ready)
    started.append(server)
    return server


def _restarted_kernel_runs_the_edit(server: Server, scratch: Path) -> None:
    kernel = server.post("/api/kernels", {"name": "python3"})["id"]
    where, _, value = server.run(kernel, PROBE).partition(" | ")
    assert Path(where).is_relative_to(scratch / "onboarding_helpers"), "it must import the copy"
    assert value.strip() == FIRST, server.tail()
    _set_probe(scratch, EDITED)
    server.post(f"/api/kernels/{kernel}/restart")
    assert server.run(kernel, PROBE).partition(" | ")[2].strip() == EDITED, server.tail()


def test_make_lab_restarted_kernel_runs_the_edited_module(scratch, started) -> None:
    server = _make(scratch, "lab", started)
    _restarted_kernel_runs_the_edit(server, scratch)


def test_make_voila_page_opened_again_runs_the_edited_module(scratch, started) -> None:
    # Voila starts a kernel for each page it renders: opening the page again is its restart.
    server = _make(scratch, "voila", started)
    page = server.get(f"/voila/render/probe.ipynb?token={server.token}")
    assert str(scratch / "onboarding_helpers") in page and FIRST in page, server.tail()
    _set_probe(scratch, EDITED)
    page = server.get(f"/voila/render/probe.ipynb?token={server.token}")
    assert EDITED in page and FIRST not in page, server.tail()


def test_a_trainees_server_restarted_kernel_runs_the_edited_module(scratch, started) -> None:
    # The hub starts each trainee's server (jupyterhub-singleuser, a Jupyter server) with the
    # trainee environment; here a Jupyter server with it, the test's settings on top.
    port, token = free_port(), uuid.uuid4().hex
    settings = ClassSettings(class_dir=scratch / "class", venv_bin=VENV / "bin")
    (scratch / "home").mkdir()
    trainee = settings.trainee_environment(scratch / "home", "ana")
    env = {**_environment(scratch, port, token), **trainee}
    env["PYTHONPATH"] = str(scratch)
    command = [str(VENV / "bin" / "jupyter"), "server"]
    server = _start(scratch, command, env, port, "/api/status")
    started.append(server)
    _restarted_kernel_runs_the_edit(server, scratch)
