"""The benchmark harness itself works (issue: benchmarks are not timed tests). Asserts only that every message
was delivered and that the results, chart and report were written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import DIALECT_LABELS
from bench.run import BenchOptions, publish, run_bench
from core.infra.settings import Settings


# Alibaba's: issue 15's `make bench --dialect alibaba`, ACS3-signed SendSms through the same pipeline.
@pytest.mark.parametrize("dialect", ["tencent", "alibaba"])
async def test_quick_bench_delivers_every_message_and_writes_its_report(tmp_path: Path, dialect: str) -> None:
    options = BenchOptions(
        messages=2000,
        clients=4,
        half_rate_seconds=1.0,
        results_dir=tmp_path / "results",
        report_path=tmp_path / "REPORT.md",
        quick=True,
        dialect=dialect,
    )
    results = await run_bench(Settings(), options)
    assert results["dialect"] == results["settings"]["dialect"] == dialect
    assert results["e2e"]["delivered"] == 2000
    assert results["intake"]["accepted_numbers"] == 2000 and not results["intake"]["errors"]
    # The API's /metrics moved with the load: 10 SendSms calls of 200 numbers (the dialect's), every message
    # delivered.
    assert results["metrics_moved"] == {
        "send_sms_ok_requests": 10,
        "messages_accepted": 2000,
        "messages_delivered": 2000,
    }

    path = publish(results, options)
    saved = json.loads(path.read_text())
    for key in ("e2e_msgs_per_s", "floor_msgs_per_s", "ratio_to_floor", "intake_p99_ms", "peak_rss_mb"):
        assert key in saved
    assert set(saved["peak_rss_mb"]) >= {"api", "worker", "simulator", "postgres", "redis"}
    assert path.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    report = (tmp_path / "REPORT.md").read_text()
    assert f"results/{path.with_suffix('.png').name}" in report
    assert DIALECT_LABELS[dialect] in report
