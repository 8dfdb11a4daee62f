"""The gate against a real Redis: caps, refunds, exemptions, calendar days in the platform time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from core.domain.errors import Code
from core.domain.frequency import FrequencyPolicy
from core.domain.phone import Phone, normalize_phone
from core.infra.gate import Gate, GateRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def phones(*raw: str) -> list[Phone]:
    out = [normalize_phone(r) for r in raw]
    assert all(out)
    return [p for p in out if p is not None]


def request(
    numbers: list[Phone], *, content: str = "c", policy: FrequencyPolicy | None = None, **kw: object
) -> GateRequest:
    defaults: dict[str, object] = {
        "sdk_app_id": "1400000001",
        "account_id": 1,
        "phones": numbers,
        "content": content,
        "mainland": numbers[0].mainland,
        "policy": policy or FrequencyPolicy(),
        "allowlist": frozenset(),
        "intl_daily_limit": 1000,
        "local_now": datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI),
    }
    return GateRequest(**{**defaults, **kw})  # type: ignore[arg-type]


async def test_app_daily_cap_lets_through_exactly_the_cap(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        gate = Gate(redis, "k")
        cap = FrequencyPolicy(cap_daily=3)
        numbers = phones(*(f"+86138001380{i:02d}" for i in range(5)))
        decision = await gate.check(request(numbers, policy=cap))
        assert list(decision.refused.values()) == [Code.APP_DAILY_LIMIT, Code.APP_DAILY_LIMIT]
        more = await gate.check(request(phones("+8613900139000"), policy=cap))
        assert more.refused == {"+8613900139000": Code.APP_DAILY_LIMIT}
    finally:
        await redis.aclose()


async def test_a_refund_gives_back_exactly_what_was_taken(redis_url: str) -> None:
    """A request that fails after the gate (its rows never written) must not use up anyone's limits."""
    redis = Redis.from_url(redis_url)
    try:
        gate = Gate(redis, "k")
        numbers = phones("+8613800138000", "+8613900139000")
        first = await gate.check(request(numbers))
        assert first.refused == {}
        await gate.refund(first)
        again = await gate.check(request(numbers))  # same content within 30 s: passes only if refunded
        assert again.refused == {}
        assert (await gate.check(request(numbers))).refused == {
            "+8613800138000": Code.PHONE_30S_LIMIT,
            "+8613900139000": Code.PHONE_30S_LIMIT,
        }
    finally:
        await redis.aclose()


async def test_calendar_days_are_the_platform_time_zone(redis_url: str) -> None:
    """L1: 'per calendar day' is the platform's day: 23:59 and 00:00 in Shanghai are different days."""
    redis = Redis.from_url(redis_url)
    try:
        gate = Gate(redis, "k")
        number = phones("+8613800138000")
        late = datetime(2026, 11, 22, 23, 59, tzinfo=SHANGHAI)
        assert (await gate.check(request(number, content="a", local_now=late))).refused == {}
        assert (await gate.check(request(number, content="b", local_now=late))).refused == {}
        assert (await gate.check(request(number, content="c", local_now=late))).refused == {
            "+8613800138000": Code.PHONE_DAILY_LIMIT
        }
        next_day = datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)
        assert (await gate.check(request(number, content="d", local_now=next_day))).refused == {}
    finally:
        await redis.aclose()


async def test_an_organizations_own_policy_applies(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        gate = Gate(redis, "k")
        number = phones("+8613800138000")
        policy = FrequencyPolicy(same_content_30s=2, one_hour=3, daily=10, same_content_daily=2)
        results = [(await gate.check(request(number, content=c, policy=policy))).refused for c in "aaabc"]
        assert results == [
            {},
            {},
            {"+8613800138000": Code.PHONE_30S_LIMIT},
            {},
            {"+8613800138000": Code.PHONE_HOUR_LIMIT},
        ]
    finally:
        await redis.aclose()


async def test_mainland_messages_do_not_use_the_accounts_international_quota(redis_url: str) -> None:
    """L3 counts international messages only: an account's mainland traffic leaves its 1,000 untouched."""
    redis = Redis.from_url(redis_url)
    try:
        gate = Gate(redis, "k")
        mainland = phones(*(f"+86138001380{i:02d}" for i in range(5)))
        assert (await gate.check(request(mainland, intl_daily_limit=3))).refused == {}
        abroad = phones("+14155550123", "+447400123456", "+85291234567", "+14155550124")
        decision = await gate.check(request(abroad, mainland=False, intl_daily_limit=3))
        assert decision.refused == {"+14155550124": Code.INTL_DAILY_LIMIT}
        await gate.refund(decision)  # gives back the 3 it took: the next 3 pass again
        again = await gate.check(request(phones("+14155550125", "+14155550126", "+14155550127"),
                                         mainland=False, intl_daily_limit=3))  # fmt: skip
        assert again.refused == {}
        assert int(await redis.get("g:acct:1:intl:20261122") or 0) == 3
    finally:
        await redis.aclose()
