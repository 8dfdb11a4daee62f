"""Postgres or Redis going away under a running API: clear answers in the envelope, nothing accepted is lost,
and the API recovers by itself when they come back."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from core.infra.embedded import EmbeddedPostgres, EmbeddedRedis
from core.infra.migrations import migrate
from tests.flow.harness import running_platform

PHONE = "+8613800138000"


@pytest.fixture
async def own_redis() -> AsyncIterator[Path]:
    """A Redis of this test's own, so stopping it disturbs no other test."""
    with tempfile.TemporaryDirectory(prefix="smsredis") as tmp:
        server = EmbeddedRedis(Path(tmp), persist=False)
        yield Path(tmp)
        server.stop()


async def test_redis_down_at_intake_refuses_cleanly_and_sends_resume_when_it_returns(
    database_url: str, own_redis: Path
) -> None:
    """The per-number limits live in Redis: without it the platform cannot tell whether a number may receive
    another message, so it refuses (InternalError) rather than risk bombing anyone, records nothing, and
    recovers by itself when Redis is back. (A job lost after intake is the outbox sweep's: test_worker_crash.)"""
    redis = EmbeddedRedis(own_redis, persist=False)  # reuses the running server
    async with running_platform(database_url, redis.url) as platform:
        tenant = await platform.add_tenant()
        # Stop the server the fixture started (this handle does not own it), by its socket.
        await asyncio.to_thread(_shutdown_redis, redis.url)

        for phones, fields in (
            ([PHONE], {}),
            (["+14155550123"], {"TemplateId": str(tenant.intl_template_id), "SignName": ""}),
        ):
            with pytest.raises(TencentCloudSDKException) as err:
                await platform.send_sms(tenant, phones, ["1234", "5"], **fields)
            assert err.value.code == "InternalError" and err.value.requestId
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0

        revived = EmbeddedRedis(own_redis, persist=False)
        try:
            resp = await platform.send_sms(tenant, [PHONE], ["1234", "5"])
            assert resp.SendStatusSet[0].Code == "Ok"
            await platform.run_worker()
            await platform.simulator("/flush", {})
            assert (await platform.statuses(tenant))[PHONE]["status"] == "delivered"
        finally:
            revived.stop()


def _shutdown_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it exits
        client.shutdown(nosave=True)


async def test_postgres_down_answers_internal_error_and_recovers_when_it_returns(redis_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="smspg") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", cleanup="stop")
        conn = await asyncpg.connect(pg.url())
        await migrate(conn)
        await conn.close()
        async with running_platform(pg.url(), redis_url) as platform:
            tenant = await platform.add_tenant()
            await platform.db.close()
            await asyncio.to_thread(pg.stop)

            with pytest.raises(TencentCloudSDKException) as err:
                await platform.send_sms(tenant, [PHONE], ["1234", "5"])
            assert err.value.code == "InternalError"
            assert err.value.requestId

            pg = EmbeddedPostgres(Path(tmp) / "pg", cleanup="delete")
            codes = []
            for _ in range(3):  # connections the pool held died with the server; it replaces them
                try:
                    resp = await platform.send_sms(tenant, [PHONE], ["1234", "5"])
                    codes.append(resp.SendStatusSet[0].Code)
                    break
                except TencentCloudSDKException as exc:
                    codes.append(exc.code)
            assert codes[-1] == "Ok", codes
            platform.db = await asyncpg.create_pool(pg.url(), min_size=1, max_size=2)
        pg.stop()
