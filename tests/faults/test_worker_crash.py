"""Faults the send path must survive without losing or doubling a message: a worker SIGKILLed while its
carrier call is in flight, and a job lost from Redis. The outbox sweep (with the clock moved past the claim
lease and the staleness window) recovers both."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

from arq import create_pool as create_arq_pool
from redis.asyncio import Redis

from core.infra.postgres import create_pool
from core.infra.queue import redis_settings
from core.services.platform import Platform as Services
from tests.flow.harness import Platform, running_platform, worker_environment
from worker.deps import Deps
from worker.jobs.send import send_batch
from worker.jobs.upkeep import sweep_outbox
from worker.main import http_connector

PHONES = [f"+86138001380{i:02d}" for i in range(50)]


async def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _sweep_then_send(platform: Platform, clock_offset_s: float) -> int:
    """Run the outbox sweep, then the send jobs it enqueued, as if `clock_offset_s` had passed. The jobs run
    through the job function itself: a burst worker would first wait out the dead worker's job, which arq
    keeps marked in progress for job_timeout + 10 s."""
    later = lambda: time.time() + clock_offset_s  # noqa: E731
    db = await create_pool(platform.settings.database_url, min_size=1, max_size=2)
    redis = await create_arq_pool(redis_settings(platform.settings.redis_url))
    connector = http_connector(platform.settings)
    try:
        ctx: dict[str, Any] = {"deps": Deps(Services(platform.settings, db, redis, later), connector)}
        swept = await sweep_outbox(ctx)
        for job in await redis.queued_jobs():
            if ":sweep" in (job.job_id or ""):
                await send_batch({**ctx, "job_id": job.job_id, "job_try": 1}, *job.args)
    finally:
        await connector.close()
        await redis.aclose()
        await db.close()
    return swept


async def test_worker_killed_mid_batch_loses_nothing_and_delivers_each_message_once(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, PHONES, ["1234", "5"])
        assert all(s.Code == "Ok" for s in resp.SendStatusSet)
        # Hold the carrier's answer so the worker is surely inside the call when it dies.
        await platform.simulator("/control", {"latency_s": 30, "report_delay_s": 3600})
        env = worker_environment(platform.settings, SMS_LOG_JSON="1")
        proc = subprocess.Popen([sys.executable, "-m", "cli", "worker"], env=env, stderr=subprocess.DEVNULL)
        try:

            async def carrier_call_in_flight() -> bool:
                return bool((await platform.simulator("/stats"))["submit_calls"] >= 1)

            await _wait_for(carrier_call_in_flight)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"sending"}  # claimed, outcome unknown

        await platform.simulator("/control", {"latency_s": 0, "report_delay_s": 0})
        # Before the lease runs out nothing is taken over: the claim may belong to a live worker.
        assert await _sweep_then_send(platform, clock_offset_s=0) == 0
        assert await _sweep_then_send(platform, clock_offset_s=platform.settings.claim_lease_s + 1) == 1
        await platform.simulator("/flush", {})

        rows = await platform.statuses(tenant)
        assert len(rows) == len(PHONES)
        assert {r["status"] for r in rows.values()} == {"delivered"}
        stats = await platform.simulator("/stats")
        # The carrier saw the batch twice (the dead worker's call and the takeover) and, deduping on our
        # serial number, accepted and reported each message exactly once.
        assert stats["unique_messages"] == len(PHONES)
        assert stats["reports_sent"] == len(PHONES)
        carrier_ids = {r["carrier_id"] for r in rows.values()}
        assert len(carrier_ids) == len(PHONES)


async def test_a_job_lost_from_redis_is_re_enqueued_by_the_outbox_sweep(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES[:3], ["1234", "5"])
        redis = Redis.from_url(redis_url)
        await redis.flushdb()  # the queue is gone; Postgres still has the rows
        await redis.aclose()

        assert await _sweep_then_send(platform, clock_offset_s=10) == 0  # not stale yet
        assert (
            await _sweep_then_send(platform, clock_offset_s=platform.settings.outbox_stale_after_s + 1) == 1
        )
        await platform.simulator("/flush", {})
        assert {r["status"] for r in (await platform.statuses(tenant)).values()} == {"delivered"}
