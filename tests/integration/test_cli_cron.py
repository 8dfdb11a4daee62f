"""Scheduled jobs are visible and safe (operations): `smsctl cron list` shows each job's schedule, next run
and last run; `smsctl cron run NAME` runs one now, recorded as manual; every run, failed ones included, is
recorded with its start, end and result."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from core.infra.logging import configure_logging
from core.infra.settings import (
    SECRET_SETTINGS,
    Settings,
    environment_with,
    secrets_environment,
    with_secrets,
)
from core.services.platform import Platform as Services
from tests.keyring import CHILD_MASTER_KEY
from worker.carriers.http import HttpConnector
from worker.deps import Deps
from worker.jobs.recorded import did_nothing, recorded

JOBS = {
    "sweep_outbox", "create_partitions", "update_usual_volumes", "sweep_callbacks", "purge_pull_queue",
    "purge_history", "daily_deduction", "arrears_watch",
}  # fmt: skip
# `smsctl worker` refuses development secrets.
TEST_SECRETS = with_secrets(
    Settings(), {name: f"test-{name}" for name in SECRET_SETTINGS} | {"master_key": CHILD_MASTER_KEY}
)


async def smsctl(database_url: str, redis_url: str, *args: str) -> tuple[int, Any, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", *args,
        env=environment_with(DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_LOG_JSON="1"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out) if proc.returncode == 0 else None, err.decode()


async def test_list_then_run_one_now_and_see_it_recorded(database_url: str, redis_url: str) -> None:
    code, listed, _ = await smsctl(database_url, redis_url, "cron", "list")
    assert code == 0
    assert {j["job"] for j in listed} == JOBS
    for job in listed:
        assert job["last_run"] is None
        assert datetime.fromisoformat(job["next_run"]) > datetime.now(UTC)
    by_name = {j["job"]: j for j in listed}
    assert by_name["arrears_watch"]["schedule"] == {"second": 45}

    code, ran, _ = await smsctl(database_url, redis_url, "cron", "run", "sweep_outbox")
    assert (code, ran) == (0, {"job": "sweep_outbox", "result": 0})
    code, listed, _ = await smsctl(database_url, redis_url, "cron", "list")
    last = {j["job"]: j["last_run"] for j in listed}["sweep_outbox"]
    assert (last["trigger"], last["ok"], last["result"], last["error"]) == ("manual", True, 0, "")
    assert last["finished_at"] >= last["started_at"]

    code, _, err = await smsctl(database_url, redis_url, "cron", "run", "no_such_job")
    assert code != 0 and "no such job" in err and "Traceback" not in err


async def test_a_failing_run_is_recorded_with_its_error_and_still_raises(db: asyncpg.Pool) -> None:
    async def broken_job(ctx: dict[str, Any]) -> int:
        raise RuntimeError("disk on fire")

    settings = Settings(database_url="unused", redis_url="unused")
    deps = Deps(
        Services(settings, db, None, time.time), HttpConnector("http://127.0.0.1:9", "t", pool_size=1)
    )
    job = recorded(broken_job)
    assert job.__qualname__.endswith("broken_job")  # arq names the cron job after it
    with pytest.raises(RuntimeError):
        await job({"deps": deps})
    row = await db.fetchrow("SELECT job, trigger, ok, error, finished_at FROM cron_runs")
    assert (row["job"], row["trigger"], row["ok"]) == ("broken_job", "schedule", False)
    assert row["error"] == "RuntimeError: disk on fire" and row["finished_at"] is not None


async def test_idle_cron_runs_log_at_debug_only_so_an_idle_stack_is_quiet(
    database_url: str, redis_url: str
) -> None:
    """Finding 7 (issue 14): a cron run that found nothing to do, and arq's own start/end lines for it, are
    debug lines; at the default level an idle worker prints none of them."""
    lines = {}
    for level in ("INFO", "DEBUG"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", "worker", "--burst",
            env=environment_with(
                DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_LOG_JSON="1", SMS_LOG_LEVEL=level,
                **secrets_environment(TEST_SECRETS),
            ),
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        lines[level] = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    # The empty platform's startup runs (daily deduction, usual volumes) happened, and were no-ops (as was a
    # frequent sweep, when the worker happened to start on one of its seconds) ...
    runs = [e for e in lines["DEBUG"] if e["event"] == "cron run"]
    assert {e["job"] for e in runs} - {"sweep_callbacks", "sweep_outbox", "arrears_watch"} == {
        "daily_deduction",
        "update_usual_volumes",
    }
    assert {e["level"] for e in runs} == {"debug"}
    assert any("cron:daily_deduction" in e["event"] and e["level"] == "debug" for e in lines["DEBUG"])
    # ... so at info nothing about them (nor arq's health record) shows: only the start lines remain.
    routine = [e["event"] for e in lines["INFO"] if not e["event"].startswith(("Starting worker", "redis_"))]
    assert not [e for e in routine if "cron" in e or "recording health" in e]


async def test_a_cron_run_that_did_something_is_logged_at_info(
    db: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    async def swept_two(ctx: dict[str, Any]) -> dict[str, Any]:
        return {"days": [], "accounts": 2}

    async def swept_none(ctx: dict[str, Any]) -> dict[str, Any]:
        return {"days": [], "accounts": 0}

    configure_logging("INFO", json=True)
    settings = Settings(database_url="unused", redis_url="unused")
    deps = Deps(
        Services(settings, db, None, time.time), HttpConnector("http://127.0.0.1:9", "t", pool_size=1)
    )
    await recorded(swept_none)({"deps": deps})
    await recorded(swept_two)({"deps": deps})
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    runs = [(e["job"], e["level"]) for e in events if e["event"] == "cron run"]
    assert runs == [("swept_two", "info")]


@pytest.mark.parametrize(
    ("result", "nothing"),
    [(None, True), (0, True), ([], True), ({"days": [], "accounts": 0, "notices": 0}, True),
     (1, False), (["2026-01-01"], False), ({"days": [], "suspended": 1}, False)],
)  # fmt: skip
def test_did_nothing_tells_a_no_op_result(result: Any, nothing: bool) -> None:
    assert did_nothing(result) is nothing
