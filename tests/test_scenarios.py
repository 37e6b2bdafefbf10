"""Training scenarios: each starts its scenario on a fresh practice account, stops (or warns) at
its step with the runbook's specific advice, and the advice leads to a fix that works. Plus the
sandbox console page, and the scenario plumbing.

The scenarios' step logic is tested in-process (``practice``): the scenario started as the
runner starts it, on a sandbox server in this process, and the step functions called as their
notebooks call them. Only the wiring runs headless: the runner's ``--scenario`` (one run), notebook
00 and 01 under plain papermill, and the command line's refusals.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.display import run_step
from onboarding_helpers.errors import InputError, RunbookError, StepBlocked, TwilioActionError
from onboarding_helpers.journal import KeyCreated
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.runbook import Runbook, Settings
from onboarding_helpers.sandbox import (
    SandboxServer,
    list_faults,
    request_log,
    set_account,
    snapshot,
    trainer_token,
)
from onboarding_helpers.steps.registry import (
    ACCOUNT,
    API_KEY,
    HANDOFF,
    HEALTH_CHECK,
    MESSAGING_SERVICE,
    PHONE_NUMBER,
    ROTATE_KEY,
    SECRET_KEY,
    START,
    TEST_MESSAGE,
    Step,
)
from onboarding_helpers.training.practice import start_scenario
from onboarding_helpers.training.scenarios import (
    CAMPAIGN_MIX,
    SCENARIOS,
    SENDER_ID,
    SG_MOBILE,
    UK_MOBILE,
    US_MOBILE,
)

from .conftest import ROOT, Workspace
from .fixtures_flow import flow_fixture  # noqa: F401
from .secret_audit import leaks

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------- in-process scenarios


@dataclass
class Practice:
    """A training scenario started in-process as ``run --sandbox --scenario NAME`` starts it
    (``training.practice.start_scenario``), and its steps called as their notebooks call them:
    each on a fresh Runbook (a notebook opens its own), through ``display.run_step``."""

    scenario: str
    workspace: Workspace
    url: str
    shown: list[str]  # each step's panel or error panel, and each error's text: audited

    @property
    def suggested(self) -> dict[str, Any]:
        """The scenario's parameters, which the runner gives the notebooks that declare them."""
        return dict(SCENARIOS[self.scenario].parameters)

    @property
    def account_sid(self) -> str:
        return CredentialStore(self.workspace.env_file).values()[ACCOUNT_SID]

    def runbook(self) -> Runbook:
        ws = self.workspace
        return Runbook(Settings("sandbox", ws.env_file, ws.state_dir, ws.sandbox_dir, self.url))

    def step(self, step: Step, *args: Any, **kwargs: Any) -> Any:
        """Step ``step``'s function with these arguments, its panel shown as the notebook does."""
        package = importlib.import_module(step.module)
        action = getattr(package, step.function)
        printed = io.StringIO()
        try:
            with redirect_stdout(printed):
                return run_step(lambda: action(self.runbook(), *args, **kwargs), package.panel)
        finally:
            self.shown.append(printed.getvalue())

    def stops(self, step: Step, error: type[RunbookError], *args: Any, **kwargs: Any) -> Any:
        """The error ``step`` stops with (of type ``error``)."""
        with pytest.raises(error) as stopped:
            self.step(step, *args, **kwargs)
        self.shown.append(str(stopped.value))
        return stopped.value

    def record(self, step: Step) -> Any:
        return ProgressRecord(self.workspace.state_dir).read(step)

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.url, self.account_sid)

    def audit(self, *also: str) -> None:
        """No secret the env file ever held (or ``also``) in the state folder (progress record,
        journal, reports) or in anything a step showed or raised."""
        assert self.workspace.leaks(*self.shown, also=also) == []


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Callable[..., Practice]]:
    """``practice(scenario=NAME, **parameters)``: NAME started on this test's workspace and its
    own sandbox server (in this process); called again, a new account replaces the old one."""
    workspace = Workspace(tmp_path)
    workspace.env_file.parent.mkdir()
    shown: list[str] = []
    with SandboxServer(workspace.sandbox_dir / "sandbox.sqlite3") as server:

        def begin(scenario: str, **parameters: Any) -> Practice:
            started = Practice(scenario, workspace, server.url, shown)
            start_scenario(started.runbook(), scenario, parameters)
            return started

        yield begin


