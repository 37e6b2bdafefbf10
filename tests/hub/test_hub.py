"""The class hub end to end: JupyterHub on 127.0.0.1 with a test login, two trainees logging in
through Chromium, each running steps 00-02 in their own server (the headless runner, started in a
kernel of their server from their browser session over the Jupyter server's own API), then:

- their practice accounts differ, each in their own env file, made by the hub;
- the trainer's board (trainer's cookie) shows both, and refuses a trainee's token and login;
- one trainee's token and browser session are refused on the other's server;
- one trainee's kernel can read neither the other's files nor the class's trainer token;
- the trainer's scenario command gives one trainee a new practice account, shown on the board.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)

from ..secret_audit import leaks

# Chromium drives it, so the quick suite (-m "not browser") leaves it out with the browser tests.
pytestmark = [pytest.mark.hub, pytest.mark.browser]

SPAWN_TIMEOUT_MS = 240_000
RUN_TIMEOUT_MS = 300_000

# Runs in a kernel of the trainee's server: the steps as the trainee, then what they can reach.
KERNEL_CODE = """
import json, os, subprocess, sys
run = subprocess.run(
    [sys.executable, "-m", "onboarding_helpers", "run", "--sandbox",
     "--only", "00", "--only", "01", "--only", "02",
     "--out", os.path.expanduser("~/postman-runbook/runs")],
    capture_output=True, text=True, timeout=280, cwd=os.path.expanduser("~/postman-runbook"),
)
def reach(path):
    try:
        open(path).read() if os.path.isfile(path) else os.listdir(path)
        return "read"
    except OSError as err:
        return type(err).__name__
