"""SendSms rules through the real API with the official SDK: request-level refusals come back as
Response.Error (the SDK raises TencentCloudSDKException with `.code`), per-number ones inside SendStatusSet
(D5), the L3 international quota, batching (one insert and one job per request), lenient JSON types, GET
requests, and D7 in platform time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from core.store import admin
from tests.flow.harness import SIGN, TEMPLATE, Platform, Tenant, running_platform
from tests.flow.tc3_client import Tc3Client

CN_1, CN_2 = "+8613800138000", "+8613900139000"
US, GB, HK = "+14155550123", "+447400123456", "+85291234567"
INTL_FIVE = [US, GB, HK, "+14155550124", "+61412345678"]
QUEUE = "arq:queue"  # arq's default queue: a sorted set of job ids


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def message_count(platform: Platform) -> int:
    count: int = await platform.db.fetchval("SELECT count(*) FROM messages")
    return count


async def refused(
    platform: Platform, tenant: Tenant, phones: list[str], params: list[Any], **fields: Any
) -> str:
    """Send expecting Response.Error; returns its code."""
    with pytest.raises(TencentCloudSDKException) as err:
        await platform.send_sms(tenant, phones, params, **fields)
    assert err.value.requestId, "the error envelope carries a RequestId"
    assert err.value.message
    code: str = err.value.code
    return code


def codes(resp: Any) -> list[tuple[str, str]]:
    return [(s.PhoneNumber, s.Code) for s in resp.SendStatusSet]


# --- request-level refusals: Response.Error, nothing recorded, nothing queued -------------------------------


async def test_another_tenants_app_id_is_refused(database_url: str, redis_url: str, redis: Redis) -> None:
    """A2: an SdkAppId is usable only with its own account's keys; an unknown one is refused the same way."""
    async with running_platform(database_url, redis_url) as platform:
        alice = await platform.add_tenant(name="Alice")
        bob = await platform.add_tenant(name="Bob")
        code = await refused(platform, alice, [CN_1], ["123456", "5"], SmsSdkAppId=bob.sdk_app_id)
        assert code == "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
        code = await refused(platform, alice, [CN_1], ["123456", "5"], SmsSdkAppId="1400999999")
        assert code == "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
        # Bob's own key and app work: the refusal above was about ownership.
        assert codes(await platform.send_sms(bob, [CN_1], ["123456", "5"])) == [(CN_1, "Ok")]
        rows = await platform.db.fetch("SELECT account_id FROM messages")
        assert [r["account_id"] for r in rows] == [bob.account_id]


