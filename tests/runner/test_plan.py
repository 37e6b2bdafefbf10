"""The runner's plan: which steps run, from the registry, in its order."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboarding_helpers.errors import InputError
from onboarding_helpers.runner import plan
from onboarding_helpers.steps import registry

# Optional steps a parameter brings into a full run (04a); 07 is taken only when named.
OPTIONAL = [s for s in registry.STEPS if s.optional and s.included_by]
REQUIRED = [s for s in registry.STEPS if not s.optional]


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    """A notebooks folder with a (blank) notebook for every step."""
    for step in registry.STEPS:
        step.notebook(tmp_path).write_text("{}")
    return tmp_path


def ids(steps) -> list[str]:
    return [s.id for s in steps]


def test_the_registry_has_an_optional_step_brought_in_by_a_parameter():
    # Otherwise the optional-step tests below would prove nothing.
    assert OPTIONAL and all(s.included_by for s in OPTIONAL) and len(REQUIRED) >= 3


def test_a_full_run_takes_every_required_step_in_registry_order(notebooks):
    assert ids(plan(notebooks)) == ids(REQUIRED)


def test_only_by_number_or_id_keeps_registry_order(notebooks):
    first, last = REQUIRED[1], REQUIRED[-1]
    assert ids(plan(notebooks, [last.id, first.number])) == [first.id, last.id]


def test_an_optional_step_runs_when_named(notebooks):
    step = OPTIONAL[0]
    assert ids(plan(notebooks, [step.number])) == [step.id]
    assert ids(plan(notebooks, [step.id])) == [step.id]


def test_an_optional_step_runs_when_its_parameter_is_true(notebooks):
    step = OPTIONAL[0]
    chosen = ids(plan(notebooks, parameters={step.included_by: True}))
    assert step.id in chosen
    assert chosen == [s.id for s in registry.STEPS if not s.optional or s is step]


@pytest.mark.parametrize("value", [False, "True", 1, None])
def test_an_optional_step_stays_out_unless_its_parameter_is_true_itself(notebooks, value):
    step = OPTIONAL[0]
    assert step.id not in ids(plan(notebooks, parameters={step.included_by: value}))


def test_only_wins_over_the_parameter_that_brings_an_optional_step_in(notebooks):
    step, other = OPTIONAL[0], REQUIRED[1]
    assert ids(plan(notebooks, [other.number], {step.included_by: True})) == [other.id]


def test_an_optional_step_without_a_parameter_runs_only_when_named(notebooks):
    named_only = [s for s in registry.STEPS if s.optional and not s.included_by]
    assert named_only  # 07_rotate_key
    for step in named_only:
        assert step.id not in ids(plan(notebooks))
        assert ids(plan(notebooks, [step.number])) == [step.id]


def test_include_optional_brings_every_optional_step_in(notebooks):
    assert ids(plan(notebooks, include_optional=True)) == ids(registry.STEPS)


def test_unknown_steps_are_refused_naming_them_and_the_choices(notebooks):
    with pytest.raises(InputError) as caught:
        plan(notebooks, [REQUIRED[1].number, "09", "01_acount_sid"])
    assert caught.value.field == "--only"
    assert "'01_acount_sid'" in str(caught.value) and "'09'" in str(caught.value)
    assert all(s.id in caught.value.fix for s in registry.STEPS)


def test_a_step_without_a_notebook_is_left_out(notebooks):
    missing = REQUIRED[2]
    missing.notebook(notebooks).unlink()
    assert missing.id not in ids(plan(notebooks))
    assert ids(plan(notebooks, [missing.number])) == []


def test_the_runbook_has_a_notebook_for_every_step():
    root = Path(__file__).resolve().parents[2]
    assert ids(plan(root / "notebooks", include_optional=True)) == ids(registry.STEPS)


def test_a_folder_without_the_runbooks_notebooks_is_refused_naming_it(tmp_path):
    # Run from the wrong folder (a trainee's home), a run must not end "All 0 steps done".
    with pytest.raises(InputError) as refused:
        plan(tmp_path)
    assert refused.value.field == "notebooks" and str(tmp_path) in str(refused.value)
