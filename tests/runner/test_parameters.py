"""Notebook parameters: read as papermill reads them, and the runner's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboarding_helpers.errors import InputError
from onboarding_helpers.runner import RUNNER_OWNED, check_parameter, parse_parameter
from onboarding_helpers.runner.kernels import import_papermill
from onboarding_helpers.runner.parameters import (
    Parameter,
    check_known,
    for_notebook,
    notebook_parameters,
)
from onboarding_helpers.steps.registry import STEPS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOKS = [s.notebook(ROOT / "notebooks") for s in STEPS] + sorted(FIXTURES.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_same_reading_as_papermill_inspect_notebook(path):
    ours = {name: p._asdict() for name, p in notebook_parameters(path).items()}
    assert ours, f"{path.name} declares nothing: the comparison would prove nothing"
    assert ours == import_papermill().inspect_notebook(path)
    assert list(ours) == list(import_papermill().inspect_notebook(path))  # same order


def test_types_defaults_and_help_as_papermill_infers_them():
    found = notebook_parameters(FIXTURES / "declares.ipynb")
    assert found["mode"] == Parameter("mode", "str", '""', '"sandbox" or "live"')
    # An assignment over several lines: flattened, and only its last line's comment is help.
    assert found["limits"] == Parameter("limits", "dict", '{"a": 1,"b": 2,}', "per-kind limits")
    assert found["retries"] == Parameter("retries", "int", "3", "")  # from "# type: int"
    assert found["ratio"] == Parameter("ratio", "float", "0.5", "")
    assert "a" not in found and "b" not in found  # "a = b = 2" is skipped, as papermill does
    assert list(found) == ["mode", "limits", "retries", "ratio", "headless"]


def test_every_runbook_notebook_takes_headless_and_the_runner_owned_names():
    for step in STEPS:
        declared = notebook_parameters(step.notebook(ROOT / "notebooks"))
        assert set(RUNNER_OWNED) <= set(declared), step.id


def test_a_notebook_without_a_parameters_cell_declares_nothing(tmp_path):
    path = tmp_path / "plain.ipynb"
    path.write_text('{"cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1"}]}')
    assert notebook_parameters(path) == {}


def test_an_unknown_name_is_refused_listing_what_the_run_takes():
    declared = {"mode", "env_file", "headless", "sender_id", "test_phone"}
    check_known(declared, ["sender_id", "test_phone"])
    with pytest.raises(InputError) as caught:
        check_known(declared, ["sender_id", "sendr_id"])
    assert caught.value.field == "parameter sendr_id"
    assert "sender_id, test_phone" in caught.value.fix
    assert "env_file" not in caught.value.fix  # the runner's own are not offered


def test_each_notebook_gets_only_its_own_parameters_and_headless():
    chosen = for_notebook({"sender_id", "headless"}, {"sender_id": "GOVTECH", "test_phone": "+65"})
    assert chosen == {"headless": True, "sender_id": "GOVTECH"}


@pytest.mark.parametrize("name", sorted(RUNNER_OWNED))
def test_the_runner_owns_its_names(name):
    with pytest.raises(InputError) as caught:
        check_parameter(name, "anything")
    assert caught.value.field == f"parameter {name}" and RUNNER_OWNED[name] in caught.value.fix


@pytest.mark.parametrize("name", ["auth_token", "api_key_secret", "TWILIO_PASSWORD", "my_token"])
def test_a_name_that_looks_like_a_secret_is_refused(name):
    with pytest.raises(InputError, match="looks like a secret"):
        check_parameter(name, "x")


def test_a_secret_from_the_env_file_anywhere_in_a_value_is_refused_without_repeating_it():
    secret = "s3cr3t-from-the-env-file"
    check_parameter("messaging_service_name", "Postman SMS", [secret, ""])
    with pytest.raises(InputError) as caught:
        check_parameter("messaging_service_name", f"agency {secret} sms", ["", secret])
    assert "contains a secret from the env file" in str(caught.value)
    assert secret not in str(caught.value)


def test_a_value_shaped_like_a_twilio_secret_is_refused_but_a_sid_is_not():
    check_parameter("account_sid", "AC" + "a1" * 16)  # 34 characters: a SID
    with pytest.raises(InputError, match="shaped like a Twilio secret"):
        check_parameter("api_key_name", "key " + "a1" * 16)
    check_parameter("wait_seconds", 12345678901234567890123456789012)  # not text: not checked


@pytest.mark.parametrize(
    ("raw", "value"),
    [("True", True), ("False", False), ("None", None), ("20", 20), ("0.5", 0.5),
     ("+6581234567", 6581234567), ("GOVTECH", "GOVTECH")],
)  # fmt: skip
def test_p_converts_like_papermill(raw, value):
    assert parse_parameter(raw) == value and type(parse_parameter(raw)) is type(value)
