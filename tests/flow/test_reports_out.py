"""Reports out through the official SDK (B2, B3, spec 6.3-6.8, 6.20): send -> carrier report -> the pull
queue hands each status out once -> pulls and records by number -> statistics that add up to what was sent."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models

from tests.flow.harness import Platform, Tenant, running_platform
from worker.carriers.simulator import SimulatorConfig

DELIVERED = ["+8613800138000", "+8613900139000"]
REJECTED = "+8615800158000"  # the carrier refuses it at submit: a FAIL report with no carrier status


async def call(platform: Platform, tenant: Tenant, action: str, **fields: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    fields.setdefault("SmsSdkAppId", tenant.sdk_app_id)
    for name, value in fields.items():
        setattr(request, name, value)
    return await asyncio.to_thread(getattr(platform.sdk(tenant), action), request)


async def common_call(platform: Platform, tenant: Tenant, action: str, params: dict[str, Any]) -> Any:
    """Actions the SDK's typed client does not have yet (DescribeSendRecordList) go through CommonClient."""
    profile = ClientProfile(
        httpProfile=HttpProfile(endpoint=platform.api_url.removeprefix("http://"), protocol="http")
    )
    client = CommonClient(
        "sms",
        "2021-01-11",
        credential.Credential(tenant.secret_id, tenant.secret_key),
        "ap-guangzhou",
        profile,
    )
    return await asyncio.to_thread(client.call_json, action, params)


