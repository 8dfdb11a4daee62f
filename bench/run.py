"""`make bench` / `smsctl bench`: intake, end to end, the floor and process cost, in one run on the real stack.
Writes bench/results/<date>-<sha>.json, a PNG chart beside it, and a section of bench/REPORT.md."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
from redis.asyncio import Redis

from bench.billing import measure_deduction
from bench.floor import run_floor
from bench.gate import measure_gate
from bench.report import append_report, draw_chart, write_results
from bench.scrape import deltas, scrape
from bench.stack import ProcessUsage, Stack, start_stack
from core.infra.crypto import Keyring
from core.infra.settings import Settings, environment_with
from core.store import admin

BENCH_DIR = Path(__file__).resolve().parent
TEMPLATE = "Your code is {1}, valid for {2} minutes."
SIGN = "Bench"
TARGETS = {"e2e_msgs_per_s": 5000, "ratio_to_floor": 3, "intake_p99_ms": 100, "peak_rss_mb": 200}
# Tags the benchmark's own monitoring queries so they are not counted as the platform's statements.
OUTBOX_SQL = "/* bench-monitor */ SELECT count(*) FROM send_outbox"
# Queue lag: how long the oldest request still waiting to be handed to the carrier has waited.
LAG_SQL = (
    "/* bench-monitor */ SELECT count(*), coalesce(extract(epoch FROM $1::timestamptz - min(accepted_at)), 0)"
    " FROM send_outbox"
)
E2E_SQL = (
    "/* bench-monitor */ SELECT min(accepted_at), max(reported_at), count(*) FILTER (WHERE status = 'delivered')"
    " FROM messages WHERE sdk_app_id = $1"
)


@dataclass(frozen=True)
class BenchOptions:
    messages: int = 200_000
    clients: int = 16
    api_processes: int = 1
    worker_processes: int = 1
    quick: bool = False
    half_rate_seconds: float = 10.0
    # Accounts the daily-deduction figure charges; None: 10,000 in a quick run, else 100,000 (the issue's).
    billing_accounts: int | None = None
    results_dir: Path = BENCH_DIR / "results"
    report_path: Path = BENCH_DIR / "REPORT.md"
    # Whose SendSms the load generator sends (bench.loadgen.DIALECTS); the rest of the pipeline is the same.
    dialect: str = "tencent"


async def run_bench(settings: Settings, options: BenchOptions) -> dict[str, Any]:
    stack = await start_stack(
        settings, api_processes=options.api_processes, worker_processes=options.worker_processes
    )
    try:
        return await _measure(stack, options)
    finally:
        stack.stop()


async def _measure(stack: Stack, options: BenchOptions) -> dict[str, Any]:
    s = stack.settings
    tenant = await seed_bench_tenant(s.database_url, Keyring.parse(s.master_key))
    db = await asyncpg.connect(s.database_url)
    redis = Redis.from_url(s.redis_url)
    http = aiohttp.ClientSession()
    token_headers = {"Authorization": f"Bearer {s.carrier_webhook_token}"}
    try:
        requests = max(options.messages // 200, 1)
        messages = requests * 200
        usage = stack.usage()
        await _reset_statement_stats(db)
        sim_before = await simulator_stats(http, stack, token_headers)
        metrics_before = await scrape(http, stack.api_url, options.dialect)
        for group in usage.values():
            group.start()
        timeline: list[dict[str, Any]] = []
        started = time.time()
        monitor_db = await asyncpg.connect(s.database_url)  # the sampler's own: one connection, one query
        stop_sampling = asyncio.Event()
        sampler = asyncio.create_task(
            _sample(monitor_db, redis, http, stack, token_headers, usage, timeline, started, stop_sampling)
        )
        loadgen_cfg = load_config(
            stack, tenant, options.clients, requests, first_number=0, rate=None, dialect=options.dialect
        )
        intake, loadgen_usage = await run_loadgen(stack.work_dir, loadgen_cfg)
        await _wait_drained(db, http, stack, token_headers, sim_before["reports_sent"] + messages)
        for group in usage.values():
            group.stop()
        sim_after = await simulator_stats(http, stack, token_headers)
        metrics_moved = deltas(metrics_before, await scrape(http, stack.api_url, options.dialect))
        statements = await _statement_count(db)
        row = await db.fetchrow(E2E_SQL, tenant["sdk_app_id"])
        assert row is not None
        first, last, delivered = row
        e2e_seconds = (last - first).total_seconds()
        samples = list(intake["samples"])
        carrier_calls = sim_after["submit_calls"] - sim_before["submit_calls"]

        half = None
        if options.half_rate_seconds > 0 and intake["requests_per_s"] > 0:
            rate = intake["requests_per_s"] / 2
            half_requests = max(int(rate * options.half_rate_seconds), 10)
            cfg = load_config(
                stack, tenant, options.clients, half_requests, first_number=messages, rate=rate,
                dialect=options.dialect,
            )  # fmt: skip
            half_raw, _ = await run_loadgen(stack.work_dir, cfg)
            half = {"rate_rps": round(rate, 2), "requests": half_raw["requests"], **_latency(half_raw)}
            await _wait_drained(
                db, http, stack, token_headers, sim_before["reports_sent"] + messages + half_requests * 200
            )
            samples += half_raw["samples"]
        stop_sampling.set()  # not cancel(): a query cancelled mid-flight leaves its connection unusable
        await sampler
        await monitor_db.close()

        async with http.post(
            stack.simulator_url + "/control", json={"report_url": ""}, headers=token_headers
        ):
            pass  # the floor's submits must not trigger reports to the platform
        floor = await run_floor(
            database_url=s.database_url,
            redis_url=s.redis_url,
            simulator_url=stack.simulator_url,
            token=s.carrier_webhook_token,
            messages=messages,
            clients=options.clients,
        )
    finally:
        await http.close()
        await redis.aclose()
        await db.close()

    gate = await measure_gate(s.redis_url, requests=100 if options.quick else 500)
    billing_accounts = options.billing_accounts or (10_000 if options.quick else 100_000)
    billing = await measure_deduction(s.database_url, accounts=billing_accounts)
    processes = {name: group.view() for name, group in usage.items()}
    processes["loadgen"] = loadgen_usage
    platform_cpu = sum(v["cpu_s"] for k, v in processes.items() if k != "loadgen")
    e2e_rate = messages / e2e_seconds if e2e_seconds > 0 else 0.0
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_sha": git_sha(),
        "quick": options.quick,
        "dialect": options.dialect,
        "machine": await _machine(s.database_url, s.redis_url),
        "settings": {
            "messages": messages,
            "dialect": options.dialect,
            "clients": options.clients,
            "api_processes": options.api_processes,
            "worker_processes": options.worker_processes,
            "numbers_per_request": 200,
            "worker_max_jobs": s.worker_max_jobs,
            "worker_poll_delay_s": s.worker_poll_delay_s,
            "db_pool_max": s.db_pool_max,
            "carrier_pool_size": s.carrier_pool_size,
            "embedded_servers": stack.embedded_servers,
        },
        "intake": {
            "requests": intake["requests"],
            "accepted_numbers": intake["accepted_numbers"],
            "numbers_per_s": round(intake["numbers_per_s"], 1),
            "requests_per_s": round(intake["requests_per_s"], 2),
            **_latency(intake),
            "errors": intake["errors"],
        },
        "intake_half_rate": half,
        "e2e": {
            "messages": messages,
            "delivered": delivered,
            "seconds": round(e2e_seconds, 3),
            "msgs_per_s": round(e2e_rate, 1),
            "carrier_calls": carrier_calls,
            "carrier_calls_per_1000": round(carrier_calls * 1000 / messages, 2),
            "sql_statements": statements,
            "sql_statements_per_1000": round(statements * 1000 / messages, 1)
            if statements is not None
            else None,
        },
        "floor": floor,
        "ratio_to_floor": round(floor["msgs_per_s"] / e2e_rate, 2) if e2e_rate else None,
        "processes": processes,
        "cpu_us_per_msg": round(platform_cpu * 1e6 / messages, 1),
        # The API's /metrics counters over the full-load phase (one API process: with several, a scrape
        # reaches whichever the kernel picks).
        "metrics_moved": metrics_moved if options.api_processes == 1 else None,
        "scheduled": {
            "billing": billing,
            "gate": gate,
            "note": f"Daily deduction: `deduct_day` for one day on {billing_accounts:,} seeded accounts with "
            "one usage row each (the stack's Postgres, idle after the load; seeded rows removed after), then a "
            "repeat run for the same day. Gate: one 200-number request against one empty Lua call on the same "
            "Redis.",
        },
        "timeline": merge_timeline(timeline, samples, started),
        "targets": TARGETS,
    }
    results.update(
        e2e_msgs_per_s=results["e2e"]["msgs_per_s"],
        floor_msgs_per_s=floor["msgs_per_s"],
        intake_p99_ms=results["intake"]["p99_ms"],
        peak_rss_mb={k: v["peak_rss_mb"] for k, v in processes.items() if k != "loadgen"},
    )
    return results


def merge_timeline(
    points: list[dict[str, Any]], samples: list[list[float]], started: float
) -> list[dict[str, Any]]:
    """Add, per monitor point, the numbers accepted since the previous point and the p99 latency of the
    requests that finished in that window (from the load generator's per-request samples)."""
    finished = sorted(
        (start + latency_ms / 1000, latency_ms, accepted) for start, latency_ms, accepted in samples
    )
    merged, i, previous_wall = [], 0, started
    for point in points:
        window: list[float] = []
        accepted = 0
        while i < len(finished) and finished[i][0] <= point["wall"]:
            window.append(finished[i][1])
            accepted += int(finished[i][2])
            i += 1
        span = max(point["wall"] - previous_wall, 1e-6)
        window.sort()
        p99 = window[min(len(window) - 1, int(0.99 * len(window)))] if window else None
        merged.append(
            {
                "t": point["t"],
                "accepted_per_s": round(accepted / span, 1),
                "delivered_per_s": round(point["delivered_per_s"] / span, 1),
                "queue_depth": point["queue_depth"],
                "outbox_batches": point["outbox_batches"],
                "queue_lag_s": point["queue_lag_s"],
                "p99_ms": round(p99, 2) if p99 is not None else None,
            }
        )
        previous_wall = point["wall"]
    return merged


def publish(results: dict[str, Any], options: BenchOptions) -> Path:
    path = write_results(results, options.results_dir)
    png = path.with_suffix(".png")
    draw_chart(results, png)
    append_report(results, options.report_path, f"results/{png.name}")
    return path


async def seed_bench_tenant(database_url: str, keyring: Keyring) -> dict[str, str]:
    """One account with exactly one application: Alibaba's sends, which name none, use it."""
    conn = await asyncpg.connect(database_url)
    try:
        acct = await admin.create_account(
            conn, keyring, name="Bench Org", kind="organization", balance_minor=10**12
        )
        app = await admin.create_app(conn, keyring, account_id=acct.account_id, name="bench")
        await admin.create_signature(
            conn, account_id=acct.account_id, name=SIGN, international=False, approve=True
        )
        template_id = await admin.create_template(
            conn, account_id=acct.account_id, content=TEMPLATE, sms_type=0, international=False, approve=True
        )
    finally:
        await conn.close()
    return {
        "secret_id": acct.secret_id,
        "secret_key": acct.secret_key,
        "sdk_app_id": app.sdk_app_id,
        "template_id": str(template_id),
    }


def load_config(
    stack: Stack,
    tenant: dict[str, str],
    clients: int,
    requests: int,
    *,
    first_number: int,
    rate: float | None,
    dialect: str = "tencent",
) -> dict[str, Any]:
    return {
        "dialect": dialect,
        "api_url": stack.api_url,
        **tenant,
        "sign_name": SIGN,
        "params": ["123456", "5"],
        "clients": clients,
        "requests": requests,
        "numbers_per_request": 200,
        "first_number": first_number,
        "rate_rps": rate,
        "timeout_s": 60,
    }


async def run_loadgen(work_dir: Path, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """The load generator runs in its own process, as the issue asks, and its cost is reported apart."""
    cfg, out = _write_config(work_dir, config)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", "--config", str(cfg), "--out", str(out),
        env=environment_with(NO_PROXY="127.0.0.1,localhost"),
    )  # fmt: skip
    watch = ProcessUsage([psutil.Process(proc.pid)])
    watch.start()
    while proc.returncode is None:
        watch.sample()
        watch.stop()  # the last reading before it exits is its CPU time
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 0.5)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed with {proc.returncode}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result, watch.view()