# ---------------------------------------------------------------- headless helpers


def _run(workspace, *args: str, scenario: str = "") -> subprocess.CompletedProcess[str]:
    extra = ("--scenario", scenario) if scenario else ()
    done = workspace.cli(*extra, *args)
    workspace.runs = [*getattr(workspace, "runs", []), done]
    return done


def _only(*steps: str) -> list[str]:
    return [arg for step in steps for arg in ("--only", step)]


def _python(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess[str]:
    """This Python on ``args``, its output captured as text."""
    kwargs.setdefault("timeout", 60)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, **kwargs
    )


def _outputs(path: Path) -> str:
    """Everything the executed notebook shows: panels' text, printed text, errors."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain") or output.get("text") or ""
            parts.append("".join(text) if isinstance(text, list) else text)
            if output.get("output_type") == "error":
                parts.append(output.get("evalue", ""))
    return "\n".join(parts)


def _notebook(workspace, step: str) -> str:
    return _outputs(workspace.out_dir / f"{step}.ipynb")


def _stopped(done, step: str) -> None:
    """The run failed, naming ``step`` on stderr."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Stopped at step {step}:" in done.stderr, done.stderr


def _says(text: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def _audit(workspace, *also: str) -> None:
    """No secret the env file ever held appears in anything the runs wrote or printed."""
    texts = [t for run in getattr(workspace, "runs", []) for t in (run.stdout, run.stderr)]
    assert workspace.leaks(*texts, also=also) == []


def _account(workspace) -> str:
    return CredentialStore(workspace.env_file).values()[ACCOUNT_SID]


def _trainer_opener(url: str) -> urllib.request.OpenerDirector:
    """A browser unlocked as the trainer (the console's Trainer box sets its cookie)."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor()
    )
    data = urlencode({"token": trainer_token(url)}).encode()
    opener.open(urllib.request.Request(f"{url}/console/unlock", data=data), timeout=10).close()
    return opener


def _owner_opener(url: str, account_sid: str, auth_token: str) -> urllib.request.OpenerDirector:
    """A browser logged in to one practice account (the console's login, as Twilio's needs)."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor()
    )
    data = urlencode({"account_sid": account_sid, "auth_token": auth_token}).encode()
    opener.open(urllib.request.Request(f"{url}/console/login", data=data), timeout=10).close()
    return opener


def _console_action(url: str, account_sid: str, action: str) -> str:
    """Press a button of the console page (POST, as the trainer's browser's form would)."""
    request = urllib.request.Request(
        f"{url}/console/{account_sid}/actions", data=f"action={action}".encode(), method="POST"
    )
    with _trainer_opener(url).open(request, timeout=10) as answer:  # follows the 303 back
        return answer.read().decode()


def _briefing_shown(workspace, name: str) -> None:
    """Notebook 00 (run by the runner) shows the scenario's briefing and the console address."""
    text = _notebook(workspace, "00_start_here")
    _says(text, f"Training scenario: {SCENARIOS[name].title}", f"/console/{_account(workspace)}")


# ---------------------------------------------------------------- one test per scenario


def test_trial_account_stops_at_01_with_upgrade_billing_and_the_upgrade_fixes_it(practice):
    p = practice(scenario="trial-account")
    started = p.step(START)  # notebook 00 after the runner started the scenario
    assert started.scenario == "trial-account" and started.account_sid == p.account_sid
    title = SCENARIOS["trial-account"].title
    _says(p.shown[-1], f"Training scenario: {title}", f"/console/{p.account_sid}")
    assert p.record(START).scenario == "trial-account"
    assert p.record(START).account_sid == p.account_sid

    stop = p.stops(ACCOUNT, StepBlocked)
    advice = "Upgrade billing first (Billing > Manage Billing > Upgrade"
    assert advice == SCENARIOS["trial-account"].advice
    assert "is still a Trial account" in stop.message and stop.advice.startswith(advice)
    assert stop.field == "Account SID"
    assert p.snapshot()["account"]["type"] == "Trial"

    # The fix: the billing upgrade (the console page's button), then step 01 again.
    assert "Billing upgraded" in _console_action(p.url, p.account_sid, "upgrade")
    p.step(ACCOUNT)
    assert p.record(ACCOUNT).type == "Full"
    p.audit()


