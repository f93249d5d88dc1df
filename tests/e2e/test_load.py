"""A shortened load test (scripts/load_test.py): 5 visitors for 15 s must see no error.

Slow: run with `python -m pytest -m slow`. Latency and memory are reported, not asserted (speed targets
belong to the script's own report, measured on a quiet machine).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import _require_browser

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))


@pytest.mark.slow
@pytest.mark.e2e
def test_five_visitors_for_fifteen_seconds_see_no_error(tmp_path):
    _require_browser()
    import load_test

    report = load_test.run(sessions=5, seconds=15, max_interactions=400, log_path=tmp_path / "server.log")
    print(f"\n{report['interactions']} interactions, p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, "
          f"peak RSS {report['rss_peak_mb']} MB")
    assert report["interactions"] >= 5, report
    assert report["errors"] == [], report["errors"]
