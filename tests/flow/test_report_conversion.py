"""ReportConversion (spec 6.19, issue 16) through the unmodified official SDK: a customer's conversion report is
stored against the message, one per message (the first stands), scoped to the caller's account and
application, bounded by when the message was sent and the platform's clock, and counted in the statistics the
operator sees (admin API and smsctl)."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.sms.v20210111 import models

from tests.flow.harness import Platform, Tenant, running_platform

# The API's clock stands still at a fraction of a second: a message accepted then is accepted within second
# floor(NOW), where a conversion may already happen. The SDK signs at the real time, well within the skew.
NOW = math.floor(time.time()) + 0.75
SECOND = math.floor(NOW)
SKEW = 300  # the default signature skew: a conversion time may be that far ahead of the platform's clock
PHONES = ["+8613800138000", "+8613900139000", "+8615800158000"]


async def send(platform: Platform, tenant: Tenant, phone: str) -> str:
    resp = await platform.send_sms(tenant, [phone], ["123456", "5"])
    (status,) = resp.SendStatusSet
    assert status.Code == "Ok"
    return str(status.SerialNo)


async def report(platform: Platform, tenant: Tenant, serial_no: str, at: int | None, **fields: Any) -> Any:
    req = models.ReportConversionRequest()
    req.SmsSdkAppId, req.SerialNo = tenant.sdk_app_id, serial_no
    if at is not None:
        req.ConversionTime = at
    for name, value in fields.items():
        setattr(req, name, value)
    resp = await asyncio.to_thread(platform.sdk(tenant).ReportConversion, req)
    return resp.ReportConversionStatus


async def refused(platform: Platform, tenant: Tenant, serial_no: str, at: int | None) -> tuple[str, str]:
    with pytest.raises(TencentCloudSDKException) as err:
        await report(platform, tenant, serial_no, at)
    return err.value.code, err.value.message


async def conversions(platform: Platform) -> list[dict[str, Any]]:
    rows = await platform.db.fetch("SELECT * FROM conversions ORDER BY message_id")
    return [dict(r) for r in rows]


async def test_a_conversion_is_stored_against_its_message_and_counted(
    database_url: str, redis_url: str
) -> None:
    from tests.integration.test_cli import smsctl

    async with running_platform(database_url, redis_url, clock=lambda: NOW) as platform:
        tenant = await platform.add_tenant()
        serial = await send(platform, tenant, PHONES[0])
        status = await report(platform, tenant, serial, SECOND + 42)
        assert (status.Code, status.Message) == ("ok", "report success")

        (row,) = await conversions(platform)
        message = await platform.db.fetchrow(
            "SELECT id, accepted_at FROM messages WHERE serial_no = $1", serial
        )
        assert (row["message_id"], row["accepted_at"]) == (message["id"], message["accepted_at"])
        assert (row["account_id"], row["sdk_app_id"], row["serial_no"], row["dialect"]) == (
            tenant.account_id,
            tenant.sdk_app_id,
            serial,
            "tencent_v3",
        )
        assert row["converted_at"].timestamp() == SECOND + 42
        assert row["reported_at"].timestamp() == NOW

        # No ConversionTime: the conversion happened now, as far as the platform can tell.
        other = await send(platform, tenant, PHONES[1])
        assert (await report(platform, tenant, other, None)).Code == "ok"
        assert (await conversions(platform))[1]["converted_at"].timestamp() == SECOND

        headers = {"Authorization": "Bearer dev-admin-token"}
        async with platform.http.get(
            f"{platform.api_url}/admin/v1/stats?app={tenant.sdk_app_id}", headers=headers
        ) as resp:
            assert resp.status == 200
            (cn,) = (await resp.json())["rows"]
        assert (cn["country"], cn["accepted"], cn["conversions"]) == ("CN", 2, 2)
        code, out, _ = await smsctl(database_url, "stats", "--app", tenant.sdk_app_id)
        assert code == 0 and [r["conversions"] for r in out["rows"]] == [2]


async def test_a_second_report_keeps_the_first(database_url: str, redis_url: str) -> None:
    """The same report again (a retry) is answered ok and changes nothing; one with another time is refused
    and changes nothing either: one conversion per message, counted once."""
    async with running_platform(database_url, redis_url, clock=lambda: NOW) as platform:
        tenant = await platform.add_tenant()
        serial = await send(platform, tenant, PHONES[0])
        assert (await report(platform, tenant, serial, SECOND + 10)).Message == "report success"
        again = await report(platform, tenant, serial, SECOND + 10)
        assert (again.Code, again.Message) == ("ok", "already reported: the first report stands")
        code, message = await refused(platform, tenant, serial, SECOND + 20)
        assert code == "FailedOperation" and str(SECOND + 10) in message

        (row,) = await conversions(platform)
        assert row["converted_at"].timestamp() == SECOND + 10
        counted = await platform.db.fetchval("SELECT sum(conversions) FROM stats_hourly")
        assert counted == 1


async def test_another_tenants_serial_is_not_found(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, clock=lambda: NOW) as platform:
        owner, stranger = await platform.add_tenant(), await platform.add_tenant(name="Stranger")
        serial = await send(platform, owner, PHONES[0])
        # With the stranger's own application: no such message there.
        code, _ = await refused(platform, stranger, serial, SECOND)
        assert code == "ResourceNotFound"
        # With the owner's application: not the stranger's to name.
        posing = Tenant(**{**stranger.__dict__, "sdk_app_id": owner.sdk_app_id})
        code, _ = await refused(platform, posing, serial, SECOND)
        assert code == "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
        assert await conversions(platform) == []
        # The owner still can.
        assert (await report(platform, owner, serial, SECOND)).Code == "ok"


async def test_unknown_serials_are_not_found(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, clock=lambda: NOW) as platform:
        tenant = await platform.add_tenant()
        serial = await send(platform, tenant, PHONES[0])
        day, _, message_id = serial.partition(":")
        for unknown in (f"{day}:{int(message_id) + 1000}", f"20200101:{message_id}", "x", "", f"{serial}0"):
            code, _ = await refused(platform, tenant, unknown, SECOND)
            assert code == "ResourceNotFound", unknown
        assert await conversions(platform) == []


async def test_a_conversion_cannot_precede_its_message_nor_lie_in_the_future(
    database_url: str, redis_url: str
) -> None:
    """Both sides of each bound: the second the message was accepted is allowed (not the one before); the
    platform's clock plus the signature skew it tolerates is allowed (not a second more)."""
    async with running_platform(database_url, redis_url, clock=lambda: NOW) as platform:
        tenant = await platform.add_tenant()
        first, second = await send(platform, tenant, PHONES[0]), await send(platform, tenant, PHONES[1])

        code, message = await refused(platform, tenant, first, SECOND - 1)
        assert (code, message) == (
            "InvalidParameterValue",
            "The conversion time is before the message was sent.",
        )
        code, message = await refused(platform, tenant, first, SECOND + SKEW + 1)
        assert (code, message) == ("InvalidParameterValue", "The conversion time is in the future.")
        code, _ = await refused(platform, tenant, first, 10**20)
        assert code == "InvalidParameter"  # not a 64-bit integer
        assert await conversions(platform) == []

        assert (await report(platform, tenant, first, SECOND)).Code == "ok"
        assert (await report(platform, tenant, second, SECOND + SKEW)).Code == "ok"
        assert [r["converted_at"].timestamp() for r in await conversions(platform)] == [SECOND, SECOND + SKEW]