def test_suspended_account_stops_at_01_asking_to_reactivate(practice):
    p = practice(scenario="suspended-account")
    stop = p.stops(ACCOUNT, StepBlocked)
    assert "is suspended" in stop.message and stop.field == "Account SID"
    _says(stop.advice, "Ask your agency's Twilio account owner, or Twilio support,")
    _says(stop.advice, SCENARIOS["suspended-account"].advice)
    assert p.record(ACCOUNT).status == "blocked"

    page = _console_action(p.url, p.account_sid, "reactivate")  # the trainer plays support
    assert "The account is active again." in page
    assert p.snapshot()["account"]["status"] == "active"
    p.step(ACCOUNT)
    assert p.record(ACCOUNT).status == "done"
    p.audit()


def test_wrong_secret_stops_at_02_and_step_07_is_the_way_out(practice):
    p = practice(scenario="wrong-secret")
    store = CredentialStore(p.workspace.env_file)
    key_sid, wrong = store.get(API_KEY_SID), store.get(API_KEY_SECRET)
    stop = p.stops(API_KEY, TwilioActionError, p.suggested["api_key_source"])  # "console"
    assert stop.code == 20003 and stop.field == "API key SID / API secret"
    assert f"Twilio did not accept the API key {key_sid} with this secret" in stop.message
    _says(stop.advice, SCENARIOS["wrong-secret"].advice)
    _says(
        stop.advice, "If the secret is lost, choose 'create' to make a new key. Nothing was saved."
    )
    assert (store.get(API_KEY_SID), store.get(API_KEY_SECRET)) == (key_sid, wrong)  # untouched

    # The secret is not to be had: 'create' says the saved secret is not this key's ...
    create = p.stops(API_KEY, StepBlocked, "create")
    assert "the secret in the env file is not this key's" in create.message
    assert create.field == "API secret" and "07_rotate_key" in create.advice
    assert [k["sid"] for k in p.snapshot()["keys"]] == [key_sid]  # nothing created
    # ... and 07 makes a new key in its place, keeping the old one until postman_updated.
    p.step(ROTATE_KEY)
    assert store.get(API_KEY_SID) != key_sid
    _says(p.shown[-1], "without a working old one", key_sid)
    p.step(SECRET_KEY)
    p.step(ROTATE_KEY, postman_updated=True)
    assert [k["sid"] for k in p.snapshot()["keys"]] == [store.get(API_KEY_SID)]
    p.audit(wrong)


def test_lost_secret_reports_the_orphan_key_and_revoking_it_works(practice):
    # Carrying on at 03 (where the board left off): the replace path.
    at_03 = practice(scenario="lost-secret").stops(SECRET_KEY, StepBlocked)
    assert "The env file holds no API key secret for the key" in at_03.message
    assert at_03.field == "API secret" and "07_rotate_key" in at_03.advice

    p = practice(scenario="lost-secret")  # a new practice account, as a new run would make
    made = p.step(API_KEY)  # the step warns, and the run goes on
    warned = p.shown[-1]
    p.step(SECRET_KEY)
    # The key this account's scenario journalled as made by an earlier session of 02.
    journal = ProgressRecord(p.workspace.state_dir).events(step=API_KEY)
    mine = [e for e in journal if getattr(e, "scenario", "") and e.account_sid == p.account_sid]
    (lost,) = mine
    assert isinstance(lost, KeyCreated) and made.key_sid != lost.key_sid
    _says(
        warned,
        f"The env file names the key {lost.key_sid} but holds no secret for it, so a new key"
        " was created.",
        SCENARIOS["lost-secret"].advice,
        "headless with revoke_orphan_keys True",
        "orphan key",
    )
    assert p.record(API_KEY).orphans == [lost.key_sid]

    p.step(API_KEY, revoke_orphan_keys=True)
    assert [k["sid"] for k in p.snapshot()["keys"]] == [made.key_sid]
    p.audit()