async def test_another_tenants_template_is_not_found(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        alice = await platform.add_tenant(name="Alice")
        bob = await platform.add_tenant(name="Bob")
        code = await refused(platform, alice, [CN_1], ["123456", "5"], TemplateId=str(bob.template_id))
        assert code == "FailedOperation.TemplateIncorrectOrUnapproved"
        assert await message_count(platform) == 0


async def test_disabled_app_refuses_at_once(database_url: str, redis_url: str, redis: Redis) -> None:
    """A3: disabling an application refuses its very next send; enabling it again restores sending."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        assert await admin.set_app_status(platform.db, tenant.sdk_app_id, "disabled")
        code = await refused(platform, tenant, [CN_1], ["123456", "5"])
        assert code == "UnauthorizedOperation.SdkAppIdIsDisabled"
        assert await message_count(platform) == 0
        assert await redis.zcard(QUEUE) == 0
        assert await admin.set_app_status(platform.db, tenant.sdk_app_id, "active")
        assert codes(await platform.send_sms(tenant, [CN_1], ["123456", "5"])) == [(CN_1, "Ok")]


REQUEST_ERRORS = [
    pytest.param(
        [CN_1, US],
        ["123456", "5"],
        {},
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
        id="D4",
    ),
    pytest.param(
        [f"+86138{i:08d}" for i in range(201)],
        ["123456", "5"],
        {},
        "LimitExceeded.PhoneNumberCountLimit",
        id="D1-201-numbers",
    ),
    pytest.param([], ["123456", "5"], {}, "MissingParameter.EmptyPhoneNumberSet", id="D1-empty"),
    pytest.param(
        [CN_1],
        ["123456"],
        {},
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        id="D3-one-param-of-two",
    ),
    pytest.param(
        [CN_1],
        ["123456", "5"],
        {"SignName": "NoSuchSign"},
        "FailedOperation.SignatureIncorrectOrUnapproved",
        id="S6",
    ),
    pytest.param(
        [CN_1],
        ["https://evil.example/x", "5"],
        {},
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        id="T4",
    ),
    pytest.param(
        [US],
        ["1", "2"],
        {"SignName": ""},
        "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
        id="T2",
    ),
]


@pytest.mark.parametrize(("phones", "params", "fields", "code"), REQUEST_ERRORS)
async def test_request_level_errors_are_response_errors(
    database_url: str,
    redis_url: str,
    redis: Redis,
    phones: list[str],
    params: list[str],
    fields: dict[str, Any],
    code: str,
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        assert await refused(platform, tenant, phones, params, **fields) == code
        assert await message_count(platform) == 0
        assert await redis.zcard(QUEUE) == 0


async def test_unapproved_template_is_refused(database_url: str, redis_url: str) -> None:
    """Only an approved template sends."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        pending = await platform.add_template(tenant.account_id, TEMPLATE, approve=False)
        code = await refused(platform, tenant, [CN_1], ["123456", "5"], TemplateId=str(pending))
        assert code == "FailedOperation.TemplateIncorrectOrUnapproved"
        assert await message_count(platform) == 0


async def test_individual_long_variable_is_refused(database_url: str, redis_url: str) -> None:
    """A1: an individual's variable values are at most 12 characters; 12 is fine."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant(kind="individual")
        code = await refused(platform, tenant, [CN_1], ["1234567890123", "5"])
        assert code == "InvalidParameterValue.TemplateParameterLengthLimit"
        assert codes(await platform.send_sms(tenant, [CN_1], ["123456789012", "5"])) == [(CN_1, "Ok")]


# --- per-number results: inside SendStatusSet (D5) ----------------------------------------------------------


async def test_per_number_errors_stay_in_send_status_set(database_url: str, redis_url: str) -> None:
    """D1, D2, D5: a bad number fails alone (Fee 0, SerialNo "", IsoCode ""); only accepted ones are
    recorded."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(
            tenant,
            [CN_1, "138-0013-8000", "13900139000", CN_1, "+861"],
            ["123456", "5"],
            SessionContext="s-1",
        )
        assert codes(resp) == [
            (CN_1, "Ok"),
            ("138-0013-8000", "InvalidParameterValue.IncorrectPhoneNumber"),
            (CN_2, "Ok"),
            ("+861", "InvalidParameterValue.IncorrectPhoneNumber"),
        ]
        bad = resp.SendStatusSet[1]
        assert (bad.SerialNo, bad.Fee, bad.IsoCode, bad.SessionContext) == ("", 0, "", "s-1")
        assert bad.Message
        rows = await platform.statuses(tenant)
        assert set(rows) == {CN_1, CN_2}
        assert {rows[s.PhoneNumber]["serial_no"] for s in resp.SendStatusSet if s.Code == "Ok"} == {
            s.SerialNo for s in resp.SendStatusSet if s.Code == "Ok"
        }


# --- L3: international quota per account per day ------------------------------------------------------------


async def test_international_daily_limit(database_url: str, redis_url: str, redis: Redis) -> None:
    """L3: with a limit of 3, a request of 5 international numbers sends the first 3 and answers the other 2
    with LimitExceeded.DailyLimit; a second request that day is refused number by number; nothing refused is
    recorded; another account has its own quota."""
    async with running_platform(database_url, redis_url, intl_daily_limit_per_account=3) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        intl = {"TemplateId": str(tenant.intl_template_id), "SignName": ""}

        resp = await platform.send_sms(tenant, INTL_FIVE, ["1", "2"], **intl)
        assert codes(resp) == [(p, "Ok") for p in INTL_FIVE[:3]] + [
            (p, "LimitExceeded.DailyLimit") for p in INTL_FIVE[3:]
        ]
        over = resp.SendStatusSet[3:]
        assert {(s.SerialNo, s.Fee, s.IsoCode) for s in over} == {("", 0, "")}
        assert set(await platform.statuses(tenant)) == set(INTL_FIVE[:3])
        assert await redis.zcard(QUEUE) == 1

        # Numbers this account has not messaged yet: only the account's quota stands in their way.
        resp = await platform.send_sms(tenant, ["+14155550199", "+447400123457"], ["1", "2"], **intl)
        assert codes(resp) == [
            ("+14155550199", "LimitExceeded.DailyLimit"),
            ("+447400123457", "LimitExceeded.DailyLimit"),
        ]
        assert await message_count(platform) == 3
        assert await redis.zcard(QUEUE) == 1, "a request with nothing accepted queues nothing"

        resp = await platform.send_sms(
            other, [US], ["1", "2"], TemplateId=str(other.intl_template_id), SignName=""
        )
        assert codes(resp) == [(US, "Ok")]
        # Mainland SMS do not count against the international quota.
        assert codes(await platform.send_sms(tenant, [CN_1], ["1", "2"])) == [(CN_1, "Ok")]


# --- batching: one insert and one job per request (convention 5) --------------------------------------------


