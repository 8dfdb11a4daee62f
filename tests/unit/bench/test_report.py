"""bench/report.py: results JSON, REPORT.md sections and the chart."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench.report import (
    MET,
    MISSED,
    REPORT_HEADER,
    append_report,
    draw_chart,
    fmt_num,
    is_met,
    mark,
    summary_markdown,
    write_results,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _timeline(seconds: int = 60) -> list[dict[str, Any]]:
    points = []
    for i in range(seconds):
        ramp = min(1.0, (i + 1) / 5)
        accepted = 0.0 if i > 45 else 9000.0 * ramp + 300 * math.sin(i / 3)
        delivered = 5200.0 * min(1.0, i / 8) + 150 * math.cos(i / 4)
        points.append(
            {
                "t": float(i + 1),
                "accepted_per_s": round(accepted, 1),
                "delivered_per_s": round(delivered, 1),
                "queue_depth": max(0, int((accepted - delivered) * i)),
                "unfinished": max(0, 200_000 - 5200 * i),
                "p99_ms": None if i > 45 else round(40 + 25 * ramp + 10 * math.sin(i), 1),
            }
        )
    return points


@pytest.fixture
def results() -> dict[str, Any]:
    return {
        "date": "2026-11-22T05:30:00Z",
        "git_sha": "abc1234",
        "quick": False,
        "machine": {
            "cores": 2,
            "memory_gb": 23.4,
            "cpu_model": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
            "python": "3.11.7",
            "postgres": "18.6",
            "redis": "6.2.14",
            "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
        },
        "settings": {
            "messages": 200_000,
            "clients": 16,
            "api_processes": 1,
            "worker_processes": 1,
            "numbers_per_request": 200,
            "report_delay_s": 0.5,
        },
        "intake": {
            "requests": 1000,
            "accepted_numbers": 200_000,
            "numbers_per_s": 9123.4,
            "requests_per_s": 45.6,
            "p50_ms": 31.2,
            "p95_ms": 88.8,
            "p99_ms": 142.7,
            "max_ms": 310.0,
            "errors": {"RequestLimitExceeded": 3},
        },
        "intake_half_rate": {
            "rate_rps": 22.8,
            "requests": 500,
            "p50_ms": 18.1,
            "p95_ms": 44.0,
            "p99_ms": 61.5,
            "max_ms": 97.2,
        },
        "e2e": {
            "messages": 200_000,
            "delivered": 199_998,
            "seconds": 38.4,
            "msgs_per_s": 5208.3,
            "carrier_calls": 1000,
            "carrier_calls_per_1000": 5.0,
            "sql_statements": 4100,
            "sql_statements_per_1000": 20.5,
        },
        "floor": {"messages": 200_000, "seconds": 15.1, "msgs_per_s": 13245.0},
        "ratio_to_floor": 2.54,
        "processes": {
            "api": {"cpu_s": 21.3, "peak_rss_mb": 142.0, "count": 1},
            "worker": {"cpu_s": 30.9, "peak_rss_mb": 176.5, "count": 1},
            "simulator": {"cpu_s": 8.2, "peak_rss_mb": 61.0, "count": 1},
            "postgres": {"cpu_s": 40.1, "peak_rss_mb": 512.3, "count": 9},
            "redis": {"cpu_s": 6.6, "peak_rss_mb": 48.9, "count": 1},
            "loadgen": {"cpu_s": 12.0, "peak_rss_mb": 90.0, "count": 1},
        },
        "cpu_us_per_msg": 535.5,
        "scheduled": {
            "billing": None,
            "gate": {"runs": 2, "seconds": 0.8},
            "note": "Billing roll-up did not fire during the run.",
        },
        "timeline": _timeline(),
        "targets": {"e2e_msgs_per_s": 5000, "ratio_to_floor": 3, "intake_p99_ms": 100, "peak_rss_mb": 200},
        "e2e_msgs_per_s": 5208.3,
        "floor_msgs_per_s": 13245.0,
        "intake_p99_ms": 61.5,
        "peak_rss_mb": {"api": 142.0, "worker": 176.5, "simulator": 61.0, "postgres": 512.3, "redis": 48.9},
    }


def _row(markdown: str, starts: str) -> str:
    rows = [line for line in markdown.splitlines() if line.startswith(f"| {starts}")]
    assert len(rows) == 1, (starts, rows)
    return rows[0]


# --- helpers ----------------------------------------------------------------------------------------


def test_fmt_num_uses_thousands_separators_and_handles_missing() -> None:
    assert fmt_num(200_000) == "200,000"
    assert fmt_num(5208.3) == "5,208"
    assert fmt_num(13245.04, 1) == "13,245.0"
    assert fmt_num(None) == "n/a"
    assert fmt_num(math.nan, 1) == "n/a"


def test_is_met_and_mark() -> None:
    assert is_met(5000, 5000, higher_is_better=True) is True
    assert is_met(4999, 5000, higher_is_better=True) is False
    assert is_met(100, 100, higher_is_better=False) is True
    assert is_met(100.1, 100, higher_is_better=False) is False
    assert is_met(None, 100, higher_is_better=False) is None
    assert mark(True) == MET
    assert mark(False) == MISSED
    assert mark(None) == "—"


# --- results JSON -----------------------------------------------------------------------------------


def test_write_results_round_trips_under_date_and_sha(results: dict[str, Any], tmp_path: Path) -> None:
    path = write_results(results, tmp_path / "results")
    assert path == tmp_path / "results" / "2026-11-22-abc1234.json"
    assert json.loads(path.read_text(encoding="utf-8")) == results


def test_second_write_same_day_and_sha_gets_a_suffix(results: dict[str, Any], tmp_path: Path) -> None:
    first = write_results(results, tmp_path)
    second_results = copy.deepcopy(results)
    second_results["date"] = "2026-11-22T18:02:11Z"
    second_results["e2e_msgs_per_s"] = 4321.0
    second = write_results(second_results, tmp_path)
    third = write_results(results, tmp_path)
    assert first.name == "2026-11-22-abc1234.json"
    assert second.name == "2026-11-22-abc1234-2.json"
    assert third.name == "2026-11-22-abc1234-3.json"
    assert json.loads(first.read_text(encoding="utf-8"))["e2e_msgs_per_s"] == 5208.3
    assert json.loads(second.read_text(encoding="utf-8"))["e2e_msgs_per_s"] == 4321.0


# --- summary ----------------------------------------------------------------------------------------


def test_summary_contains_the_figures_and_marks_met_targets(results: dict[str, Any]) -> None:
    md = summary_markdown(results, "results/2026-11-22-abc1234.png")
    assert md.startswith("## 2026-11-22 05:30 UTC · `abc1234` · full run")
    assert "2 cores" in md and "23.4 GB" in md and "PostgreSQL 18.6" in md and "Redis 6.2.14" in md
    assert "messages=200,000" in md and "clients=16" in md
    assert _row(md, "End-to-end msgs/s") == "| End-to-end msgs/s | 5,208 | ≥ 5,000 | ✅ met |"
    assert _row(md, "Floor msgs/s") == "| Floor msgs/s | 13,245 | — | — |"
    assert _row(md, "Ratio to floor") == "| Ratio to floor | 2.54 | ≤ 3 | ✅ met |"
    assert (
        _row(md, "Intake p99 at half rate")
        == "| Intake p99 at half rate (22.8 req/s), ms | 61.5 | ≤ 100 | ✅ met |"
    )
    assert _row(md, "Peak RSS api") == "| Peak RSS api, MB | 142.0 | ≤ 200 | ✅ met |"
    assert _row(md, "Peak RSS worker") == "| Peak RSS worker, MB | 176.5 | ≤ 200 | ✅ met |"
    assert MISSED not in md
    assert _row(md, "postgres") == "| postgres | 9 | 40.1 | 512.3 |"
    assert _row(md, "loadgen") == "| loadgen | 1 | 12.0 | 90.0 |"
    assert "Carrier calls per 1,000 messages: 5.0" in md
    assert "SQL statements per 1,000 messages: 20.5" in md
    assert "535.5 µs" in md
    assert "Billing roll-up did not fire during the run." in md
    assert "gate: runs=2, seconds=0.8" in md
    assert "RequestLimitExceeded: 3" in md
    assert "](results/2026-11-22-abc1234.png)" in md


def test_summary_marks_missed_targets(results: dict[str, Any]) -> None:
    results["quick"] = True
    results["e2e_msgs_per_s"] = 3100.0
    results["ratio_to_floor"] = 4.27
    results["intake_half_rate"]["p99_ms"] = 180.25
    results["peak_rss_mb"]["worker"] = 250.0
    md = summary_markdown(results, "results/x.png")
    assert "· quick run" in md.splitlines()[0]
    assert _row(md, "End-to-end msgs/s") == "| End-to-end msgs/s | 3,100 | ≥ 5,000 | ❌ missed |"
    assert _row(md, "Ratio to floor") == "| Ratio to floor | 4.27 | ≤ 3 | ❌ missed |"
    assert _row(md, "Intake p99").endswith("| 180.2 | ≤ 100 | ❌ missed |")
    assert _row(md, "Peak RSS api") == "| Peak RSS api, MB | 142.0 | ≤ 200 | ✅ met |"
    assert _row(md, "Peak RSS worker") == "| Peak RSS worker, MB | 250.0 | ≤ 200 | ❌ missed |"


def test_summary_without_half_rate_run_judges_full_load_p99_and_says_so(results: dict[str, Any]) -> None:
    results["intake_half_rate"] = None
    results["e2e"]["sql_statements_per_1000"] = None
    md = summary_markdown(results)
    assert (
        _row(md, "Intake p99")
        == "| Intake p99 at full load (no half-rate run), ms | 142.7 | ≤ 100 | ❌ missed |"
    )
    assert "SQL statements per 1,000 messages: not measured" in md
    assert "](results/2026-11-22-abc1234.png)" in md


# --- REPORT.md --------------------------------------------------------------------------------------


def test_append_report_creates_the_file_with_header(results: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "REPORT.md"
    append_report(results, report, "results/2026-11-22-abc1234.png")
    text = report.read_text(encoding="utf-8")
    assert text.startswith(REPORT_HEADER)
    assert "make bench ARGS=--quick" in text and "smsctl bench --quick" in text
    assert text.count("## 2026-11-22") == 1


def test_append_report_keeps_earlier_sections(results: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "REPORT.md"
    earlier = (
        "# Benchmark report\n\nHand-written notes.\n\n## 2026-11-01 · `0000000` · full run\n\nOld figures."
    )
    report.write_text(earlier, encoding="utf-8")
    results["e2e_msgs_per_s"] = 4000.0
    append_report(results, report, "results/a.png")
    results["date"] = "2026-11-23T07:00:00Z"
    results["e2e_msgs_per_s"] = 6000.0
    append_report(results, report, "results/b.png")
    text = report.read_text(encoding="utf-8")
    assert text.startswith(earlier + "\n")
    assert text.count("# Benchmark report") == 1
    first, second = text.index("## 2026-11-22 05:30"), text.index("## 2026-11-23 07:00")
    assert text.index("Old figures.") < first < second
    assert "| 4,000 | ≥ 5,000 | ❌ missed |" in text[first:second]
    assert "| 6,000 | ≥ 5,000 | ✅ met |" in text[second:]
    assert "](results/a.png)" in text[first:second] and "](results/b.png)" in text[second:]


# --- chart ------------------------------------------------------------------------------------------


def test_draw_chart_writes_a_png(results: dict[str, Any], tmp_path: Path) -> None:
    import matplotlib.image

    png = tmp_path / "charts" / "2026-11-22-abc1234.png"
    draw_chart(results, png)
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000
    height, width = matplotlib.image.imread(png).shape[:2]
    assert (width, height) == (1000, 800)


def test_draw_chart_copes_with_an_empty_timeline(results: dict[str, Any], tmp_path: Path) -> None:
    results["timeline"] = []
    png = tmp_path / "empty.png"
    draw_chart(results, png)
    assert png.read_bytes().startswith(PNG_SIGNATURE)