def test_protected_sender_id_is_added_at_04_and_blocked_at_05(practice):
    p = practice(scenario="protected-sender-id")
    p.step(MESSAGING_SERVICE, p.suggested["sender_id"])  # Twilio cannot see SGNIC's registry
    _says(
        p.shown[-1],
        "Messaging Service ready",
        "an error on the service's Sender Pool page, or a test SMS that never arrives",
    )
    stop = p.stops(TEST_MESSAGE, TwilioActionError, p.suggested["test_phone"], wait_seconds=5)
    assert stop.code == 30007 and stop.field == "Sender ID"
    _says(stop.advice, SCENARIOS["protected-sender-id"].advice)
    snap = p.snapshot()
    assert [a["alpha_sender"] for a in snap["services"][0]["alpha_senders"]] == ["GOVSG"]
    assert [(m["status"], m["error_code"]) for m in snap["messages"]] == [("failed", 30007)]

    p.step(MESSAGING_SERVICE, SENDER_ID, "Postman SMS 2")  # the agency's own, in a new service
    p.step(TEST_MESSAGE, SG_MOBILE, wait_seconds=5)
    assert p.record(TEST_MESSAGE).outcome == "delivered"
    p.audit()


def test_alpha_sender_disabled_stops_at_04_and_enabling_it_reuses_the_service(practice):
    # As the issue's own command runs it (a whole run): 01 to 03 pass, 04 stops, no alpha sender.
    p = practice(scenario="alpha-sender-disabled", sender_id="GOVTECH")
    for step in (ACCOUNT, API_KEY, SECRET_KEY):
        p.step(step)
    stop = p.stops(MESSAGING_SERVICE, TwilioActionError, "GOVTECH")
    assert stop.code == 21709 and stop.field == "Sender ID"
    _says(stop.message, "Twilio refused the Sender ID 'GOVTECH'", "Twilio gives two causes")
    _says(
        stop.advice,
        SCENARIOS["alpha-sender-disabled"].advice,
        "Messaging > Settings > General > Alphanumeric Sender ID",
    )
    snap = p.snapshot()
    [kept] = snap["services"]
    assert kept["alpha_senders"] == []  # no alpha sender created
    assert snap["account"]["alpha_sender_enabled"] is False
    page = _console_action(p.url, p.account_sid, "enable-alpha-senders")
    assert "Alphanumeric Sender IDs are enabled" in page

    p.step(MESSAGING_SERVICE, "GOVTECH")
    [service] = p.snapshot()["services"]
    assert service["sid"] == kept["sid"]  # the empty service, reused
    assert [a["alpha_sender"] for a in service["alpha_senders"]] == ["GOVTECH"]
    p.audit()


def test_sender_id_not_mapped_fails_the_test_sms_with_30007_and_mapping_fixes_it(practice):
    p = practice(scenario="sender-id-not-mapped")
    p.step(MESSAGING_SERVICE, p.suggested["sender_id"])
    stop = p.stops(TEST_MESSAGE, TwilioActionError, p.suggested["test_phone"], wait_seconds=5)
    assert stop.code == 30007 and stop.field == "Sender ID"
    assert stop.message.startswith(
        f"The test message was filtered by the carrier (error 30007): Singapore blocked"
        f" '{SENDER_ID}'"
    )
    _says(stop.advice, SCENARIOS["sender-id-not-mapped"].advice, "Check your SSIR approval")
    messages = p.snapshot()["messages"]
    assert [(m["status"], m["error_code"]) for m in messages] == [("failed", 30007)]

    _console_action(p.url, p.account_sid, "map-sender-ids")  # Twilio maps it
    p.step(TEST_MESSAGE, SG_MOBILE, wait_seconds=5)
    assert p.record(TEST_MESSAGE).outcome == "delivered"
    p.audit()


