"""The suite's order: costliest modules first, each module's tests in their own order."""

from __future__ import annotations

import pytest

MARKERS = "[pytest]\nmarkers =\n    hub: h\n    browser: b\n    notebook: n\n"


def test_hub_then_browser_then_notebook_then_the_rest_each_module_whole(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(MARKERS)
    pytester.makepyfile(
        test_a_quick="def test_one(): pass\ndef test_two(): pass\ndef test_three(): pass\n",
        test_b_notebook=(
            "import pytest\npytestmark = pytest.mark.notebook\ndef test_run(): pass\n"
        ),
        test_c_browser=(
            "import pytest\ndef test_quick(): pass\n@pytest.mark.browser\ndef test_walk(): pass\n"
        ),
        test_d_hub="import pytest\npytestmark = pytest.mark.hub\ndef test_class(): pass\n",
        test_e_quick="def test_only(): pass\n",
    )
    result = pytester.runpytest("-p", "tests.costliest_first", "--collect-only", "-q")
    collected = [line for line in result.outlines if "::" in line]
    assert collected == [
        "test_d_hub.py::test_class",
        "test_c_browser.py::test_quick",  # its module is a browser module: it keeps its order
        "test_c_browser.py::test_walk",
        "test_b_notebook.py::test_run",
        "test_a_quick.py::test_one",  # more tests than test_e_quick's one
        "test_a_quick.py::test_two",
        "test_a_quick.py::test_three",
        "test_e_quick.py::test_only",
    ]
