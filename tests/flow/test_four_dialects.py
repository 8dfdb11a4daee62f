"""One account, four dialects at once (issue 16): Tencent API 3.0, Tencent's legacy v5, Alibaba and UCloud
send against the same catalog, the same per-number limits and the same records. A number limited by sends
through one dialect is refused through the others (L1: the same content once per 30 s, 2 messages a day), and
the messages sent through one are seen through the others."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525 import models
from qcloudsms_py import SmsSingleSender

from tests.flow.alibaba_clients import tea
from tests.flow.harness import SIGN, running_platform
from tests.flow.test_legacy_v5 import StdlibJsonClient, url
from tests.flow.test_reports_out import call
from tests.flow.test_ucloud_send import call as ucloud_call
from tests.flow.test_ucloud_send import send_request, usms

NUMBER = "13800138000"


async def test_a_number_limited_through_one_dialect_is_refused_through_the_others(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()

        def alibaba(code: str) -> models.SendSmsRequest:
            return models.SendSmsRequest(
                phone_numbers=NUMBER, sign_name=SIGN, template_code=f"SMS_{tenant.template_id}",
                template_param=json.dumps({"1": code, "2": "5"}),
            )  # fmt: skip

        # 1. Tencent API 3.0: the number's first message today.
        first = await platform.send_sms(tenant, ["+86" + NUMBER], ["1111", "5"])
        assert first.SendStatusSet[0].Code == "Ok"
        # 2. Alibaba, the same content within 30 s: refused by the limit Tencent's send counted.
        same = await asyncio.to_thread(tea(platform, tenant).send_sms, alibaba("1111"))
        assert same.body.code == "isv.BUSINESS_LIMIT_CONTROL"
        # 3. UCloud, other content: the second message today, accepted.
        second = await ucloud_call(
            usms(platform, tenant), "send_usms_message", send_request(tenant, [NUMBER], "2222")
        )
        session = second["SessionNo"]
        # 4. The legacy v5 API: a third message today is over the daily limit of 2 (1025).
        single = SmsSingleSender(int(tenant.sdk_app_id), tenant.app_key, httpclient=StdlibJsonClient())
        third = await asyncio.to_thread(
            single.send_with_param, 86, NUMBER, tenant.template_id, ["3333", "5"], sign=SIGN,
            url=url(platform, "sendsms"),
        )  # fmt: skip
        assert third["result"] == 1025
        # 5. And Alibaba, other content: over the same daily limit.
        daily = await asyncio.to_thread(tea(platform, tenant).send_sms, alibaba("4444"))
        assert daily.body.code == "isv.BUSINESS_LIMIT_CONTROL"

        # Two messages in all, one account: each dialect sees both.
        await platform.run_worker()
        await platform.simulator("/flush", {})
        pulled = await call(platform, tenant, "PullSmsSendStatus", Limit=100)
        assert sorted(s.ReportStatus for s in pulled.PullSmsSendStatusSet) == ["SUCCESS", "SUCCESS"]
        day = f"{datetime.now(ZoneInfo(platform.settings.timezone)):%Y%m%d}"
        details = await asyncio.to_thread(
            tea(platform, tenant).query_send_details,
            models.QuerySendDetailsRequest(phone_number=NUMBER, send_date=day, page_size=10, current_page=1),
        )
        assert details.body.total_count == "2"
        contents = {d.content for d in details.body.sms_send_detail_dtos.sms_send_detail_dto}
        assert contents == {
            f"【{SIGN}】Your code is 1**1, valid for * minutes.",
            f"【{SIGN}】Your code is 2**2, valid for * minutes.",
        }
        receipts = await ucloud_call(
            usms(platform, tenant), "get_usms_send_receipt", {"SessionNoSet": [session]}
        )
        assert [r["ReceiptResult"] for r in receipts["Data"][0]["ReceiptSet"]] == ["发送成功"]
        # Both in the one account's usage, which its daily deduction bills from its one balance.
        used = await platform.db.fetchrow(
            "SELECT sum(messages) AS messages, sum(parts) AS parts FROM usage_daily WHERE account_id = $1",
            tenant.account_id,
        )
        assert (used["messages"], used["parts"]) == (2, 2)