def test_foreign_recipient_in_the_us_is_refused_at_05_naming_a2p_10dlc(practice):
    p = practice(scenario="foreign-recipient")
    p.step(MESSAGING_SERVICE, p.suggested["sender_id"])
    assert p.suggested["test_phone"] == US_MOBILE
    stop = p.stops(TEST_MESSAGE, InputError, US_MOBILE, wait_seconds=5)
    assert stop.field == "test_phone" and US_MOBILE in stop.message
    _says(stop.advice, SCENARIOS["foreign-recipient"].advice, "toll-free")
    assert p.snapshot()["messages"] == []  # nothing was sent

    # A UK mobile needs no bought number: the Sender ID goes there as it is.
    p.step(TEST_MESSAGE, UK_MOBILE, wait_seconds=5)
    assert p.record(TEST_MESSAGE).shown_from == SENDER_ID

    # The US: a bought number, registered for A2P 10DLC (the trainer marks it), confirmed in 05.
    p.step(PHONE_NUMBER, buy=True, confirm=True)
    p.step(MESSAGING_SERVICE)
    set_account(p.url, p.account_sid, us_senders_registered=True)
    p.step(TEST_MESSAGE, US_MOBILE, us_sender_registered=True, wait_seconds=5)
    sent = p.record(TEST_MESSAGE)
    assert sent.outcome == "delivered" and sent.shown_from.startswith("+1")
    p.audit()


def test_flaky_network_completes_finds_the_lost_create_and_a_rerun_is_safe(practice):
    # The whole runbook (00 to 06, as a run without --only), through the injected faults: the
    # gateway's retries and step 04's look-up of the lost create are the steps' own doing.
    p = practice(scenario="flaky-network")
    phone = p.suggested["test_phone"]
    p.step(START)
    _says(p.shown[-1], f"Training scenario: {SCENARIOS['flaky-network'].title}")
    for step in (ACCOUNT, API_KEY, SECRET_KEY):
        p.step(step)
    service = p.step(MESSAGING_SERVICE, p.suggested["sender_id"])
    _says(
        p.shown[-1],
        "Twilio's answer to creating the service was lost; the service 'Postman SMS' it made was"
        " found by name and is used (not created twice).",
        SCENARIOS["flaky-network"].advice,
    )
    p.step(TEST_MESSAGE, phone, wait_seconds=5)
    p.step(HANDOFF, phone, wait_seconds=5)
    assert p.record(HANDOFF).postman_check == "passed"
    assert list_faults(p.url) == []  # every injected fault was met
    log = request_log(p.url, p.account_sid)
    met = {(r["method"], r["path"].rsplit("/", 1)[-1], r["status"]) for r in log}
    assert {("GET", "Keys", 0), ("POST", "Keys.json", 429), ("POST", "Services", 0)} <= met
    assert ("POST", "Messages.json", 503) in met and ("POST", "Messages.json", 201) in met

    # Running again (the steps that create things) makes nothing twice.
    p.step(API_KEY)
    assert p.step(MESSAGING_SERVICE, SENDER_ID).service_sid == service.service_sid
    state = p.snapshot()
    assert len(state["services"]) == 1 and len(state["keys"]) == 1  # nothing made twice
    assert [a["alpha_sender"] for a in state["services"][0]["alpha_senders"]] == [SENDER_ID]
    p.audit()


def test_failing_campaign_is_explained_code_by_code_by_the_health_check(practice):
    p = practice(scenario="failing-campaign")
    found = p.step(HEALTH_CHECK, days=p.suggested["days"])  # findings, not a failed step
    text = p.shown[-1]
    _says(text, SCENARIOS["failing-campaign"].advice, "✖ Error 30007")
    assert [c.name for c in found.problems if c.status == "fail"] == ["Error 30007"]
    record = p.record(HEALTH_CHECK)
    counted = json.loads(Path(record.health_file).read_text(encoding="utf-8"))["messages"]
    codes = {code: n for code, n in CAMPAIGN_MIX.items() if code.isdigit()}
    assert counted["by_error"] == codes and counted["total"] == sum(CAMPAIGN_MIX.values())
    assert counted["by_status"]["sent"] == CAMPAIGN_MIX["sent"]
    explained = {
        "30007": ("went out as 'GOVSG'", f"The sender pool now holds '{SENDER_ID}'"),
        "21610": ("replied STOP", "Take these recipients off the campaign's list in Postman"),
        "30003": ("switched off or out of coverage", "Send to these recipients again later"),
        "30005": ("may no longer exist", "Remove or correct these numbers"),
        "30008": ("unknown error", "give Twilio support a few message SIDs"),
    }
    assert set(explained) == set(codes)
    for code, fragments in explained.items():
        _says(text, f"Error {code}", *fragments)
    _says(text, "Postman counts it as a success")  # the 'sent' ones
    log = request_log(p.url, p.account_sid)
    read = [r for r in log if f"step/{HEALTH_CHECK.id}" in r["user_agent"]]
    assert read and {r["method"] for r in read} == {"GET"}
    p.audit()