async def test_200_numbers_one_insert_one_job(database_url: str, redis_url: str, redis: Redis) -> None:
    """D1: 200 numbers are accepted; they are written by ONE statement (all rows share one transaction id and
    one command id) under one batch_id, and produce ONE arq job for that batch."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        phones = [f"+86138{i:08d}" for i in range(200)]
        resp = await platform.send_sms(tenant, phones, ["123456", "5"])
        assert codes(resp) == [(p, "Ok") for p in phones]
        assert len({s.SerialNo for s in resp.SendStatusSet}) == 200

        stats = await platform.db.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT batch_id) AS batches, count(DISTINCT xmin::text) AS xacts,"
            " count(DISTINCT cmin::text) AS commands, min(batch_id::text) AS batch_id FROM messages"
        )
        assert stats is not None
        assert (stats["n"], stats["batches"], stats["xacts"], stats["commands"]) == (200, 1, 1, 1)
        jobs = await redis.zrange(QUEUE, 0, -1)
        assert [j.decode() for j in jobs] == [f"send:{stats['batch_id']}"]


# --- lenient types and other transports ---------------------------------------------------------------------


async def test_numbers_sent_as_json_numbers_are_accepted(database_url: str, redis_url: str) -> None:
    """Spec 11.9: the SDK passes ints assigned to string fields through as JSON numbers."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        params: list[Any] = [123456, 5]
        resp = await platform.send_sms(
            tenant, [CN_1], params, SmsSdkAppId=int(tenant.sdk_app_id), TemplateId=tenant.template_id
        )
        assert codes(resp) == [(CN_1, "Ok")]
        row = (await platform.statuses(tenant))[CN_1]
        assert row["content"] == f"【{SIGN}】Your code is 123456, valid for 5 minutes."
        assert row["sdk_app_id"] == tenant.sdk_app_id


async def test_get_request_signed_by_the_sdk(database_url: str, redis_url: str) -> None:
    """Spec 2.3: GET flattens the parameters into the query string; the signature covers the query exactly
    as sent, so a CJK signature name and a value with a space, "+" and "%" must survive (urlencoded by the
    SDK)."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await admin.create_signature(
            platform.db, account_id=tenant.account_id, name="腾讯云", international=False, approve=True
        )
        endpoint = platform.api_url.removeprefix("http://")
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http", reqMethod="GET"))
        client = sms_client.SmsClient(
            credential.Credential(tenant.secret_id, tenant.secret_key), "ap-guangzhou", profile
        )
        req = models.SendSmsRequest()
        req.PhoneNumberSet = [CN_1, "13900139000"]
        req.SmsSdkAppId = tenant.sdk_app_id
        req.TemplateId = str(tenant.template_id)
        req.SignName = "腾讯云"
        req.TemplateParamSet = ["a+b %41", "5"]
        resp = await asyncio.to_thread(client.SendSms, req)
        assert codes(resp) == [(CN_1, "Ok"), (CN_2, "Ok")]
        rows = await platform.statuses(tenant)
        assert {r["content"] for r in rows.values()} == {
            "【腾讯云】Your code is a+b %41, valid for 5 minutes."
        }


# --- D7 in platform time ------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
MEMBER_SALE = "Members get {1} off this weekend. Reply TD to unsubscribe."


@pytest.mark.parametrize(
    ("local", "code"),
    [
        pytest.param(
            datetime(2026, 5, 1, 7, 59, 59, tzinfo=SHANGHAI), "FailedOperation.MarketingSendTimeConstraint"
        ),
        pytest.param(datetime(2026, 5, 1, 8, 0, tzinfo=SHANGHAI), None),
        pytest.param(datetime(2026, 5, 1, 21, 59, 59, tzinfo=SHANGHAI), None),
        pytest.param(
            datetime(2026, 5, 1, 22, 0, tzinfo=SHANGHAI), "FailedOperation.MarketingSendTimeConstraint"
        ),
    ],
    ids=["0759", "0800", "2159", "2200"],
)
async def test_marketing_hours_are_platform_time(
    database_url: str, redis_url: str, local: datetime, code: str | None
) -> None:
    """D7: marketing SMS only 08:00-22:00 in the platform's time zone (Asia/Shanghai), not UTC: 07:59 in
    Shanghai is 23:59 UTC the day before. The API's clock is fixed, so the request is signed at that time."""
    ts = int(local.timestamp())
    async with running_platform(database_url, redis_url, clock=lambda: float(ts)) as platform:
        tenant = await platform.add_tenant()
        marketing = await platform.add_template(tenant.account_id, MEMBER_SALE, sms_type=1)
        client = Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key)
        reply = await client.call(
            {
                "PhoneNumberSet": [CN_1],
                "SmsSdkAppId": tenant.sdk_app_id,
                "TemplateId": str(marketing),
                "SignName": SIGN,
                "TemplateParamSet": ["20%"],
            },
            timestamp=ts,
        )
        assert reply.status == 200
        assert reply.error_code == code
        assert await message_count(platform) == (0 if code else 1)
