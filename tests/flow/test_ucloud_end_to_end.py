"""Issue 16 done: the unmodified ucloud-sdk-python3 USMS client through the whole path. A file and a
qualification, a signature resting on it → the operator approves → a template applied and approved →
SendUSMSMessage to an unsubscribed, an invalid and a twice-given number → delivered → GetUSMSSendReceipt →
GetUSMSSendStatistics; and the same account sees those messages through Tencent's API 3.0 and Alibaba's
QuerySendDetails (rules B1, D1, D2, S1, T1)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525 import models

from tests.flow.alibaba_clients import tea
from tests.flow.harness import running_platform
from tests.flow.test_reports_out import call as tencent
from tests.flow.test_ucloud_catalog import Env, qualification, signature_request, template_request
from tests.flow.test_ucloud_send import call

SIGN = "优刻云"
ADMIN_TOKEN = "test-admin-token"  # what test_ucloud_catalog.Env's admin calls send
NUMBER = "13800138000"
BLOCKED = "13900139001"


async def test_qualify_apply_approve_send_deliver_receipts_statistics_and_the_other_doors(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, admin_token=ADMIN_TOKEN) as platform:
        tenant = await platform.add_tenant()
        await _whole_path(Env(platform, tenant))


async def _whole_path(env: Env) -> None:
    platform, tenant = env.platform, env.tenant
    await platform.db.execute(
        "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
        " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
        tenant.account_id,
        "+86" + BLOCKED,
    )
    client = env.client
    qid = await qualification(env)
    sig_id = (await call(client, "create_usms_signature", signature_request(SIGN, QualificationId=qid)))[
        "SigId"
    ]
    template_id = (await call(client, "create_usms_template", template_request()))["TemplateId"]
    await env.decide("signature", sig_id, "start")
    await env.decide("signature", sig_id, "approve")
    await env.decide("template", template_id, "approve")
    assert (await call(client, "query_usms_signature", {"SigId": sig_id}))["Data"]["Status"] == 2
    assert (await call(client, "query_usms_template", {"TemplateId": template_id}))["Data"]["Status"] == 2

    sent = await call(
        client,
        "send_usms_message",
        {
            "PhoneNumbers": [BLOCKED, "12345", f"(86){NUMBER}", NUMBER],
            "TemplateId": template_id,
            "TemplateParams": ["246810", "5"],
            "SigContent": SIGN,
            "UserId": "order-9",
        },
    )
    session = sent["SessionNo"]
    assert BLOCKED in sent["Message"] and "12345" in sent["Message"]  # the refused, named
    await platform.run_worker()
    await platform.simulator("/flush", {})

    (data,) = (await call(client, "get_usms_send_receipt", {"SessionNoSet": [session]}))["Data"]
    (receipt,) = data["ReceiptSet"]
    assert (receipt["Phone"], receipt["ReceiptResult"], receipt["UserId"]) == (NUMBER, "发送成功", "order-9")
    assert isinstance(receipt["ReceiptTime"], int) and isinstance(receipt["CostCount"], int)

    zone = ZoneInfo(platform.settings.timezone)
    today = f"{datetime.now(zone):%Y-%m-%d}"
    stats = await call(
        client,
        "get_usms_send_statistics",
        {"Domestic": 1, "StartDate": today, "EndDate": today, "Page": 0, "NumPerPage": 10,
         "OrderBy": "SendDate", "OrderType": "desc"},
    )  # fmt: skip
    totals = stats["StatisticsData"]
    assert (totals["SendCount"], totals["SuccessCount"], totals["SubmitFailCount"]) == (2, 1, 1)
    assert isinstance(stats["Total"], int) and isinstance(stats["Data"][0]["SuccessRate"], float)

    # The same account through Tencent's API 3.0 and Alibaba's door.
    pulled = await tencent(platform, tenant, "PullSmsSendStatus", Limit=100)
    assert [(s.PhoneNumber, s.ReportStatus, s.SessionContext) for s in pulled.PullSmsSendStatusSet] == [
        ("+86" + NUMBER, "SUCCESS", "order-9")
    ]
    details = await asyncio.to_thread(
        tea(platform, tenant).query_send_details,
        models.QuerySendDetailsRequest(
            phone_number=NUMBER, send_date=f"{datetime.now(zone):%Y%m%d}", page_size=10, current_page=1
        ),
    )
    (detail,) = details.body.sms_send_detail_dtos.sms_send_detail_dto
    assert (detail.send_status, detail.out_id) == (3, "order-9")
    assert detail.template_code == f"SMS_{template_id.removeprefix('UTA')}"