def hour(at: float) -> str:
    return datetime.fromtimestamp(at, ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d%H")


async def send_and_deliver(platform: Platform, tenant: Tenant) -> dict[str, str]:
    resp = await platform.send_sms(
        tenant, [*DELIVERED, REJECTED, "12345"], ["1234", "5"], SessionContext="order-42"
    )
    serials = {s.PhoneNumber: s.SerialNo for s in resp.SendStatusSet if s.Code == "Ok"}
    assert set(serials) == {*DELIVERED, REJECTED}
    await platform.run_worker()
    await platform.simulator("/flush", {})
    return serials


REJECTING = SimulatorConfig(token="", rejected_numbers=frozenset({REJECTED}))


async def test_each_report_is_pulled_once_and_the_statistics_add_up(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, simulator=REJECTING) as platform:
        tenant = await platform.add_tenant()
        serials = await send_and_deliver(platform, tenant)

        # B3: each final status once, with the spec's fields, in the order they were reported.
        first = await call(platform, tenant, "PullSmsSendStatus", Limit=100)
        pulled = {s.PhoneNumber: s for s in first.PullSmsSendStatusSet}
        assert set(pulled) == set(serials)
        for phone, status in pulled.items():
            assert status.SerialNo == serials[phone]
            assert (status.CountryCode, status.SubscriberNumber) == ("86", phone[3:])
            assert status.SessionContext == "order-42"
            assert status.UserReceiveTime > 0
        assert [(pulled[p].ReportStatus, pulled[p].Description) for p in DELIVERED] == [
            ("SUCCESS", "DELIVRD")
        ] * 2
        assert (pulled[REJECTED].ReportStatus, pulled[REJECTED].Description) == ("FAIL", "REJECTD")
        assert (await call(platform, tenant, "PullSmsSendStatus", Limit=100)).PullSmsSendStatusSet == []

        # By number, within the last 7 days: still there after the queue handed it out.
        now = int(time.time())
        by_number = await call(
            platform, tenant, "PullSmsSendStatusByPhoneNumber",
            BeginTime=now - 3600, Offset=0, Limit=10, PhoneNumber=DELIVERED[0],
        )  # fmt: skip
        (only,) = by_number.PullSmsSendStatusSet
        assert (only.SerialNo, only.ReportStatus, only.SessionContext) == (
            serials[DELIVERED[0]],
            "SUCCESS",
            "order-42",
        )

        # Statistics from the rollups: 4 numbers asked for, 3 accepted and billed one part each; 3 reports,
        # the carrier's refusal an internal error.
        span = {"BeginTime": hour(now - 3600), "EndTime": hour(now), "Limit": 0, "Offset": 0}
        sent = (await call(platform, tenant, "SendStatusStatistics", **span)).SendStatusStatistics
        assert (sent.RequestCount, sent.RequestSuccessCount, sent.FeeCount) == (4, 3, 3)
        cb = (await call(platform, tenant, "CallbackStatusStatistics", **span)).CallbackStatusStatistics
        assert (cb.CallbackCount, cb.CallbackSuccessCount, cb.CallbackFailCount, cb.RequestSuccessCount) == (
            3,
            2,
            1,
            3,
        )
        assert (cb.InternalErrorCount, cb.InvalidNumberCount, cb.BlackListCount) == (1, 0, 0)
        # Hours before the sends hold nothing.
        empty = {
            "BeginTime": hour(now - 86400 * 3),
            "EndTime": hour(now - 86400 * 2),
            "Limit": 0,
            "Offset": 0,
        }
        none = (await call(platform, tenant, "SendStatusStatistics", **empty)).SendStatusStatistics
        assert (none.RequestCount, none.RequestSuccessCount, none.FeeCount) == (0, 0, 0)


async def test_replies_are_pulled_once_and_found_by_number(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        await platform.send_sms(tenant, DELIVERED[:1], ["1234", "5"])
        forwarded = await platform.simulator(
            "/replies", {"replies": [{"phone": DELIVERED[0], "text": "thanks", "sign": "TestCorp"}]}
        )
        assert forwarded == {"forwarded": 1}

        assert (await call(platform, other, "PullSmsReplyStatus", Limit=10)).PullSmsReplyStatusSet == []
        (reply,) = (await call(platform, tenant, "PullSmsReplyStatus", Limit=10)).PullSmsReplyStatusSet
        assert (reply.PhoneNumber, reply.CountryCode, reply.SubscriberNumber) == (
            DELIVERED[0],
            "86",
            DELIVERED[0][3:],
        )
        assert (reply.ReplyContent, reply.SignName) == ("thanks", "TestCorp")
        assert abs(reply.ReplyTime - time.time()) < 60
        assert (await call(platform, tenant, "PullSmsReplyStatus", Limit=10)).PullSmsReplyStatusSet == []

        now = int(time.time())
        (again,) = (
            await call(
                platform, tenant, "PullSmsReplyStatusByPhoneNumber",
                BeginTime=now - 600, Offset=0, Limit=10, PhoneNumber=DELIVERED[0],
            )
        ).PullSmsReplyStatusSet  # fmt: skip
        assert (again.ReplyContent, again.ReplyTime) == ("thanks", reply.ReplyTime)


async def test_send_records_by_number_show_status_and_masked_content(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, simulator=REJECTING) as platform:
        tenant = await platform.add_tenant()
        serials = await send_and_deliver(platform, tenant)
        now = int(time.time())
        answer = await common_call(
            platform, tenant, "DescribeSendRecordList",
            {"SmsSdkAppId": tenant.sdk_app_id, "PhoneNumber": DELIVERED[1], "BeginTime": now - 600, "Limit": 10},
        )  # fmt: skip
        records = answer["Response"]
        assert records["TotalCount"] == 1
        (record,) = records["SendRecordSet"]
        assert (record["SerialNo"], record["SendStatus"], record["StatusCode"]) == (
            serials[DELIVERED[1]],
            2,
            "DELIVRD",
        )
        # B4: the variable parts of the content are masked ("1234" -> "1**4"; "5" is hidden whole).
        assert record["Content"] == "【TestCorp】Your code is 1**4, valid for * minutes."
        assert record["IsoCode"] == "CN" and record["UserReceiveTime"] >= record["SendTime"] > 0

        refused = await common_call(
            platform, tenant, "DescribeSendRecordList",
            {"SmsSdkAppId": tenant.sdk_app_id, "PhoneNumber": REJECTED, "BeginTime": now - 600},
        )  # fmt: skip
        (failed,) = refused["Response"]["SendRecordSet"]
        assert (failed["SendStatus"], failed["StatusCode"], failed["UserReceiveTime"]) == (1, "REJECTD", 0)


async def test_a_redis_restart_and_an_api_restart_between_report_and_pull_lose_nothing(
    database_url: str, redis_url: str
) -> None:
    """The pull queue lives in Postgres: Redis flushed (as a restart without persistence leaves it) and a new
    API process in between, every report is still handed out, once."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        serials = await send_and_deliver(platform, tenant)
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    await client.flushall()
    await client.aclose()
    async with running_platform(database_url, redis_url) as restarted:
        pulled = await call(restarted, tenant, "PullSmsSendStatus", Limit=2)
        rest = await call(restarted, tenant, "PullSmsSendStatus", Limit=100)
        got = [s.SerialNo for s in pulled.PullSmsSendStatusSet + rest.PullSmsSendStatusSet]
        assert len(pulled.PullSmsSendStatusSet) == 2
        assert sorted(got) == sorted(serials.values())


@pytest.mark.parametrize(
    ("action", "fields", "code"),
    [
        ("PullSmsSendStatus", {"Limit": 0}, "InvalidParameterValue.LimitVerifyFail"),
        ("PullSmsSendStatus", {"Limit": 101}, "InvalidParameterValue.LimitVerifyFail"),
        ("PullSmsReplyStatus", {"Limit": -1}, "InvalidParameterValue.LimitVerifyFail"),
        ("PullSmsSendStatus", {}, "MissingParameter"),
        ("PullSmsSendStatus", {"Limit": "ten"}, "InvalidParameter"),
        (
            "PullSmsSendStatusByPhoneNumber",
            {"BeginTime": -8 * 86400},
            "InvalidParameterValue.BeginTimeVerifyFail",
        ),
        ("PullSmsSendStatusByPhoneNumber", {"BeginTime": 3600}, "InvalidParameterValue.BeginTimeVerifyFail"),
        ("PullSmsReplyStatusByPhoneNumber", {"EndTime": -7200}, "InvalidParameterValue.EndTimeVerifyFail"),
        ("PullSmsReplyStatusByPhoneNumber", {"Offset": -1}, "InvalidParameterValue.OffsetVerifyFail"),
        (
            "PullSmsSendStatusByPhoneNumber",
            {"PhoneNumber": "12"},
            "InvalidParameterValue.IncorrectPhoneNumber",
        ),
        ("SendStatusStatistics", {"BeginTime": "2024-01-01"}, "InvalidParameterValue.BeginTimeVerifyFail"),
        ("SendStatusStatistics", {"BeginTime": "2024023000"}, "InvalidParameterValue.BeginTimeVerifyFail"),
        ("SendStatusStatistics", {"BeginTime": "2999010100"}, "InvalidParameterValue.BeginTimeVerifyFail"),
        ("CallbackStatusStatistics", {"EndTime": "2024010100"}, "InvalidParameterValue.EndTimeVerifyFail"),
        ("CallbackStatusStatistics", {"EndTime": "2024030300"}, "InvalidParameterValue.EndTimeVerifyFail"),
        ("SendStatusStatistics", {"Limit": -1}, "InvalidParameterValue.LimitVerifyFail"),
    ],
)
async def test_bad_ranges_and_limits_get_their_codes(
    database_url: str, redis_url: str, action: str, fields: dict[str, Any], code: str
) -> None:
    now = int(time.time())
    defaults: dict[str, Any] = {"Limit": 10}
    if "ByPhoneNumber" in action:
        defaults |= {"BeginTime": now - 600, "Offset": 0, "PhoneNumber": DELIVERED[0]}
        for name in ("BeginTime", "EndTime"):  # relative to now
            if name in fields:
                fields = {**fields, name: now + fields[name]}
    if "Statistics" in action:
        defaults = {"BeginTime": "2024012000", "EndTime": "2024012023", "Limit": 0, "Offset": 0}
    params = {**defaults, **fields}
    if action == "PullSmsSendStatus" and not fields:
        params = {}
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        with pytest.raises(TencentCloudSDKException) as err:
            await common_call(platform, tenant, action, {"SmsSdkAppId": tenant.sdk_app_id, **params})
        assert err.value.code == code


@pytest.mark.parametrize(
    "action",
    ["PullSmsSendStatus", "PullSmsReplyStatus", "SendStatusStatistics", "CallbackStatusStatistics",
     "PullSmsSendStatusByPhoneNumber", "DescribeSendRecordList"],
)  # fmt: skip
async def test_another_accounts_application_is_refused(
    database_url: str, redis_url: str, action: str
) -> None:
    """Tenants never see each other's reports: naming another account's SdkAppId is refused outright."""
    now = int(time.time())
    params: dict[str, Any] = {"Limit": 10, "Offset": 0, "BeginTime": now - 600, "PhoneNumber": DELIVERED[0]}
    if "Statistics" in action:
        params = {"BeginTime": hour(now - 3600), "EndTime": hour(now), "Limit": 0, "Offset": 0}
    async with running_platform(database_url, redis_url) as platform:
        owner = await platform.add_tenant()
        intruder = await platform.add_tenant(name="Intruder")
        await send_and_deliver(platform, owner)
        with pytest.raises(TencentCloudSDKException) as err:
            await common_call(platform, intruder, action, {"SmsSdkAppId": owner.sdk_app_id, **params})
        assert err.value.code == "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
        assert len((await call(platform, owner, "PullSmsSendStatus", Limit=100)).PullSmsSendStatusSet) == 3


async def test_the_operator_sees_statistics_per_day_account_application_and_country(
    database_url: str, redis_url: str
) -> None:
    from tests.integration.test_cli import smsctl

    async with running_platform(database_url, redis_url, simulator=REJECTING) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        await send_and_deliver(platform, tenant)
        await platform.send_sms(other, DELIVERED[:1], ["1234", "5"])
        headers = {"Authorization": "Bearer dev-admin-token"}
        url = f"{platform.api_url}/admin/v1/stats?account={tenant.account_id}"
        async with platform.http.get(url, headers=headers) as resp:
            assert resp.status == 200
            body = await resp.json()
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        by_country = {r["country"]: r for r in body["rows"]}
        assert {(r["day"], r["account_id"], r["sdk_app_id"]) for r in body["rows"]} == {
            (today, tenant.account_id, tenant.sdk_app_id)
        }  # the other account's send is not in this account's view
        cn, unknown = by_country["CN"], by_country["DEF"]  # "12345" cannot be placed in any country
        assert (cn["requests"], cn["accepted"], cn["fee_parts"]) == (3, 3, 3)
        assert (cn["reports"], cn["delivered"], cn["failed"], cn["internal_error"]) == (3, 2, 1, 1)
        assert (unknown["requests"], unknown["accepted"], unknown["reports"]) == (1, 0, 0)

        async with platform.http.get(
            f"{platform.api_url}/admin/v1/stats?from=2026-13-01", headers=headers
        ) as resp:
            assert resp.status == 400 and (await resp.json())["error"]["code"] == "InvalidParameterValue"

        code, out, _ = await smsctl(database_url, "stats", "--app", other.sdk_app_id)
        assert code == 0
        (row,) = out["rows"]
        assert (row["account_id"], row["country"], row["requests"], row["accepted"]) == (
            other.account_id,
            "CN",
            1,
            1,
        )