def _write_config(work_dir: Path, config: dict[str, Any]) -> tuple[Path, Path]:
    fd, name = tempfile.mkstemp(dir=work_dir, suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(config, f)
    return Path(name), Path(name).with_suffix(".out.json")


def _latency(result: dict[str, Any]) -> dict[str, float]:
    lat = result["latency_ms"]
    return {f"{k}_ms": round(float(lat[k]), 2) for k in ("p50", "p95", "p99", "max")}


async def _wait_drained(
    db: asyncpg.Connection,
    http: aiohttp.ClientSession,
    stack: Stack,
    headers: dict[str, str],
    reports_expected: int,
    timeout_s: float = 900,
) -> None:
    """Until the outbox is empty and the carrier has had every report accepted by the platform's webhook
    (it answers only after the report is written): then every message has its final status."""
    deadline = time.monotonic() + timeout_s
    while True:
        stats = await simulator_stats(http, stack, headers)
        if stats["reports_sent"] >= reports_expected and await db.fetchval(OUTBOX_SQL) == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"only {stats['reports_sent']} of {reports_expected} reports after {timeout_s} s"
            )
        await asyncio.sleep(0.1)


async def _sample(
    db: asyncpg.Connection,
    redis: Redis,
    http: aiohttp.ClientSession,
    stack: Stack,
    headers: dict[str, str],
    usage: dict[str, ProcessUsage],
    timeline: list[dict[str, Any]],
    started: float,
    stop: asyncio.Event,
) -> None:
    """Four times a second: queue depth, messages in flight, delivered so far, and every process's memory."""
    previous_delivered = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)
        if "postgres" in usage and stack.postgres_root is not None:
            usage["postgres"].refresh_children(stack.postgres_root)
        for group in usage.values():
            group.sample()
        depth = await redis.zcard("arq:queue")
        lag_row = await db.fetchrow(LAG_SQL, datetime.now(UTC))
        assert lag_row is not None
        outbox, lag_s = int(lag_row[0]), float(lag_row[1])
        stats = await simulator_stats(http, stack, headers)
        delivered = int(stats["reports_sent"])
        timeline.append(
            {
                "t": round(time.time() - started, 2),
                "wall": time.time(),
                "queue_depth": depth,
                "outbox_batches": outbox,
                "queue_lag_s": round(lag_s, 3),
                "delivered_per_s": delivered - previous_delivered,
            }
        )
        previous_delivered = delivered


async def simulator_stats(
    http: aiohttp.ClientSession, stack: Stack, headers: dict[str, str]
) -> dict[str, Any]:
    async with http.get(stack.simulator_url + "/stats", headers=headers) as resp:
        stats: dict[str, Any] = await resp.json()
        return stats


async def _reset_statement_stats(db: asyncpg.Connection) -> None:
    with contextlib.suppress(asyncpg.PostgresError):  # no extension: counts are reported as unknown
        await db.execute("SELECT pg_stat_statements_reset()")


async def _statement_count(db: asyncpg.Connection) -> int | None:
    try:
        count = await db.fetchval(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
            " WHERE query NOT LIKE '%bench-monitor%' AND query NOT LIKE '%pg_stat_statements%'"
        )
    except asyncpg.PostgresError:
        return None
    return int(count)


def git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, read-only
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


async def _machine(database_url: str, redis_url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    redis = Redis.from_url(redis_url)
    try:
        pg_version = await conn.fetchval("SHOW server_version")
        redis_version = (await redis.info("server"))["redis_version"]
    finally:
        await conn.close()
        await redis.aclose()
    return {
        "cores": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "postgres": pg_version,
        "redis": redis_version,
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
