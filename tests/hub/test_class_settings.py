"""The class hub's pieces that need no JupyterHub running and no root: its settings, the config it
writes into JupyterHub's, and the trainee's side of a new practice account (``home``). The hub
itself, end to end, is ``test_hub.py``."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from onboarding_helpers.credentials import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    CredentialStore,
)
from onboarding_helpers.journal import SandboxAccountProvisioned
from onboarding_helpers.progress import ProgressRecord
from onboarding_helpers.steps.registry import START
from onboarding_helpers.training.hub import home
from onboarding_helpers.training.hub.config import configure
from onboarding_helpers.training.hub.settings import ClassSettings, unreadable_for_trainees
from onboarding_helpers.training.hub.trainees import ClassError, check_name

ROOT = Path(__file__).resolve().parents[2]


class _Section(SimpleNamespace):
    def __getattr__(self, name: str):  # JupyterHub's config: sections appear when first named
        value = _Section()
        setattr(self, name, value)
        return value


def test_settings_come_from_the_hubs_variables(tmp_path):
    settings = ClassSettings.from_environment(
        {
            "ONBOARDING_HUB_DIR": str(tmp_path / "class"),
            "ONBOARDING_HUB_PORT": "8100",
            "ONBOARDING_HUB_TRAINERS": "tan, lim",
            "ONBOARDING_HUB_AUTHENTICATOR": "shared-password",
        }
    )
    assert settings.port == 8100 and settings.trainers == {"tan", "lim"}
    assert settings.sandbox_dir == tmp_path / "class" / "sandbox"
    assert settings.sandbox_url == "http://127.0.0.1:8765"
    assert (settings.api_port, settings.proxy_api_port) == (8081, 8001)  # JupyterHub's own


def test_a_second_class_on_the_machine_sets_every_port_the_hub_listens_on(tmp_path):
    # A hub's own API and its proxy's are ports too: two hubs on JupyterHub's defaults meet
    # there (the second one's proxy cannot listen, and the first one's answers it: 403).
    settings = ClassSettings.from_environment(
        {
            "ONBOARDING_HUB_DIR": str(tmp_path / "class"),
            "ONBOARDING_HUB_API_PORT": "9081",
            "ONBOARDING_HUB_PROXY_API_PORT": "9001",
        }
    )
    c = _Section()
    configure(c, settings)
    assert c.JupyterHub.hub_port == 9081 and c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:9001"


def test_the_config_gives_each_trainee_a_server_and_the_class_one_sandbox(tmp_path):
    c = _Section()
    settings = ClassSettings(class_dir=tmp_path / "class", trainers=frozenset({"tan"}))
    configure(c, settings)
    assert c.JupyterHub.spawner_class.endswith("spawner.ClassSpawner")
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.PAMAuthenticator.allowed_groups == {settings.group}
    assert c.Authenticator.admin_users == {"tan"}
    assert c.Spawner.default_url.endswith("/notebooks/00_start_here.ipynb")
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    (sandbox,) = c.JupyterHub.services
    assert sandbox["name"] == "sandbox" and str(settings.sandbox_dir) in sandbox["command"]
    assert str(settings.sandbox_port) in sandbox["command"]
    assert not any("TOKEN" in name for name in sandbox["environment"])  # the sandbox makes it


@pytest.mark.parametrize("name", ["root", "ana", "ben-tan", "a1"])
def test_trainee_names_that_useradd_takes(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "a", "Ana", "../etc", "ana/ben", "-ana", "ana ben", "x" * 32])
def test_trainee_names_that_could_reach_elsewhere_are_refused(name):
    with pytest.raises(ClassError) as caught:
        check_name(name)
    assert "lower-case letters" in caught.value.advice


def test_a_folder_closed_to_other_users_is_found(tmp_path):
    closed = tmp_path / "closed"
    (closed / "inside").mkdir(parents=True)
    closed.chmod(0o700)
    tmp_path.chmod(0o755)
    assert unreadable_for_trainees(closed / "inside") in (closed, *closed.parents)
    assert unreadable_for_trainees(Path("/usr/bin/env").resolve()) is None


@pytest.fixture
def trainee_home(tmp_path, monkeypatch):
    work = tmp_path / "home" / "postman-runbook"
    environment = ClassSettings(class_dir=tmp_path / "class").trainee_environment(
        tmp_path / "home", "ana"
    )
    for name, value in environment.items():
        if name.startswith("ONBOARDING_"):
            monkeypatch.setenv(name, value)
    return work


def test_the_first_login_copies_the_notebooks_and_later_ones_keep_the_trainees(trainee_home):
    answer = home.prepare(ROOT / "notebooks")
    notebook = trainee_home / "notebooks" / "00_start_here.ipynb"
    assert answer == {"account_sid": ""} and notebook.exists()
    assert (trainee_home / ".runbook").is_dir()
    notebook.write_text(json.dumps({"mine": True}))
    home.prepare(ROOT / "notebooks")
    assert json.loads(notebook.read_text()) == {"mine": True}


def test_a_new_account_from_the_hub_replaces_the_old_one_with_a_backup(trainee_home):
    home.prepare(ROOT / "notebooks")
    store = CredentialStore(trainee_home / ".env.sandbox", mode="sandbox")
    old = {ACCOUNT_SID: "AC" + "1" * 32, AUTH_TOKEN: "2" * 32, API_KEY_SID: "SK" + "3" * 32}
    store.save({**old, API_KEY_SECRET: "s" * 32})
    new = {ACCOUNT_SID: "AC" + "4" * 32, AUTH_TOKEN: "5" * 32}
    event = SandboxAccountProvisioned(account_sid=new[ACCOUNT_SID])
    answer = home.adopt(
        {"values": new, "events": [{**event.to_json(), "step": START.id}], "scenario": ""}
    )
    assert answer["account_sid"] == new[ACCOUNT_SID] and answer["backup"]
    values = store.values()
    assert values[ACCOUNT_SID] == new[ACCOUNT_SID] and not values.get(API_KEY_SID)
    assert old[ACCOUNT_SID] in Path(answer["backup"]).read_text()  # nothing lost
    logged = ProgressRecord(trainee_home / ".runbook").events()
    made = [e for e in logged if isinstance(e, SandboxAccountProvisioned)]
    assert [(e.step, e.account_sid) for e in made] == [(START.id, new[ACCOUNT_SID])]
