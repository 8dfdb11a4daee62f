"""Redis or Postgres restarted under a running platform: every message accepted before (and after) the
restart is delivered exactly once, and the API recovers by itself.

Redis runs without persistence here, so a restart loses its queue: the outbox sweep must find the batches in
Postgres and enqueue them again. Postgres keeps its data dir across the restart; meanwhile the API answers in
the Tencent envelope (InternalError with a RequestId, never a bare 500)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from arq import create_pool as create_arq_pool
from redis.asyncio import Redis
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from core.infra.embedded import EmbeddedPostgres, EmbeddedRedis
from core.infra.migrations import migrate
from core.infra.postgres import create_pool
from core.infra.queue import redis_settings
from core.services.platform import Platform as Services
from tests.flow.harness import Platform, Tenant, running_platform
from worker.deps import Deps
from worker.jobs.upkeep import sweep_outbox
from worker.main import http_connector

# Three requests before the restart, one after; distinct numbers, so no per-number limit applies.
BEFORE = [[f"+861380013{r}{i:03d}" for i in range(20)] for r in range(3)]
AFTER = [f"+8613800139{i:03d}" for i in range(10)]
PARAMS = ["1234", "5"]


async def _sweep(platform: Platform, clock_offset_s: float) -> int:
    """Run the outbox sweep once, as if `clock_offset_s` had passed; it enqueues on the platform's Redis."""
    later = lambda: time.time() + clock_offset_s  # noqa: E731
    db = await create_pool(platform.settings.database_url, min_size=1, max_size=2)
    redis = await create_arq_pool(redis_settings(platform.settings.redis_url))
    connector = http_connector(platform.settings)
    try:
        return await sweep_outbox({"deps": Deps(Services(platform.settings, db, redis, later), connector)})
    finally:
        await connector.close()
        await redis.aclose()
        await db.close()


async def _send_ok(platform: Platform, tenant: Tenant, phones: list[str]) -> None:
    resp = await platform.send_sms(tenant, phones, PARAMS)
    assert [s.Code for s in resp.SendStatusSet] == ["Ok"] * len(phones)


async def _assert_each_delivered_once(platform: Platform, tenant: Tenant, phones: list[str]) -> None:
    """Every accepted message delivered, the carrier saw each exactly once, and no batch is left pending."""
    await platform.simulator("/flush", {})
    rows = await platform.statuses(tenant)
    assert sorted(rows) == sorted(phones)
    assert await platform.db.fetchval("SELECT count(*) FROM messages") == len(phones)  # one row each
    assert {r["status"] for r in rows.values()} == {"delivered"}
    assert len({r["carrier_id"] for r in rows.values()}) == len(phones)
    stats = await platform.simulator("/stats")
    assert stats["unique_messages"] == len(phones)
    assert stats["duplicates"] == 0
    assert stats["reports_sent"] == len(phones)
    assert await platform.db.fetchval("SELECT count(*) FROM send_outbox") == 0


@pytest.fixture
async def redis_dir() -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory(prefix="smsredis") as tmp:
        yield Path(tmp)


async def _queued_jobs(url: str) -> int:
    client = Redis.from_url(url)
    try:
        return int(await client.zcard("arq:queue"))
    finally:
        await client.aclose()


async def test_redis_restarted_without_persistence_loses_the_queue_but_every_accepted_message_is_delivered_once(
    database_url: str, redis_dir: Path
) -> None:
    redis = EmbeddedRedis(redis_dir, persist=False)
    try:
        async with running_platform(database_url, redis.url) as platform:
            tenant = await platform.add_tenant()
            for phones in BEFORE:
                await _send_ok(platform, tenant, phones)
            assert await _queued_jobs(redis.url) == len(BEFORE)

            # Restart: the same socket and dir, no persistence, so every queued job is gone.
            await asyncio.to_thread(redis.stop)
            redis = EmbeddedRedis(redis_dir, persist=False)
            assert redis.pid is not None  # a new server, not the old one reused
            assert await _queued_jobs(redis.url) == 0

            # Intake recovers by itself (its connections died with the server; the pool replaces them).
            await _send_ok(platform, tenant, AFTER)
            await platform.run_worker()
            await platform.simulator("/flush", {})
            rows = await platform.statuses(tenant)
            assert {rows[p]["status"] for p in AFTER} == {"delivered"}
            assert {rows[p]["status"] for phones in BEFORE for p in phones} == {"queued"}  # their jobs lost

            # The sweep leaves batches alone inside the staleness window, then enqueues the lost ones.
            assert await _sweep(platform, clock_offset_s=0) == 0
            assert await _sweep(platform, clock_offset_s=platform.settings.outbox_stale_after_s + 1) == len(
                BEFORE
            )
            await platform.run_worker()
            await _assert_each_delivered_once(platform, tenant, [p for ps in BEFORE for p in ps] + AFTER)
    finally:
        redis.stop()


async def test_postgres_restarted_mid_run_answers_in_the_envelope_recovers_and_loses_nothing(
    redis_url: str,
) -> None:
    with tempfile.TemporaryDirectory(prefix="smspg") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", cleanup="stop")
        conn = await asyncpg.connect(pg.url())
        await migrate(conn)
        await conn.close()
        try:
            async with running_platform(pg.url(), redis_url) as platform:
                tenant = await platform.add_tenant()
                for phones in BEFORE:
                    await _send_ok(platform, tenant, phones)
                await platform.db.close()
                await asyncio.to_thread(pg.stop)

                # Postgres is away: every answer is the dialect's InternalError with a RequestId (a bare
                # HTTP 500 would reach the SDK as ServerNetworkError), and nothing half-accepted remains.
                for phones in ([AFTER[0]], AFTER[1:3]):
                    with pytest.raises(TencentCloudSDKException) as err:
                        await platform.send_sms(tenant, phones, PARAMS)
                    assert err.value.code == "InternalError", err.value
                    assert err.value.requestId

                # Back on the same data dir; the API, never restarted, recovers by itself. Connections its
                # pool held died with the server: allow the pool a few answers to replace them.
                pg = EmbeddedPostgres(Path(tmp) / "pg", cleanup="stop")
                platform.db = await asyncpg.create_pool(pg.url(), min_size=1, max_size=2)
                codes: list[str] = []
                for _ in range(3):
                    try:
                        resp = await platform.send_sms(tenant, AFTER, PARAMS)
                        codes.append(resp.SendStatusSet[0].Code)
                        break
                    except TencentCloudSDKException as exc:
                        assert exc.code == "InternalError" and exc.requestId
                        codes.append(exc.code)
                assert codes[-1] == "Ok", codes

                # Jobs enqueued before the restart find their rows; nothing was lost or doubled.
                await platform.run_worker()
                await _assert_each_delivered_once(platform, tenant, [p for ps in BEFORE for p in ps] + AFTER)
        finally:
            pg.stop()
