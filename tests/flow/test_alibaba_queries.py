"""Alibaba's QuerySendDetails and QuerySendStatistics through the unmodified SDKs (issue 15): the same records
and rollups API 3.0 reads, for the caller's account, with the SDK's exact types (TotalCount a string,
SendStatus 1/2/3), the 30-day and page-size limits on both sides, and the messages visible to Tencent's
PullSmsSendStatus for the same account."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525 import models
from aliyunsdkdysmsapi.request.v20170525 import QuerySendDetailsRequest

from tests.flow.alibaba_clients import legacy, legacy_call, tea
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.test_reports_out import call
from worker.carriers.simulator import SimulatorConfig

DELIVERED = "13800138001"
REJECTED = "13800138002"
WAITING = "13800138003"
REJECTING = SimulatorConfig(token="", rejected_numbers=frozenset({"+86" + REJECTED}))


def today(platform: Platform, days_ago: int = 0) -> str:
    zone = ZoneInfo(platform.settings.timezone)
    return f"{datetime.now(zone).date() - timedelta(days=days_ago):%Y%m%d}"


async def details(platform: Platform, tenant: Tenant, **fields: Any) -> Any:
    fields.setdefault("send_date", today(platform))
    fields.setdefault("page_size", 10)
    fields.setdefault("current_page", 1)
    request = models.QuerySendDetailsRequest(**fields)
    return (await asyncio.to_thread(tea(platform, tenant).query_send_details, request)).body


async def send(platform: Platform, tenant: Tenant, phones: list[str], out_id: str, code: str) -> str:
    request = models.SendSmsRequest(
        phone_numbers=",".join(phones),
        sign_name=SIGN,
        template_code=f"SMS_{tenant.template_id}",
        template_param=json.dumps({"1": code, "2": "5"}),
        out_id=out_id,
    )
    body = (await asyncio.to_thread(tea(platform, tenant).send_sms, request)).body
    assert body.code == "OK", body.message
    biz: str = body.biz_id
    return biz


async def test_details_statistics_and_the_tencent_view(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, simulator=REJECTING) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        first = await send(platform, tenant, [DELIVERED, REJECTED], "order-1", "1234")
        await platform.run_worker()
        await platform.simulator("/flush", {})
        second = await send(platform, tenant, [DELIVERED, WAITING], "order-2", "5678")  # not sent yet

        body = await details(platform, tenant, phone_number=DELIVERED)
        assert body.code == "OK"
        assert body.total_count == "2"  # a string in the SDK's model
        newest, oldest = body.sms_send_detail_dtos.sms_send_detail_dto
        assert (newest.send_status, newest.err_code, newest.out_id) == (1, "", "order-2")
        assert newest.receive_date == ""
        assert (oldest.send_status, oldest.err_code, oldest.out_id) == (3, "DELIVERED", "order-1")
        assert oldest.phone_num == DELIVERED
        assert oldest.template_code == f"SMS_{tenant.template_id}"
        assert oldest.content == f"【{SIGN}】Your code is 1**4, valid for * minutes."  # B4: values masked
        assert datetime.strptime(oldest.send_date, "%Y-%m-%d %H:%M:%S")
        assert datetime.strptime(oldest.receive_date, "%Y-%m-%d %H:%M:%S")

        # One request by its BizId; a BizId of another request, or not ours, finds nothing.
        only = await details(platform, tenant, phone_number=DELIVERED, biz_id=first)
        assert [d.out_id for d in only.sms_send_detail_dtos.sms_send_detail_dto] == ["order-1"]
        assert (await details(platform, tenant, phone_number=REJECTED, biz_id=second)).total_count == "0"
        assert (await details(platform, tenant, phone_number=DELIVERED, biz_id="xyz")).total_count == "0"
        failed = await details(platform, tenant, phone_number="+86" + REJECTED)
        (row,) = failed.sms_send_detail_dtos.sms_send_detail_dto
        assert (row.send_status, row.err_code) == (2, "REJECTD")
        # Pages of one: the second is the older message; past the end, the total still.
        page = await details(platform, tenant, phone_number=DELIVERED, page_size=1, current_page=2)
        assert [d.out_id for d in page.sms_send_detail_dtos.sms_send_detail_dto] == ["order-1"]
        past = await details(platform, tenant, phone_number=DELIVERED, page_size=1, current_page=3)
        assert (past.total_count, past.sms_send_detail_dtos.sms_send_detail_dto) == ("2", [])
        # Another tenant sees none of it.
        assert (await details(platform, other, phone_number=DELIVERED)).total_count == "0"

        # The legacy client reads the same JSON.
        legacy_request = QuerySendDetailsRequest.QuerySendDetailsRequest()
        legacy_request.set_PhoneNumber(DELIVERED)
        legacy_request.set_SendDate(today(platform))
        legacy_request.set_PageSize(10)
        legacy_request.set_CurrentPage(1)
        answer = await asyncio.to_thread(legacy_call, platform, legacy(platform, tenant), legacy_request)
        assert answer["TotalCount"] == "2"
        assert isinstance(answer["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"], int)

        # Statistics from the rollups, today: 4 sent, 1 delivered, 1 failed, 2 without a receipt yet.
        stats_request = models.QuerySendStatisticsRequest(
            is_globe=1, start_date=today(platform, 1), end_date=today(platform), page_index=1, page_size=10
        )
        stats = (await asyncio.to_thread(tea(platform, tenant).query_send_statistics, stats_request)).body
        assert stats.code == "OK"
        assert stats.data.total_size == 1
        (day,) = stats.data.target_list
        assert (day.send_date, day.total_count) == (today(platform), 4)
        assert (day.responded_success_count, day.responded_fail_count, day.no_responded_count) == (1, 1, 2)
        stats_request.is_globe = 2
        international = (
            await asyncio.to_thread(tea(platform, tenant).query_send_statistics, stats_request)
        ).body
        assert (international.data.total_size, international.data.target_list) == (0, [])

        # The same messages through Tencent's API 3.0 for the same account.
        pulled = await call(platform, tenant, "PullSmsSendStatus", Limit=100)
        assert {(s.PhoneNumber, s.ReportStatus, s.SessionContext) for s in pulled.PullSmsSendStatusSet} == {
            ("+86" + DELIVERED, "SUCCESS", "order-1"),
            ("+86" + REJECTED, "FAIL", "order-1"),
        }


async def test_query_limits_on_both_sides(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        ok = {"phone_number": DELIVERED}
        assert (await details(platform, tenant, **ok, send_date=today(platform, 30))).code == "OK"
        assert (
            await details(platform, tenant, **ok, send_date=today(platform, 31))
        ).code == "isv.INVALID_PARAMETERS"
        assert (
            await details(platform, tenant, **ok, send_date=today(platform, -1))
        ).code == "isv.INVALID_PARAMETERS"
        assert (
            await details(platform, tenant, **ok, send_date="2026-12-01")
        ).code == "isv.INVALID_PARAMETERS"
        assert (await details(platform, tenant, **ok, page_size=50)).code == "OK"
        for bad in ({"page_size": 51}, {"page_size": 0}, {"current_page": 0}):
            assert (await details(platform, tenant, **ok, **bad)).code == "isv.INVALID_PARAMETERS", bad
        for phone in ("12345", f"{DELIVERED},{WAITING}"):
            assert (await details(platform, tenant, phone_number=phone)).code == "isv.INVALID_PARAMETERS"

        async def statistics(start: int, end: int, **extra: Any) -> str:
            request = models.QuerySendStatisticsRequest(
                is_globe=1, start_date=today(platform, start), end_date=today(platform, end), **extra
            )
            body = (await asyncio.to_thread(tea(platform, tenant).query_send_statistics, request)).body
            code: str = body.code
            return code

        assert await statistics(30, 0) == "OK"  # 31 days in all
        assert await statistics(31, 0) == "isv.INVALID_PARAMETERS"
        assert await statistics(0, 1) == "isv.INVALID_PARAMETERS"  # the end before the start
        assert await statistics(1, 0, page_size=50) == "OK"
        assert await statistics(1, 0, page_size=51) == "isv.INVALID_PARAMETERS"
        assert await statistics(1, 0, sign_name=SIGN) == "isv.INVALID_PARAMETERS"  # not offered, said so
