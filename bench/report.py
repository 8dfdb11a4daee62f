"""Writing out a benchmark run: the results JSON, a section of bench/REPORT.md and a chart.

The results dict is produced by bench/run.py; this module only formats and stores it.
matplotlib is imported inside draw_chart so that importing this module stays cheap."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_TARGETS: dict[str, float] = {
    "e2e_msgs_per_s": 5000,
    "ratio_to_floor": 3,
    "intake_p99_ms": 100,
    "peak_rss_mb": 200,
}
PROCESS_ORDER = ("api", "worker", "simulator", "postgres", "redis", "loadgen")
MET = "✅ met"
MISSED = "❌ missed"
NOT_MEASURED = "n/a"

REPORT_HEADER = """# Benchmark report

What it measures: intake latency and throughput of `SendSms` under concurrent clients, end-to-end delivery rate through worker, carrier simulator and delivery reports, and the same load through a bare "floor" pipeline for comparison, plus CPU and peak memory per process.
How to run: `make bench` (full run), or `make bench ARGS=--quick` / `smsctl bench --quick` for a short smoke run. `--dialect alibaba` sends Alibaba's SendSms (ACS3) instead of Tencent's.
Each run appends one section below (newest last); raw figures are in `results/<date>-<sha>.json` next to a chart.
"""


# --- pure formatting helpers -------------------------------------------------------------------------


def fmt_num(value: float | int | None, decimals: int = 0) -> str:
    """A number with thousands separators (1,234,567 or 1,234.5); n/a for a missing or non-finite value."""
    if value is None or isinstance(value, bool):
        return NOT_MEASURED
    number = float(value)
    if not math.isfinite(number):
        return NOT_MEASURED
    if decimals == 0:
        return f"{round(number):,}"
    return f"{number:,.{decimals}f}"


def is_met(value: float | int | None, target: float | int | None, *, higher_is_better: bool) -> bool | None:
    """Whether a figure meets its target; None when either is missing."""
    if value is None or target is None:
        return None
    return value >= target if higher_is_better else value <= target


def mark(met: bool | None) -> str:
    """The met/missed mark for a table cell."""
    if met is None:
        return "—"
    return MET if met else MISSED


def _parse_date(results: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(results["date"]))


def _safe_sha(results: dict[str, Any]) -> str:
    sha = re.sub(r"[^A-Za-z0-9._-]", "_", str(results.get("git_sha") or ""))
    return sha or "unknown"


def result_stem(results: dict[str, Any]) -> str:
    """`<YYYY-MM-DD>-<git_sha>`: the file name of a run, before any -2, -3 suffix."""
    return f"{_parse_date(results).date().isoformat()}-{_safe_sha(results)}"


def _when_text(results: dict[str, Any]) -> str:
    when = _parse_date(results)
    offset = when.utcoffset()
    zone = "" if offset is None else " UTC" if not offset else f" {when:%z}"
    return f"{when:%Y-%m-%d %H:%M}{zone}"


def _kind(results: dict[str, Any]) -> str:
    return "quick" if results.get("quick") else "full"


DIALECT_LABELS = {"tencent": "Tencent SendSms (TC3)", "alibaba": "Alibaba SendSms (ACS3)"}


def dialect_label(results: dict[str, Any]) -> str:
    """Whose SendSms the load was; runs from before the dialect was recorded were all Tencent's."""
    dialect = str(results.get("dialect") or "tencent")
    return DIALECT_LABELS.get(dialect, dialect)


def _targets(results: dict[str, Any]) -> dict[str, float]:
    return {**DEFAULT_TARGETS, **(results.get("targets") or {})}


def _peak_rss(results: dict[str, Any], process: str) -> float | None:
    flat = results.get("peak_rss_mb") or {}
    if flat.get(process) is not None:
        return float(flat[process])
    value = ((results.get("processes") or {}).get(process) or {}).get("peak_rss_mb")
    return None if value is None else float(value)


def _intake_p99(results: dict[str, Any]) -> tuple[float | None, str]:
    """The intake p99 to judge against the target, and a label saying which measurement it is."""
    half = results.get("intake_half_rate")
    if half and half.get("p99_ms") is not None:
        rate = half.get("rate_rps")
        at = f" ({fmt_num(rate, 1)} req/s)" if rate is not None else ""
        return float(half["p99_ms"]), f"Intake p99 at half rate{at}"
    value = (results.get("intake") or {}).get("p99_ms", results.get("intake_p99_ms"))
    return (None if value is None else float(value)), "Intake p99 at full load (no half-rate run)"