print("RESULT " + json.dumps({
    "exit": run.returncode, "tail": (run.stdout + run.stderr)[-1500:],
    "user": os.environ.get("USER"), "uid": os.getuid(),
    "other_home": reach(OTHER_HOME),
    "other_env": reach(OTHER_HOME + "/postman-runbook/.env.sandbox"),
    "trainer_token": reach(TRAINER_TOKEN),
    "token_variables": sorted(k for k in os.environ if "SANDBOX_TOKEN" in k),
    "api_token": os.environ["JUPYTERHUB_API_TOKEN"],
}))
"""

# In the trainee's JupyterLab page: a kernel of their own server, the code run through its
# websocket (the page's cookies and _xsrf, as JupyterLab itself does), the printed lines back.
RUN_IN_KERNEL_JS = """
async ({base, code}) => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]+)/) || [])[1] || "";
  const made = await fetch(`${base}api/kernels`, {method: "POST",
    headers: {"X-XSRFToken": decodeURIComponent(xsrf), "Content-Type": "application/json"},
    body: JSON.stringify({name: "python3"})});
  if (!made.ok) return {status: "http " + made.status, out: await made.text()};
  const kernel = await made.json();
  const socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}${base}api/kernels/`
    + `${kernel.id}/channels`);
  const id = crypto.randomUUID();
  let out = "";
  return await new Promise((resolve) => {
    socket.onopen = () => socket.send(JSON.stringify({channel: "shell", buffers: [],
      header: {msg_id: id, session: crypto.randomUUID(), username: "", version: "5.3",
               msg_type: "execute_request", date: new Date().toISOString()},
      parent_header: {}, metadata: {},
      content: {code, silent: false, store_history: false, user_expressions: {},
                allow_stdin: false, stop_on_error: true}}));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.parent_header.msg_id !== id) return;
      if (message.msg_type === "stream") out += message.content.text;
      const said = message.content;
      if (message.msg_type === "error") out += said.ename + ": " + said.evalue;
      if (message.msg_type !== "execute_reply") return;
      socket.close();
      resolve({status: said.status, out});
    };
    socket.onerror = () => resolve({status: "websocket error", out});
  });
}
"""


def _log_in(chromium, hub, trainee: str):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", trainee)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    # The hub prepares their runbook and starts their server, then opens notebook 00 in JupyterLab.
    page.wait_for_url(re.compile(rf"/user/{trainee}/lab"), timeout=SPAWN_TIMEOUT_MS)
    page.wait_for_selector(".jp-Notebook", timeout=SPAWN_TIMEOUT_MS)
    return context, page


def _run_steps(page, hub, trainee: str, other: str) -> dict[str, object]:
    code = KERNEL_CODE.replace("OTHER_HOME", repr(str(hub.home(other)))).replace(
        "TRAINER_TOKEN", repr(str(hub.settings.sandbox_dir / "trainer.token"))
    )
    page.set_default_timeout(RUN_TIMEOUT_MS)
    answer = page.evaluate(RUN_IN_KERNEL_JS, {"base": f"/user/{trainee}/", "code": code})
    found = re.search(r"^RESULT (.*)$", answer["out"], re.M)
    assert answer["status"] == "ok" and found, answer
    return json.loads(found.group(1))


def _status(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=20) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def test_two_trainees_each_in_their_own_server_and_on_the_board(class_hub, chromium):
    hub = class_hub
    ana, ben = hub.trainees
    sessions = {name: _log_in(chromium, hub, name) for name in (ana, ben)}
    results = {
        name: _run_steps(page, hub, name, other)
        for (name, (_, page)), other in zip(sessions.items(), (ben, ana), strict=True)
    }

    accounts = {}
    for name, result in results.items():
        assert result["exit"] == 0, result["tail"]
        assert result["user"] == name and result["uid"] != 0
        # Their kernel runs as them: the other trainee's home and the trainer token are closed.
        assert result["other_home"] == "PermissionError"
        assert result["other_env"] == "PermissionError"
        assert result["trainer_token"] == "PermissionError"
        assert result["token_variables"] == []
        env_file = hub.home(name) / "postman-runbook" / ".env.sandbox"
        values = CredentialStore(env_file, mode="sandbox").values()
        assert values.get(API_KEY_SID, "").startswith("SK"), (sorted(values), result["tail"])
        accounts[name] = values[ACCOUNT_SID]
        assert (hub.home(name).stat().st_mode & 0o077) == 0 and env_file.stat().st_mode & 0o077 == 0
        assert (hub.home(name) / "postman-runbook" / "notebooks" / "00_start_here.ipynb").exists()
    assert accounts[ana] != accounts[ben]

    # No secret in what the class wrote: the hub's log (the sandbox's too), each trainee's runs
    # and progress record. The env files and the sandbox's own files hold them, by design.
    known = [hub.trainer_token()]
    for name in (ana, ben):
        values = CredentialStore(hub.home(name) / "postman-runbook" / ".env.sandbox").values()
        known += [values[AUTH_TOKEN], values[API_KEY_SECRET]]
    work = [hub.home(name) / "postman-runbook" for name in (ana, ben)]
    written = [hub.log, *(w / "runs" for w in work), *(w / ".runbook" for w in work)]
    assert leaks(known, written) == []

    # One trainee's token, and browser session, on the other's server: refused.
    ana_token = str(results[ana]["api_token"])
    own = _status(f"{hub.url}/user/{ana}/api/contents", {"Authorization": f"token {ana_token}"})
    assert own == 200
    other = _status(f"{hub.url}/user/{ben}/api/contents", {"Authorization": f"token {ana_token}"})
    assert other in (403, 404)
    ana_page = sessions[ana][1]
    assert ana_page.request.get(f"{hub.url}/user/{ben}/api/contents").status in (403, 404)

    # The trainer's board: both trainees, for the trainer's cookie only.
    trainer = chromium.new_context()
    board = trainer.new_page()
    board.goto(f"{hub.sandbox_url}/console/board")
    board.fill("input[name='token']", hub.trainer_token())
    board.click("#trainer button[type='submit'], form[action='/console/unlock'] button")
    board.wait_for_selector("#board")
    text = board.inner_text("#board")
    for name in (ana, ben):
        assert name in text and accounts[name][:8] in text
    assert hub.trainer_token() not in board.content()
    for headers in (
        {"Authorization": f"token {ana_token}"},
        {"Cookie": f"sandbox_trainer={ana_token}"},
    ):
        assert _status(f"{hub.sandbox_url}/console/board", headers) == 403
    assert ana_page.request.get(f"{hub.sandbox_url}/console/board").status == 403

    # The trainer starts a scenario for ana (the hub's command, as root): a new practice account
    # named after her, in her env file, and on the board with the scenario's name.
    started = subprocess.run(
        [sys.executable, "-m", "onboarding_helpers.training.hub", "scenario", ana, "trial-account"],
        env=hub.environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    env_file = hub.home(ana) / "postman-runbook" / ".env.sandbox"
    values = CredentialStore(env_file, mode="sandbox").values()
    assert values[ACCOUNT_SID] not in accounts.values() and not values.get(API_KEY_SID)
    assert values[ACCOUNT_SID] in started.stdout and values[AUTH_TOKEN] not in started.stdout
    assert env_file.stat().st_uid == hub.home(ana).stat().st_uid  # written as ana, not root
    board.reload()
    row = board.inner_text(f"#board tr:has-text('{values[ACCOUNT_SID][:8]}')")
    assert ana in row and "trial-account" in row

    for context, _ in sessions.values():
        context.close()
    trainer.close()
