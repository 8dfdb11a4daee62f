"""/healthz and /readyz as a load balancer sees them: alive always; ready only with Postgres and Redis
reachable and every migration applied, and the reason when not."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

from core.infra.embedded import EmbeddedRedis
from tests.flow.harness import running_platform


async def test_ready_when_everything_is_there_and_says_why_when_not(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        async with platform.http.get(platform.api_url + "/readyz") as resp:
            assert resp.status == 200
            assert await resp.json() == {
                "status": "ready",
                "postgres": "ok",
                "redis": "ok",
                "migrations": "current",
            }

        await platform.db.execute("DELETE FROM schema_migrations WHERE version = '0009'")
        async with platform.http.get(platform.api_url + "/readyz") as resp:
            body = await resp.json()
        assert resp.status == 503 and body["migrations"] == {"pending": ["0009_billing"]}
        async with platform.http.get(platform.api_url + "/healthz") as resp:
            assert (resp.status, await resp.json()) == (200, {"status": "ok"})


async def test_not_ready_without_redis(database_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="smsredis") as tmp:
        server = EmbeddedRedis(Path(tmp), persist=False)
        try:
            async with running_platform(database_url, server.url) as platform:
                await asyncio.to_thread(_shutdown, server.url)
                async with platform.http.get(platform.api_url + "/readyz") as resp:
                    body = await resp.json()
                assert resp.status == 503
                assert body["redis"].startswith("unavailable") and body["postgres"] == "ok"
                async with platform.http.get(platform.api_url + "/healthz") as resp:
                    assert resp.status == 200
        finally:
            server.stop()


def _shutdown(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    with contextlib.suppress(redis.ConnectionError):
        client.shutdown(nosave=True)
