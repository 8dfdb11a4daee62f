"""`smsctl up` prints its banner only once the worker is up (issue 14, finding 7): the check it waits on says
so only when both of the worker's roles keep a health key, and says not yet while Redis is unreachable."""

from __future__ import annotations

from redis.asyncio import Redis

from cli.up import worker_is_up
from core.infra.queue import health_check_key, worker_identity


async def test_the_worker_counts_as_up_only_with_both_roles_alive(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        assert not await worker_is_up(redis_url)
        await redis.set(health_check_key(worker_identity("main")), b"j_ongoing=0", ex=60)
        assert not await worker_is_up(redis_url)  # the callback worker has not started yet
        await redis.set(health_check_key(worker_identity("callbacks")), b"j_ongoing=0", ex=60)
        assert await worker_is_up(redis_url)
    finally:
        await redis.aclose()


async def test_an_unreachable_redis_means_not_up_yet() -> None:
    assert not await worker_is_up("unix:///nonexistent/redis.sock")
