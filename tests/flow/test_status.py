"""`smsctl status` on a running platform shows real figures: the API's readiness, the queue and outbox
before the worker runs, the last hour's messages by minute and status, and the same after delivery."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from core.infra.settings import environment_with
from tests.flow.harness import Platform, running_platform

PHONES = ["+8613800138000", "+8613900139000", "+8615800158000"]


async def status(platform: Platform) -> Any:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "status",
        env=environment_with(
            DATABASE_URL=platform.settings.database_url, REDIS_URL=platform.settings.redis_url,
            SMS_PUBLIC_API_URL=platform.api_url, SMS_LOG_JSON="1",
        ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


def totals(minutes: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for minute in minutes:
        for key, value in minute.items():
            if key != "minute":
                out[key] = out.get(key, 0) + value
    return out


async def test_status_before_and_after_the_worker_runs(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES, ["1234", "5"])

        before = await status(platform)
        assert before["processes"]["api"] == "ready"
        assert before["processes"]["workers"] == {"main": 0, "callbacks": 0}  # none running in this test
        assert before["queues"]["send"]["depth"] == 1 and before["queues"]["send"]["oldest_age_s"] is not None
        assert before["outbox"]["batches"] == 1
        assert totals(before["messages_last_hour_by_minute"]) == {"queued": 3}
        assert before["accounts"] == {"arrears": 0, "suspended": 0}
        assert {j["job"] for j in before["cron"]} >= {"daily_deduction", "sweep_outbox", "arrears_watch"}

        # A live worker process's own report (as arq writes it): it counts as alive, its jobs in progress.
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
        await redis.set(
            "arq:health-check:main:otherhost:42",
            "Nov-22 09:00:00 j_complete=7 j_failed=0 j_retried=0 j_ongoing=3 queued=0",
            ex=30,
        )
        busy = await status(platform)
        await redis.delete("arq:health-check:main:otherhost:42")
        await redis.aclose()
        assert busy["processes"]["workers"] == {"main": 1, "callbacks": 0}
        assert busy["queues"]["in_progress"] == 3

        await platform.run_worker()
        await platform.simulator("/flush", {})
        after = await status(platform)
        assert after["queues"]["send"]["depth"] == 0 and after["queues"]["in_progress"] == 0
        assert after["outbox"] == {"batches": 0, "oldest_age_s": None}
        assert totals(after["messages_last_hour_by_minute"]) == {"delivered": 3}
