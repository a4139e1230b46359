"""The checks' benchmark, as a pytest entry point (excluded by default): ``pytest -m bench -s tests/checks``.

It prints figures and asserts none (timings belong in a report, not in a pass/fail test). The full run over
1,000,000 events is ``.venv/bin/python -m vendorwatch.checks.bench``; set VENDORWATCH_BENCH_EVENTS to change
the size here.
"""

from __future__ import annotations

import os

import pytest

from vendorwatch.checks import bench


@pytest.mark.bench
def test_checks_benchmark_on_sqlite_and_postgresql(database_url: str) -> None:
    bench.measure(database_url.split(":", 1)[0], database_url, int(os.environ.get("VENDORWATCH_BENCH_EVENTS", "200000")))
