"""The replay guard against a real Redis (issue 14, findings 1 and 2): a nonce is used once; a signed request
is run once and its duplicates get the stored answer, wait for it while the first runs, or hear Busy when the
wait ends without one; a crashed request's claim is released so the same request can run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from core.infra.replays import Busy, Claim, ReplayGuard, StoredAnswer

ANSWER = StoredAnswer(200, '{"Response": {"RequestId": "r-1", "Δ": 1}}'.encode())


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_a_nonce_is_used_once_per_credential_and_dialect(redis: Redis) -> None:
    guard = ReplayGuard(redis)
    assert await guard.first_use("v5", "1400000001", "1700000000:123456", 600)
    assert not await guard.first_use("v5", "1400000001", "1700000000:123456", 600)
    # Another application, dialect or nonce is another key.
    assert await guard.first_use("v5", "1400000002", "1700000000:123456", 600)
    assert await guard.first_use("alibaba", "1400000001", "1700000000:123456", 600)
    assert await guard.first_use("v5", "1400000001", "1700000001:123456", 600)
    # Parts are kept apart whatever they contain: ("a:b", "c") is not ("a", "b:c").
    assert await guard.first_use("v5", "a:b", "c", 600)
    assert await guard.first_use("v5", "a", "b:c", 600)


async def test_a_nonce_is_remembered_for_its_ttl_and_no_secret_is_in_the_keys(redis: Redis) -> None:
    guard = ReplayGuard(redis)
    assert await guard.first_use("v5", "1400000001", "1700000000:secret-random", 42.0)
    (key,) = await redis.keys("*")
    assert b"1400000001" not in key and b"secret-random" not in key
    assert 0 < await redis.pttl(key) <= 42_000


async def test_a_request_runs_once_and_every_duplicate_gets_the_first_answer(redis: Redis) -> None:
    guard = ReplayGuard(redis)
    claim = await guard.claim("tc3", "AKID1", "f" * 64, 300)
    assert isinstance(claim, Claim)
    await claim.keep(ANSWER)
    for _ in range(3):
        assert await guard.claim("tc3", "AKID1", "f" * 64, 300) == ANSWER
    # Another signature (or the same one under another credential) is another request: it runs.
    assert isinstance(await guard.claim("tc3", "AKID1", "e" * 64, 300), Claim)
    assert isinstance(await guard.claim("tc3", "AKID2", "f" * 64, 300), Claim)
    for key in await redis.keys("replay:*"):
        assert 0 < await redis.pttl(key) <= 300_000


async def test_a_duplicate_of_a_running_request_waits_for_its_answer(redis: Redis) -> None:
    guard = ReplayGuard(redis, wait_s=30)
    claim = await guard.claim("tc3", "AKID1", "f" * 64, 300)
    assert isinstance(claim, Claim)
    duplicate = asyncio.create_task(guard.claim("tc3", "AKID1", "f" * 64, 300))
    # Until Redis shows the duplicate blocked on its read: a condition, not a delay.
    for _ in range(10_000):
        if (await redis.info("clients"))["blocked_clients"] >= 1:
            break
    else:
        pytest.fail("the duplicate never waited")
    assert not duplicate.done()
    await claim.keep(ANSWER)
    assert await duplicate == ANSWER


async def test_a_duplicate_hears_busy_when_the_first_is_still_running_after_the_wait(redis: Redis) -> None:
    guard = ReplayGuard(redis, wait_s=0.001)
    claim = await guard.claim("tc3", "AKID1", "f" * 64, 300)
    assert isinstance(claim, Claim)
    assert await guard.claim("tc3", "AKID1", "f" * 64, 300) == Busy()
    # Busy is not an answer: once the first keeps its answer, duplicates get it.
    await claim.keep(ANSWER)
    assert await guard.claim("tc3", "AKID1", "f" * 64, 300) == ANSWER


async def test_a_released_claim_lets_the_same_request_run_again(redis: Redis) -> None:
    guard = ReplayGuard(redis, wait_s=0.001)
    crashed = await guard.claim("tc3", "AKID1", "f" * 64, 300)
    assert isinstance(crashed, Claim)
    await crashed.release()
    retry = await guard.claim("tc3", "AKID1", "f" * 64, 300)
    assert isinstance(retry, Claim)
    await retry.keep(ANSWER)
    assert await guard.claim("tc3", "AKID1", "f" * 64, 300) == ANSWER