# ---------------------------------------------------------------- the runner's wiring


@pytest.mark.notebook
def test_the_runner_starts_a_scenario_and_gives_its_parameters_to_the_notebooks(workspace):
    """What only a headless run shows: ``--scenario`` starts the scenario before the notebooks,
    notebook 00 shows its briefing, the scenario's suggested parameters reach the notebooks
    (wrong-secret's api_key_source 'console': without it 02 takes 'create' and stops
    otherwise), and the run stops at the step with Twilio's code and the advice, on stderr and
    in the notebook."""
    done = _run(workspace, *_only("00", "02"), scenario="wrong-secret")
    _stopped(done, "02_api_key")
    key_sid = CredentialStore(workspace.env_file).get(API_KEY_SID)
    _says(
        done.stderr,
        f"Twilio did not accept the API key {key_sid} with this secret (error 20003)",
        SCENARIOS["wrong-secret"].advice,
    )
    _says(_notebook(workspace, "02_api_key"), "What to do: ", SCENARIOS["wrong-secret"].advice)
    _briefing_shown(workspace, "wrong-secret")
    started = ProgressRecord(workspace.state_dir).read(START)
    assert started.scenario == "wrong-secret" and started.account_sid == _account(workspace)
    _audit(workspace)


def test_every_scenario_has_a_test_here_and_a_row_in_the_trainers_guide():
    source = Path(__file__).read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "TRAINERS.md").read_text(encoding="utf-8")
    for scenario in SCENARIOS.values():
        assert f'scenario="{scenario.name}"' in source, f"no test runs {scenario.name}"
        assert f"| `{scenario.name}` |" in guide and f"**{scenario.name}**" in guide
        assert scenario.advice in guide, f"the guide does not quote {scenario.name}'s advice"


# ---------------------------------------------------------------- the notebook path


_PLAIN_PAPERMILL = """
import sys
import papermill

env_file, state_dir, out_00, out_01 = sys.argv[1:]
common = dict(mode="sandbox", env_file=env_file, state_dir=state_dir, headless=True)
papermill.execute_notebook(
    "00_start_here.ipynb", out_00, parameters={**common, "scenario": "trial-account"},
    progress_bar=False,
)
papermill.execute_notebook("01_account_sid.ipynb", out_01, parameters=common, progress_bar=False)
"""


