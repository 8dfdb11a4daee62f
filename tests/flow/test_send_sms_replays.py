"""Issue 14, finding 2: API 3.0 (TC3) has no nonce, and a signature is good for ±300 s. An identical signed
request (same signature) runs once: sent again, by an attacker who captured it or by an honest client whose
first attempt timed out, it gets the first request's answer as it went out (RequestId included) and nothing
is sent or billed twice. The official SDK, unmodified, with its clock frozen: identical calls in one second
ARE one signed request sent again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.sms.v20190711 import models as models_2019

from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.tc3_client import Tc3Client, encode
from tests.flow.test_tencent_v20190711 import client as client_2019

# On the application's allowlist, so the per-number limits (30 s same content) let every copy through: only
# the replay guard stands between a replay and a second send.
ALLOWLISTED = "+8613800138000"


async def allowlisted_tenant(platform: Platform) -> Tenant:
    tenant = await platform.add_tenant()
    await platform.db.execute(
        "INSERT INTO app_allowlist (sdk_app_id, phone, added_by) VALUES ($1, $2, 'test')",
        tenant.sdk_app_id,
        ALLOWLISTED,
    )
    return tenant


async def send(platform: Platform, tenant: Tenant) -> str:
    """The SDK's SendSms to the allowlisted number; its whole answer as JSON."""
    answer: Any = await platform.send_sms(tenant, [ALLOWLISTED], ["123456", "5"])
    return str(answer.to_json_string())


async def billed(platform: Platform, tenant: Tenant) -> tuple[int, int]:
    """Messages recorded, and messages counted in the account's usage (what the daily charge is made of)."""
    messages = await platform.db.fetchval(
        "SELECT count(*) FROM messages WHERE sdk_app_id = $1", tenant.sdk_app_id
    )
    usage = await platform.db.fetchval(
        "SELECT COALESCE(sum(messages), 0) FROM usage_daily WHERE account_id = $1", tenant.account_id
    )
    return int(messages), int(usage)


async def test_a_send_sms_replayed_three_times_is_sent_and_billed_once(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await allowlisted_tenant(platform)
        platform.sdk_clock.freeze(int(time.time()))
        first = await send(platform, tenant)
        assert '"Code": "Ok"' in first
        replays = [await send(platform, tenant) for _ in range(3)]
        assert replays == [first] * 3  # the first answer, RequestId and SerialNo included
        # Replays at once, while the first answer is being stored or read: still the one answer.
        assert await asyncio.gather(*(send(platform, tenant) for _ in range(3))) == [first] * 3
        assert await billed(platform, tenant) == (1, 1)

        await platform.run_worker()
        await platform.simulator("/flush", {})
        assert (await platform.simulator("/stats"))["messages_received"] == 1


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait for a state of the system (not for time to pass); fail if it never comes."""
    for _ in range(2000):
        if await condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail("the condition never came")


async def test_a_copy_sent_while_the_first_is_running_waits_and_gets_its_answer(
    database_url: str, redis_url: str
) -> None:
    """The honest retry of a request that is slow (here: held by a lock on the outbox) does not run it a second
    time: it waits for the first answer and gets it."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await allowlisted_tenant(platform)
        platform.sdk_clock.freeze(int(time.time()))
        redis = Redis.from_url(redis_url)
        async with platform.db.acquire() as conn:
            lock = conn.transaction()
            await lock.start()
            await conn.execute("LOCK TABLE send_outbox IN ACCESS EXCLUSIVE MODE")
            first = asyncio.create_task(send(platform, tenant))

            async def first_is_held() -> bool:
                query = (
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                return bool(await platform.db.fetchval(query))

            await until(first_is_held)
            copy = asyncio.create_task(send(platform, tenant))

            async def copy_is_waiting() -> bool:
                return int((await redis.info("clients"))["blocked_clients"]) >= 1

            await until(copy_is_waiting)
            await lock.rollback()
        await redis.aclose()
        answer = await first
        assert '"Code": "Ok"' in answer
        assert await copy == answer
        assert await billed(platform, tenant) == (1, 1)


async def test_the_2019_version_runs_a_replayed_send_once_too(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await allowlisted_tenant(platform)
        request = models_2019.SendSmsRequest()
        request.PhoneNumberSet = [ALLOWLISTED]
        request.SmsSdkAppid = tenant.sdk_app_id
        request.TemplateID = str(tenant.template_id)
        request.Sign = SIGN
        request.TemplateParamSet = ["123456", "5"]
        sdk = client_2019(platform, tenant)

        async def send_2019() -> str:
            return str((await asyncio.to_thread(sdk.SendSms, request)).to_json_string())

        platform.sdk_clock.freeze(int(time.time()))
        first = await send_2019()
        assert '"Code": "Ok"' in first
        assert [await send_2019() for _ in range(3)] == [first] * 3
        assert await billed(platform, tenant) == (1, 1)


async def test_the_same_request_signed_at_another_second_is_another_request(
    database_url: str, redis_url: str
) -> None:
    """Different signatures (here: the same parameters signed one second apart) both run."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await allowlisted_tenant(platform)
        now = int(time.time())
        platform.sdk_clock.freeze(now)
        first = await send(platform, tenant)
        platform.sdk_clock.freeze(now + 1)
        second = await send(platform, tenant)
        assert first != second and '"Code": "Ok"' in second
        assert await billed(platform, tenant) == (2, 2)


async def test_a_replay_after_the_first_request_crashed_runs(database_url: str, redis_url: str) -> None:
    """A request that failed unexpectedly (InternalError) is not remembered: the same request sent again runs,
    once, and its answer is what later copies get."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await allowlisted_tenant(platform)
        platform.sdk_clock.freeze(int(time.time()))
        # A real fault, no mock: the outbox table is gone while the first request is recorded.
        await platform.db.execute("ALTER TABLE send_outbox RENAME TO send_outbox_away")
        try:
            with pytest.raises(TencentCloudSDKException) as crashed:
                await send(platform, tenant)
        finally:
            await platform.db.execute("ALTER TABLE send_outbox_away RENAME TO send_outbox")
        assert crashed.value.code == "InternalError"
        assert await billed(platform, tenant) == (0, 0)

        retried = await send(platform, tenant)
        assert '"Code": "Ok"' in retried
        assert await send(platform, tenant) == retried
        assert await billed(platform, tenant) == (1, 1)


async def test_a_replay_under_another_action_or_version_header_gets_the_first_answer(
    database_url: str, redis_url: str
) -> None:
    """The SDK signs only Content-Type and Host: X-TC-Action and X-TC-Version can be changed on a captured
    request without breaking its signature. The guard keys on the signature alone, so the copy is still the
    same request: it gets the first answer and nothing else runs."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await allowlisted_tenant(platform)
        client = Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key)
        payload = encode(
            {"TemplateIdSet": [tenant.template_id], "International": 0, "Limit": 10, "Offset": 0}
        )
        headers = client.headers(payload, timestamp=int(time.time()), action="DescribeSmsTemplateList")
        first = await client.send(payload, headers)
        assert "DescribeTemplateStatusSet" in first.body["Response"]
        for changed in ({"X-TC-Action": "DeleteSmsTemplate"}, {"X-TC-Version": "2019-07-11"}):
            assert (await client.send(payload, headers | changed)).text == first.text
        status = await platform.db.fetchval("SELECT status FROM templates WHERE id = $1", tenant.template_id)
        assert status == "approved"
