"""The per-number gate through the official SDK, with the seed's own numbers (L1: the same content once per
30 s, 2 messages per number per calendar day; L2: the allowlist is exempt; L3: the 1,001st international
message of the day is refused), concurrent requests never beating a limit, and numbers never plain in Redis."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from tests.flow.harness import Platform, Tenant, running_platform
from tests.keyring import number_hash

PHONE = "+8613800138000"


def codes(resp: object) -> list[str]:
    return [s.Code for s in resp.SendStatusSet]  # type: ignore[attr-defined]


async def send(platform: Platform, tenant: Tenant, code: str, phones: list[str] | None = None) -> list[str]:
    return codes(await platform.send_sms(tenant, phones or [PHONE], [code, "5"]))


async def test_same_content_twice_within_30_seconds_is_refused(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        assert await send(platform, tenant, "1111") == ["Ok"]
        assert await send(platform, tenant, "1111") == ["LimitExceeded.PhoneNumberThirtySecondLimit"]
        # Other content is another message: the second of the day is still allowed.
        assert await send(platform, tenant, "2222") == ["Ok"]
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 2


async def test_a_third_message_in_a_calendar_day_is_refused(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        other = "+8613900139000"
        assert await send(platform, tenant, "1111", [PHONE, other]) == ["Ok", "Ok"]
        assert await send(platform, tenant, "2222", [PHONE]) == ["Ok"]
        # The third to PHONE is refused; the second to the other number in the same request still goes.
        assert await send(platform, tenant, "3333", [PHONE, other]) == [
            "LimitExceeded.PhoneNumberDailyLimit",
            "Ok",
        ]
        rows = await platform.db.fetch("SELECT phone_hash, count(*) AS n FROM messages GROUP BY phone_hash")
        assert {r["phone_hash"]: r["n"] for r in rows} == {number_hash(PHONE): 2, number_hash(other): 2}


async def test_allowlisted_test_numbers_are_exempt(database_url: str, redis_url: str) -> None:
    """L2: test and alarm numbers on the application's allowlist are not limited per number."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.db.execute(
            "INSERT INTO app_allowlist (sdk_app_id, phone, added_by) VALUES ($1, $2, 'test')",
            tenant.sdk_app_id,
            PHONE,
        )
        for _ in range(4):
            assert await send(platform, tenant, "1111") == ["Ok"]


async def test_the_1001st_international_message_of_the_day_is_refused(
    database_url: str, redis_url: str
) -> None:
    """L3: 1,000 international messages per account per day (default)."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        numbers = [f"+447400{i:06d}" for i in range(1001)]
        intl = {"TemplateId": str(tenant.intl_template_id), "SignName": ""}
        for start in range(0, 1000, 200):
            resp = await platform.send_sms(tenant, numbers[start : start + 200], ["1", "2"], **intl)
            assert set(codes(resp)) == {"Ok"}
        resp = await platform.send_sms(tenant, numbers[1000:], ["1", "2"], **intl)
        assert codes(resp) == ["LimitExceeded.DailyLimit"]
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 1000


async def test_parallel_requests_to_one_number_never_exceed_its_limits(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        same = await asyncio.gather(*(send(platform, tenant, "7777") for _ in range(12)))
        assert sorted(c for r in same for c in r).count("Ok") == 1  # same content: once per 30 s
        other = "+8613900139000"
        varied = await asyncio.gather(*(send(platform, tenant, f"{i:04d}", [other]) for i in range(12)))
        assert [c for r in varied for c in r].count("Ok") == 2  # two per calendar day
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 3


async def test_phone_numbers_never_appear_in_redis_keys(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await send(platform, tenant, "1111")
        redis = Redis.from_url(redis_url)
        try:
            keys = [k.decode() for k in await redis.keys("g:*")]
        finally:
            await redis.aclose()
        assert any(":n:" in k for k in keys)  # the per-number counters are there...
        assert not any("13800138000" in k for k in keys)  # ...under a keyed hash, never the number


async def test_international_numbers_outside_the_apps_countries_are_refused(
    database_url: str, redis_url: str
) -> None:
    """L4: with an allow list of countries, other countries' numbers fail one by one."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        headers = {"Authorization": "Bearer dev-admin-token"}
        url = f"{platform.api_url}/admin/v1/apps/{tenant.sdk_app_id}/countries"
        async with platform.http.put(url, json={"countries": ["us", "GB"]}, headers=headers) as r:
            assert r.status == 200 and (await r.json())["countries"] == ["GB", "US"]
        async with platform.http.put(url, json={"countries": ["USA"]}, headers=headers) as r:
            assert r.status == 400
        intl = {"TemplateId": str(tenant.intl_template_id), "SignName": ""}
        resp = await platform.send_sms(
            tenant, ["+14155550123", "+85291234567", "+447400123456"], ["1", "2"], **intl
        )
        assert codes(resp) == ["Ok", "LimitExceeded.AppCountryOrRegionInBlacklist", "Ok"]
        async with platform.http.put(url, json={"countries": None}, headers=headers) as r:
            assert r.status == 200
        resp = await platform.send_sms(tenant, ["+85291234567"], ["1", "2"], **intl)
        assert codes(resp) == ["Ok"]


async def test_a_source_ip_over_its_per_second_budget_is_refused(database_url: str, redis_url: str) -> None:
    """L4: per-IP request limits at intake, answered in the envelope (the clock is fixed: one second)."""
    async with running_platform(
        database_url, redis_url, ip_requests_per_second=3, clock=lambda: 1_800_000_000.0
    ) as platform:
        tenant = await platform.add_tenant()
        from tests.flow.tc3_client import Tc3Client

        client = Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key)
        params = {"SmsSdkAppId": tenant.sdk_app_id, "International": 0, "Limit": 10, "Offset": 0}
        replies = [
            await client.call(params, timestamp=1_800_000_000, action="DescribeSmsTemplateList")
            for _ in range(5)
        ]
        errors = [r.body["Response"].get("Error", {}).get("Code") for r in replies]
        assert errors == [
            None,
            None,
            None,
            "RequestLimitExceeded.IPLimitExceeded",
            "RequestLimitExceeded.IPLimitExceeded",
        ]