@pytest.mark.notebook
def test_notebook_00_starts_a_scenario_under_plain_papermill_and_01_gives_the_advice(
    workspace, tmp_path
):
    db = workspace.sandbox_dir / "sandbox.sqlite3"
    outs = [tmp_path / "00.ipynb", tmp_path / "01.ipynb"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
    with SandboxServer(db) as server:
        env["ONBOARDING_TWILIO_BASE_URL"] = server.url
        paths = map(str, [workspace.env_file, workspace.state_dir, *outs])
        done = _python("-c", _PLAIN_PAPERMILL, *paths, cwd=ROOT / "notebooks", env=env, timeout=120)
        account = snapshot(server.url, _account(workspace))["account"]
    assert done.returncode != 0 and "PapermillExecutionError" in done.stderr  # 01 stops
    assert account["type"] == "Trial"
    _says(_outputs(outs[0]), "Training scenario: The account is still a Trial account")
    _says(_outputs(outs[1]), "What to do: " + SCENARIOS["trial-account"].advice)
    secrets = CredentialStore(workspace.env_file).secrets()
    assert leaks(secrets, [*outs, workspace.state_dir], [done.stdout, done.stderr]) == []


def test_the_scenario_form_starts_the_chosen_scenario(tmp_path, sandbox, monkeypatch):
    from onboarding_helpers.runbook import open_runbook
    from onboarding_helpers.steps.start import form

    monkeypatch.setenv("ONBOARDING_TWILIO_BASE_URL", sandbox.url)
    rb = open_runbook("sandbox", str(tmp_path / ".env"), str(tmp_path / "state"))
    shown_form = form(rb)
    assert shown_form.button.disabled  # nothing chosen yet
    shown_form.scenario.value = "suspended-account"
    assert not shown_form.button.disabled
    shown_form.button.click()
    shown = "".join(str(o.get("data", {}).get("text/plain", "")) for o in shown_form.output.outputs)
    assert "Training scenario: The account is suspended" in shown
    ac = rb.store.get(ACCOUNT_SID)
    assert f"/console/{ac}" in shown
    assert snapshot(sandbox.url, ac)["account"]["status"] == "suspended"
    assert ProgressRecord(tmp_path / "state").read(START).scenario == "suspended-account"


# ---------------------------------------------------------------- plumbing


def test_scenarios_are_listed_and_unknown_or_live_ones_refused(workspace):
    listed = _python("-m", "onboarding_helpers", "scenarios")
    assert listed.returncode == 0
    for scenario in SCENARIOS.values():
        _says(listed.stdout, scenario.name, scenario.bites_at)

    unknown = _run(workspace, scenario="trial-acount")
    assert unknown.returncode == 2
    _says(unknown.stderr, "'trial-acount' is not a training scenario", "trial-account")
    live_run = "-m onboarding_helpers run --live --scenario trial-account --env-file".split()
    live = _python(*live_run, str(workspace.env_file))
    assert live.returncode == 2 and "for the sandbox only" in live.stderr
    assert not workspace.env_file.exists() and not workspace.out_dir.exists()


def test_start_refuses_a_scenario_in_live_mode(tmp_path):
    from onboarding_helpers.errors import InputError
    from onboarding_helpers.runbook import open_runbook
    from onboarding_helpers.steps.start import start

    rb = open_runbook("live", str(tmp_path / ".env"), str(tmp_path / "state"))
    with pytest.raises(InputError, match="for the sandbox only"):
        start(rb, "trial-account")
    assert not (tmp_path / ".env").exists() and not (tmp_path / "state").exists()


def test_a_scenario_replaces_the_old_practice_account_and_its_board(tmp_path, sandbox, monkeypatch):
    from onboarding_helpers.runbook import open_runbook
    from onboarding_helpers.steps.start import start

    monkeypatch.setenv("ONBOARDING_TWILIO_BASE_URL", sandbox.url)
    rb = open_runbook("sandbox", str(tmp_path / ".env"), str(tmp_path / "state"))
    old = start(rb).account_sid
    rb.store.save({API_KEY_SID: "SK" + "1" * 32, API_KEY_SECRET: "k" * 32, "OTHER": "kept"})
    started = start(rb, "protected-sender-id")
    assert started.provisioned and started.scenario == "protected-sender-id"
    values = rb.store.values()
    assert values[ACCOUNT_SID] == started.account_sid != old and values["OTHER"] == "kept"
    assert set(values) == {ACCOUNT_SID, AUTH_TOKEN, "OTHER"}  # the old account's values gone
    archived = list((tmp_path / "state").glob("progress.before-protected-sender-id-*.json"))
    assert len(archived) == 1 and old in archived[0].read_text()  # the old board, set aside
    settings = snapshot(sandbox.url, started.account_sid)["account"]
    assert "GOVSG" in settings["protected_sender_ids"] and settings["message_step_seconds"] == 0.1
    # Running 00 again without a scenario keeps the account and remembers its scenario.
    again = start(rb)
    assert again.account_sid == started.account_sid and not again.provisioned
    assert again.scenario == "protected-sender-id"
    assert rb.progress.read(START).scenario == "protected-sender-id"


def test_a_scenario_never_deletes_an_api_secret_it_cannot_prove_is_fake(workspace):
    unknown = "AC" + "0" * 32
    secret = "S" * 31 + "1"
    store = CredentialStore(workspace.env_file)
    store.save({ACCOUNT_SID: unknown, API_KEY_SID: "SK" + "1" * 32, API_KEY_SECRET: secret})
    before = workspace.env_file.read_bytes()
    done = _run(workspace, *_only("00"), scenario="trial-account")
    assert done.returncode == 2
    _says(done.stderr, f"holds an API key secret for the account {unknown}", "cannot be recovered")
    assert workspace.env_file.read_bytes() == before
    _audit(workspace)


# ---------------------------------------------------------------- the console page


def _get(
    url: str, headers: dict[str, str] | None = None, opener: urllib.request.OpenerDirector = _OPENER
) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def test_console_page_shows_the_account_masks_the_token_and_lists_resources(sandbox, flow):
    from onboarding_helpers.twilio_gateway import make_client

    f = flow(buy_number=True)
    client = make_client(f.account_sid, auth_token=f.auth_token, base_url=sandbox.url)
    message = client.messages.create(to=SG_MOBILE, body="hi", messaging_service_sid=f.service_sid)

    # The account's pages need its own login (or the trainer's cookie).
    assert _get(f"{sandbox.url}/console/{f.account_sid}")[0] == 403
    owner = _owner_opener(sandbox.url, f.account_sid, f.auth_token)
    status, page, headers_page = _get(f"{sandbox.url}/console/{f.account_sid}", opener=owner)
    assert status == 200 and headers_page["Content-Type"].startswith("text/html")
    assert "script-src 'nonce-" in headers_page["Content-Security-Policy"]
    _says(page, "Account Info", f.account_sid, "•" * 32, "Show", "Ministry of Testing")
    _says(page, "API keys &amp; tokens", f.api_key_sid, "Postman")
    _says(page, f.service_sid, f"<code>{f.sender_id}</code>", f"<code>{f.phone_number}</code>")
    _says(page, message.sid, SG_MOBILE)
    assert f.auth_token not in page and f.api_secret not in page
    assert leaks([f.auth_token, f.api_secret], [], [page]) == []

    # The Show button's request: only with the page's own header, never cached.
    assert _get(f"{sandbox.url}/console/{f.account_sid}/auth-token")[0] == 403
    trainer = _trainer_opener(sandbox.url)
    status, body, headers = _get(
        f"{sandbox.url}/console/{f.account_sid}/auth-token", {"X-Console-Reveal": "1"}, trainer
    )
    assert status == 200 and json.loads(body) == {"auth_token": f.auth_token}
    assert headers["Cache-Control"] == "no-store"

    status, index, _ = _get(f"{sandbox.url}/console", opener=trainer)
    assert status == 200 and f"/console/{f.account_sid}" in index
    assert "Practice accounts (newest first)" not in _get(f"{sandbox.url}/console", opener=owner)[1]
    status, by_query, _ = _get(f"{sandbox.url}/console?account={f.account_sid}", opener=owner)
    assert status == 200 and f.api_key_sid in by_query and f.auth_token not in by_query
    assert _get(f"{sandbox.url}/console/AC{'f' * 32}")[0] == 404
    # Another site's name for this server (DNS rebinding), or its forms, are refused.
    assert _get(f"{sandbox.url}/console/{f.account_sid}", {"Host": "evil.example"})[0] == 403
    request = urllib.request.Request(
        f"{sandbox.url}/console/{f.account_sid}/actions",
        data=b"action=upgrade",
        method="POST",
        headers={"Origin": "http://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        trainer.open(request, timeout=10)
    assert refused.value.code == 403
    # The page's own form: Origin is this server (the page's referrer policy keeps it so).
    assert headers_page["Referrer-Policy"] == "same-origin"
    request.remove_header("Origin")
    request.add_header("Origin", sandbox.url)
    with trainer.open(request, timeout=10) as upgraded:
        assert "Billing upgraded" in upgraded.read().decode()
    assert snapshot(sandbox.url, f.account_sid)["account"]["type"] == "Full"