def _kv(mapping: dict[str, Any]) -> str:
    parts = []
    for key, value in mapping.items():
        shown = fmt_num(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


def billing_line(figures: dict[str, Any]) -> str:
    """The daily deduction's figures (bench/billing.py) as one sentence."""
    seconds, repeat = figures.get("seconds"), figures.get("repeat_seconds")
    line = (
        f"Daily deduction: {fmt_num(figures.get('accounts'))} accounts charged in {_duration(seconds)} "
        f"({fmt_num(figures.get('accounts_per_s'))} accounts/s); a repeat run: {_duration(repeat)}, charges nothing"
    )
    extras = []
    if figures.get("seed_seconds") is not None:
        extras.append(f"seeding {fmt_num(figures['seed_seconds'], 1)} s")
    if figures.get("cleanup_seconds") is not None:
        extras.append(f"clean-up {fmt_num(figures['cleanup_seconds'], 1)} s")
    return line + (f" ({', '.join(extras)})" if extras else "") + "."


def _duration(value: float | int | None) -> str:
    """Seconds with one decimal, or milliseconds below 0.1 s (a no-op run takes milliseconds)."""
    if value is None or isinstance(value, bool) or not math.isfinite(float(value)):
        return NOT_MEASURED
    number = float(value)
    if number >= 0.1:
        return f"{fmt_num(number, 1)} s"
    ms = number * 1000
    return f"{fmt_num(ms, 0 if ms >= 10 else 1)} ms"


# --- results JSON ------------------------------------------------------------------------------------


def write_results(results: dict[str, Any], results_dir: Path) -> Path:
    """Write results to `results_dir/<YYYY-MM-DD>-<git_sha>.json`, or `...-2.json`, `-3`… if taken.

    The file is created exclusively, so an earlier run is never overwritten."""
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = result_stem(results)
    n = 1
    while True:
        path = results_dir / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
        try:
            with path.open("x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            n += 1
            continue
        return path


# --- REPORT.md ---------------------------------------------------------------------------------------


def summary_markdown(results: dict[str, Any], chart_rel: str | None = None) -> str:
    """One section of REPORT.md for a run. chart_rel is the chart's path relative to REPORT.md
    (default `results/<YYYY-MM-DD>-<git_sha>.png`)."""
    targets = _targets(results)
    machine = results.get("machine") or {}
    settings = results.get("settings") or {}
    intake = results.get("intake") or {}
    e2e = results.get("e2e") or {}
    floor = results.get("floor") or {}
    lines: list[str] = []

    lines.append(
        f"## {_when_text(results)} · `{results.get('git_sha')}` · {_kind(results)} run · {dialect_label(results)}"
    )
    lines.append("")
    lines.append(
        f"Machine: {machine.get('cores')} cores, {fmt_num(machine.get('memory_gb'), 1)} GB RAM, "
        f"{machine.get('cpu_model')}, {machine.get('platform')} · Python {machine.get('python')}, "
        f"PostgreSQL {machine.get('postgres')}, Redis {machine.get('redis')}  "
    )
    lines.append(f"Settings: {_kv(settings)}")
    lines.append("")

    e2e_rate = results.get("e2e_msgs_per_s", e2e.get("msgs_per_s"))
    floor_rate = results.get("floor_msgs_per_s", floor.get("msgs_per_s"))
    ratio = results.get("ratio_to_floor")
    p99, p99_label = _intake_p99(results)
    rss_target = targets["peak_rss_mb"]
    rows: list[tuple[str, str, str, str]] = [
        (
            "End-to-end msgs/s",
            fmt_num(e2e_rate),
            f"≥ {fmt_num(targets['e2e_msgs_per_s'])}",
            mark(is_met(e2e_rate, targets["e2e_msgs_per_s"], higher_is_better=True)),
        ),
        ("Floor msgs/s", fmt_num(floor_rate), "—", "—"),
        (
            "Ratio to floor",
            fmt_num(ratio, 2),
            f"≤ {fmt_num(targets['ratio_to_floor'])}",
            mark(is_met(ratio, targets["ratio_to_floor"], higher_is_better=False)),
        ),
        (
            f"{p99_label}, ms",
            fmt_num(p99, 1),
            f"≤ {fmt_num(targets['intake_p99_ms'])}",
            mark(is_met(p99, targets["intake_p99_ms"], higher_is_better=False)),
        ),
    ]
    for process in ("api", "worker"):
        rss = _peak_rss(results, process)
        rows.append(
            (
                f"Peak RSS {process}, MB",
                fmt_num(rss, 1),
                f"≤ {fmt_num(rss_target)}",
                mark(is_met(rss, rss_target, higher_is_better=False)),
            )
        )
    lines.append("| Figure | Value | Target | Result |")
    lines.append("|---|--:|--:|---|")
    lines.extend(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    lines.append("")

    errors = intake.get("errors") or {}
    error_text = ", ".join(f"{code}: {fmt_num(count)}" for code, count in errors.items()) or "none"
    lines.append(
        f"Intake (full load): {fmt_num(intake.get('requests'))} requests, "
        f"{fmt_num(intake.get('accepted_numbers'))} numbers accepted, "
        f"{fmt_num(intake.get('requests_per_s'), 1)} req/s, {fmt_num(intake.get('numbers_per_s'))} numbers/s; "
        f"p50 {fmt_num(intake.get('p50_ms'), 1)} / p95 {fmt_num(intake.get('p95_ms'), 1)} / "
        f"p99 {fmt_num(intake.get('p99_ms'), 1)} / max {fmt_num(intake.get('max_ms'), 1)} ms; errors: {error_text}.  "
    )
    half = results.get("intake_half_rate")
    if half:
        lines.append(
            f"Intake at half rate ({fmt_num(half.get('rate_rps'), 1)} req/s): {fmt_num(half.get('requests'))} requests; "
            f"p50 {fmt_num(half.get('p50_ms'), 1)} / p95 {fmt_num(half.get('p95_ms'), 1)} / "
            f"p99 {fmt_num(half.get('p99_ms'), 1)} / max {fmt_num(half.get('max_ms'), 1)} ms.  "
        )
    lines.append(
        f"End to end: {fmt_num(e2e.get('delivered'))} of {fmt_num(e2e.get('messages'))} delivered "
        f"in {fmt_num(e2e.get('seconds'), 1)} s; floor: {fmt_num(floor.get('messages'))} in "
        f"{fmt_num(floor.get('seconds'), 1)} s."
    )
    lines.append("")

    lines.append("| Process | Count | CPU s | Peak RSS MB |")
    lines.append("|---|--:|--:|--:|")
    processes: dict[str, Any] = results.get("processes") or {}
    names = [p for p in PROCESS_ORDER if p in processes] + [p for p in processes if p not in PROCESS_ORDER]
    for name in names:
        proc = processes[name] or {}
        lines.append(
            f"| {name} | {fmt_num(proc.get('count'))} | {fmt_num(proc.get('cpu_s'), 1)} "
            f"| {fmt_num(proc.get('peak_rss_mb'), 1)} |"
        )
    lines.append("")

    sql_per_1000 = e2e.get("sql_statements_per_1000")
    lines.append(f"- Carrier calls per 1,000 messages: {fmt_num(e2e.get('carrier_calls_per_1000'), 1)}")
    lines.append(
        "- SQL statements per 1,000 messages: "
        + (fmt_num(sql_per_1000, 1) if sql_per_1000 is not None else "not measured")
    )
    lines.append(f"- CPU per message (all processes): {fmt_num(results.get('cpu_us_per_msg'), 1)} µs")
    scheduled = results.get("scheduled") or {}
    lines.append(f"- Scheduled work: {scheduled.get('note') or 'no note'}")
    for job in ("billing", "gate"):
        figures = scheduled.get(job)
        if job == "billing" and isinstance(figures, dict) and figures.get("accounts") is not None:
            lines.append(f"  - {billing_line(figures)}")
        elif figures:
            shown = _kv(figures) if isinstance(figures, dict) else str(figures)
            lines.append(f"  - {job}: {shown}")
    lines.append("")

    chart = chart_rel if chart_rel is not None else f"results/{result_stem(results)}.png"
    lines.append(f"![Throughput and intake p99 over time]({chart})")
    lines.append("")
    return "\n".join(lines)


def append_report(results: dict[str, Any], report_path: Path, chart_rel: str) -> None:
    """Append this run's section to REPORT.md, creating the file with its header if missing.
    Earlier sections are never rewritten: the file is only ever opened for appending."""
    section = summary_markdown(results, chart_rel)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    prefix = ""
    if not report_path.exists() or report_path.stat().st_size == 0:
        prefix = REPORT_HEADER
    else:
        with report_path.open("rb") as fh:
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                prefix = "\n"
    with report_path.open("a", encoding="utf-8") as fh:
        fh.write(prefix + "\n" + section)


# --- chart -------------------------------------------------------------------------------------------


def _series(timeline: list[dict[str, Any]], key: str) -> list[float]:
    values: list[float] = []
    for point in timeline:
        value = point.get(key)
        values.append(math.nan if value is None else float(value))
    return values


def _headroom(*groups: list[float], minimum: float = 1.0) -> float:
    """An upper y limit a third above the highest finite value, leaving room for a one-row legend."""
    finite = [v for group in groups for v in group if math.isfinite(v)]
    return max([minimum, *finite]) * 1.3


def draw_chart(results: dict[str, Any], png_path: Path) -> None:
    """A 10x8 in, 100 dpi PNG: accepted/s and delivered/s over time (with the floor rate), intake p99 over
    time (with its target), and the queue: lag of the oldest unsent request and jobs waiting in Redis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    timeline: list[dict[str, Any]] = results.get("timeline") or []
    targets = _targets(results)
    t = _series(timeline, "t")
    accepted = _series(timeline, "accepted_per_s")
    delivered = _series(timeline, "delivered_per_s")
    p99 = _series(timeline, "p99_ms")
    p99_target = float(targets["intake_p99_ms"])
    floor_rate = results.get("floor_msgs_per_s", (results.get("floor") or {}).get("msgs_per_s"))
    floor_line = [] if floor_rate is None else [float(floor_rate)]
    messages = (results.get("e2e") or {}).get("messages", (results.get("settings") or {}).get("messages"))
    thousands = FuncFormatter(lambda value, _pos: f"{value:,.0f}")

    lag = _series(timeline, "queue_lag_s")
    depth = _series(timeline, "queue_depth")
    fig, (top, bottom, queue) = plt.subplots(3, 1, figsize=(10, 8), dpi=100, sharex=True)
    try:
        top.plot(t, accepted, label="accepted/s", color="tab:blue", linewidth=1.5)
        top.plot(t, delivered, label="delivered/s", color="tab:green", linewidth=1.5)
        if floor_line:
            top.axhline(
                floor_line[0],
                color="tab:gray",
                linestyle="--",
                linewidth=1.2,
                label=f"floor {fmt_num(floor_rate)} msgs/s",
            )
        top.set_ylabel("messages / s")
        top.set_ylim(0, _headroom(accepted, delivered, floor_line))
        top.yaxis.set_major_formatter(thousands)
        top.grid(True, alpha=0.3)
        top.legend(loc="upper left", ncols=3, fontsize="small", framealpha=0.9)
        if not timeline:
            top.text(0.5, 0.5, "no timeline data", transform=top.transAxes, ha="center", va="center")

        bottom.plot(t, p99, label="intake p99 (per second)", color="tab:orange", linewidth=1.5)
        bottom.axhline(
            p99_target,
            color="tab:red",
            linestyle="--",
            linewidth=1.2,
            label=f"target {fmt_num(p99_target)} ms",
        )
        bottom.set_ylabel("intake p99, ms")

        queue.plot(t, lag, label="queue lag (oldest unsent request), s", color="tab:purple", linewidth=1.5)
        queue.set_ylabel("lag, s")
        queue.set_xlabel("seconds since start")
        queue.set_ylim(bottom=0)
        queue.grid(True, alpha=0.3)
        jobs = queue.twinx()
        jobs.plot(t, depth, label="jobs queued in Redis", color="tab:brown", linewidth=1, linestyle=":")
        jobs.set_ylabel("jobs")
        jobs.set_ylim(bottom=0)
        handles = queue.get_legend_handles_labels()[0] + jobs.get_legend_handles_labels()[0]
        queue.legend(handles=handles, loc="upper left", ncols=2, fontsize="small", framealpha=0.9)
        bottom.set_ylim(0, _headroom(p99, [p99_target]))
        bottom.yaxis.set_major_formatter(thousands)
        bottom.grid(True, alpha=0.3)
        bottom.legend(loc="upper left", ncols=2, fontsize="small", framealpha=0.9)

        fig.suptitle(
            f"Benchmark {_when_text(results)} · {results.get('git_sha')} · "
            f"{fmt_num(messages)} messages · {_kind(results)} run · {dialect_label(results)}"
        )
        fig.tight_layout()
        png_path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png_path, format="png")
    finally:
        plt.close(fig)
