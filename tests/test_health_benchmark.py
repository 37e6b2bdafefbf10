"""``benchmarks/health_check.py`` in its smoke form (the style of tests/test_benchmarks.py): it
sets up a real account in use, runs a real health check against the sandbox, and prints the
figures it measured."""

from __future__ import annotations

from pathlib import Path

from .test_benchmarks import run_benchmark


def test_the_health_check_benchmark_smoke_form_measures_a_real_check(tmp_path: Path) -> None:
    done, figures = run_benchmark("health_check.py", "--smoke", tmp_path=tmp_path, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert figures["messages"] == 2000 and figures["ok"] is True
    run = figures["runs"][0]
    assert run["counted"] == 2000 and run["not_get"] == 0
    assert run["list_requests"] == figures["list_requests"] == 2  # 1000 a page
    assert figures["one_page"]["list_requests"] == 1
    assert 0 < run["seconds"] <= figures["seconds_target"]
    assert 0 < figures["median_peak_kib"] and figures["peak_ratio_to_one_page"] < 2
    assert "message-list requests: 2 (PageSize 1000)" in done.stdout
