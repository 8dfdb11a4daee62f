"""`smsctl up` prints its banner only once the worker is up (issue 14, finding 7): the check it waits on says
so only when both of the worker's roles keep a health key, and says not yet while Redis is unreachable."""

from __future__ import annotations

import asyncio

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


async def test_a_server_listens_whatever_it_answers(unused_tcp_port: int) -> None:
    """The banner waits for the carrier simulator to listen: any HTTP answer counts (its pages want a token),
    a closed port does not."""
    from aiohttp import web

    from cli.up import listens

    async def refuse(_: web.Request) -> web.Response:
        return web.Response(status=401)

    url = f"http://127.0.0.1:{unused_tcp_port}/stats"
    assert not await asyncio.to_thread(listens, url)
    app = web.Application()
    app.router.add_get("/stats", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        assert await asyncio.to_thread(listens, url)
    finally:
        await runner.cleanup()
