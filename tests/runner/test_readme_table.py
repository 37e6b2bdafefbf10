"""The README's table of headless parameters is the rendering of the notebooks' parameters."""

from __future__ import annotations

from pathlib import Path

from onboarding_helpers.runner import readme
from onboarding_helpers.steps.registry import STEPS

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_table_is_rendered_from_the_notebooks():
    rendered = readme.render_table(ROOT / "notebooks")
    assert readme.current_table(ROOT / "README.md") == rendered, (
        "README.md's table of headless parameters differs from the notebooks' parameters"
        f" cells: run `.venv/bin/python -m {readme.COMMAND.removeprefix('python -m ')}` and"
        " commit README.md."
    )


def test_the_table_has_a_row_per_step_and_leaves_out_what_the_runner_sets():
    rendered = readme.render_table(ROOT / "notebooks")
    rows = [line for line in rendered.splitlines() if line.startswith("| 0")]
    assert [row.split()[1] for row in rows] == [s.number for s in STEPS]
    for name in ("`mode`", "`env_file`", "`state_dir`", "`headless`"):
        assert name not in rendered
    assert "`sender_id`" in rendered and "`test_phone`" in rendered


def test_a_changed_parameter_makes_the_check_fail(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for step in STEPS:
        text = step.notebook(ROOT / "notebooks").read_text(encoding="utf-8")
        step.notebook(notebooks).write_text(
            text.replace("sender_id: str", "sender_name: str"), encoding="utf-8"
        )
    copy = tmp_path / "README.md"
    copy.write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    changed = readme.render_table(notebooks)
    assert "`sender_name`" in changed and readme.current_table(copy) != changed
    assert readme.write_table(copy, changed) is True
    assert readme.current_table(copy) == changed
    assert readme.write_table(copy, changed) is False  # nothing left to do
    # Only the block changed.
    before = (ROOT / "README.md").read_text(encoding="utf-8").split(readme.START)[0]
    assert copy.read_text(encoding="utf-8").split(readme.START)[0] == before
