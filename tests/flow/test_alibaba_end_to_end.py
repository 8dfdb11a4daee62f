"""Issue 15 done: the unmodified Alibaba SDKs (Tea with ACS3, Tea with "v2" RPC signatures, the legacy
aliyun-python-sdk-dysmsapi) drive the whole path: a signature and a `${code}` template applied → an operator
approves them → SendSms to three numbers (one unsubscribed, one invalid, one given twice) → delivered →
QuerySendDetails → the receipt pushed to a test receiver in Alibaba's SmsReport format with its exact types →
QuerySendStatistics; and the same messages are seen through Tencent's PullSmsSendStatus and statistics for the
same account (rules B1, B2, D1, D2, S1, T1)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alibabacloud_dysmsapi20170525 import models
from aliyunsdkdysmsapi.request.v20170525 import (
    AddSmsSignRequest,
    AddSmsTemplateRequest,
    QuerySendDetailsRequest,
    QuerySendStatisticsRequest,
    QuerySmsSignRequest,
    QuerySmsTemplateRequest,
    SendSmsRequest,
)

from tests.flow.alibaba_clients import legacy, legacy_call, tea
from tests.flow.harness import Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.flow.test_alibaba_push import ACK, array_in
from tests.flow.test_callbacks import ADMIN, Clock, deliver_everything, put_callbacks, receiver, reply_with
from tests.flow.test_reports_out import call, hour

SIGN = "阿里测试"
CONTENT = "您的验证码为${code}，5分钟内有效，请勿泄露。"
NUMBER = "13800138000"
BLOCKED = "13900139001"


class Client:
    """One SDK flavour, its answers as plain dicts in Alibaba's field names."""

    def __init__(self, platform: Platform, tenant: Tenant, flavour: str) -> None:
        self.platform, self.tenant, self.flavour = platform, tenant, flavour

    async def _tea(self, method: str, request: Any) -> dict[str, Any]:
        client = tea(self.platform, self.tenant, v2=self.flavour == "tea-v2")
        response = await asyncio.to_thread(getattr(client, method), request)
        assert response.status_code == 200
        body: dict[str, Any] = response.body.to_map()
        return body

    async def _legacy(self, request: Any, **fields: Any) -> dict[str, Any]:
        for name, value in fields.items():
            getattr(request, f"set_{name}")(value)
        client = legacy(self.platform, self.tenant)
        return await asyncio.to_thread(legacy_call, self.platform, client, request)

    async def add_sign(self) -> dict[str, Any]:
        files = [{"FileContents": png_b64(), "FileSuffix": "png"}]
        if self.flavour == "legacy":
            return await self._legacy(
                AddSmsSignRequest.AddSmsSignRequest(), SignName=SIGN, SignSource=0, Remark="our company",
                SignFileLists=files,
            )  # fmt: skip
        request = models.AddSmsSignRequest(
            sign_name=SIGN,
            sign_source=0,
            remark="our company",
            sign_file_list=[
                models.AddSmsSignRequestSignFileList(
                    file_contents=f["FileContents"], file_suffix=f["FileSuffix"]
                )
                for f in files
            ],
        )
        return await self._tea("add_sms_sign", request)

    async def add_template(self) -> dict[str, Any]:
        fields = {
            "TemplateType": 0,
            "TemplateName": "Login code",
            "TemplateContent": CONTENT,
            "Remark": "login",
        }
        if self.flavour == "legacy":
            return await self._legacy(AddSmsTemplateRequest.AddSmsTemplateRequest(), **fields)
        return await self._tea(
            "add_sms_template",
            models.AddSmsTemplateRequest(
                template_type=0, template_name="Login code", template_content=CONTENT, remark="login"
            ),
        )

    async def sign_status(self) -> dict[str, Any]:
        if self.flavour == "legacy":
            return await self._legacy(QuerySmsSignRequest.QuerySmsSignRequest(), SignName=SIGN)
        return await self._tea("query_sms_sign", models.QuerySmsSignRequest(sign_name=SIGN))

    async def template_status(self, code: str) -> dict[str, Any]:
        if self.flavour == "legacy":
            return await self._legacy(QuerySmsTemplateRequest.QuerySmsTemplateRequest(), TemplateCode=code)
        return await self._tea("query_sms_template", models.QuerySmsTemplateRequest(template_code=code))

    async def send(self, phones: str, code: str) -> dict[str, Any]:
        fields = {
            "PhoneNumbers": phones, "SignName": SIGN, "TemplateCode": code,
            "TemplateParam": json.dumps({"code": "246810"}), "OutId": "order-7",
        }  # fmt: skip
        if self.flavour == "legacy":
            return await self._legacy(SendSmsRequest.SendSmsRequest(), **fields)
        request = models.SendSmsRequest(
            phone_numbers=phones,
            sign_name=SIGN,
            template_code=code,
            template_param=fields["TemplateParam"],
            out_id="order-7",
        )
        return await self._tea("send_sms", request)

    async def details(self, day: str, biz_id: str) -> dict[str, Any]:
        fields = {"PhoneNumber": NUMBER, "SendDate": day, "PageSize": 10, "CurrentPage": 1, "BizId": biz_id}
        if self.flavour == "legacy":
            return await self._legacy(QuerySendDetailsRequest.QuerySendDetailsRequest(), **fields)
        request = models.QuerySendDetailsRequest(
            phone_number=NUMBER, send_date=day, page_size=10, current_page=1, biz_id=biz_id
        )
        return await self._tea("query_send_details", request)

    async def statistics(self, day: str) -> dict[str, Any]:
        fields = {"IsGlobe": 1, "StartDate": day, "EndDate": day, "PageIndex": 1, "PageSize": 10}
        if self.flavour == "legacy":
            return await self._legacy(QuerySendStatisticsRequest.QuerySendStatisticsRequest(), **fields)
        request = models.QuerySendStatisticsRequest(
            is_globe=1, start_date=day, end_date=day, page_index=1, page_size=10
        )
        return await self._tea("query_send_statistics", request)


async def approve_everything(platform: Platform) -> list[str]:
    """The operator takes each waiting item through review: start, then approve."""
    async with platform.http.get(platform.api_url + "/admin/v1/review/queue", headers=ADMIN) as resp:
        assert resp.status == 200
        items = (await resp.json())["items"]
    for item in items:
        for step in ("start", "approve"):
            url = f"{platform.api_url}/admin/v1/review/{item['kind']}/{item['id']}/{step}"
            async with platform.http.post(url, headers=ADMIN, json={"reply": "ok"}) as resp:
                assert resp.status == 200, await resp.text()
    return sorted(item["kind"] for item in items)


@pytest.mark.parametrize("flavour", ["tea", "tea-v2", "legacy"])
async def test_apply_approve_send_deliver_query_push_and_the_tencent_view(
    database_url: str, redis_url: str, flavour: str
) -> None:
    clock = Clock()
    async with receiver() as rx, running_platform(database_url, redis_url) as platform:
        rx.default = reply_with(200, ACK)
        tenant = await platform.add_tenant()
        client = Client(platform, tenant, flavour)
        await platform.db.execute(
            "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
            " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
            tenant.account_id,
            "+86" + BLOCKED,
        )
        status, _ = await put_callbacks(
            platform, tenant.sdk_app_id, {"status_url": rx.url + "/report", "format": "alibaba"}
        )
        assert status == 200

        # Apply; the operator reviews; both approved (S1, T1).
        applied = await client.add_sign()
        assert (applied["Code"], applied["SignName"]) == ("OK", SIGN), applied
        template = await client.add_template()
        assert template["Code"] == "OK", template
        code = template["TemplateCode"]
        assert re.fullmatch(r"SMS_[0-9]+", code)
        assert (await client.sign_status())["SignStatus"] == 0  # under review: not sendable yet
        refused = await client.send(NUMBER, code)
        assert refused["Code"] in ("isv.SMS_SIGNATURE_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL")
        assert await approve_everything(platform) == ["signature", "template"]
        assert (await client.sign_status())["SignStatus"] == 1
        approved = await client.template_status(code)
        assert (approved["TemplateStatus"], approved["TemplateContent"]) == (1, CONTENT)

        # Three numbers: unsubscribed, invalid, and one number written twice (B1, D1, D2).
        sent = await client.send(f"{BLOCKED},12345,{NUMBER},+86{NUMBER}", code)
        assert sent["Code"] == "OK", sent
        biz_id = sent["BizId"]
        assert re.fullmatch(r"[0-9]+\^0", biz_id)
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await deliver_everything(platform, clock)

        zone = ZoneInfo(platform.settings.timezone)
        day = f"{datetime.now(zone):%Y%m%d}"
        found = await client.details(day, biz_id)
        assert found["TotalCount"] == "1"
        (detail,) = found["SmsSendDetailDTOs"]["SmsSendDetailDTO"]
        assert (detail["SendStatus"], detail["ErrCode"], detail["OutId"]) == (3, "DELIVERED", "order-7")
        assert (detail["PhoneNum"], detail["TemplateCode"]) == (NUMBER, code)

        # The receipt, pushed once in Alibaba's batch format with its exact JSON types.
        (push,) = [r for r in rx.requests if r.path == "/report"]
        (report,) = array_in(push)
        assert report["success"] is True
        assert (report["phone_number"], report["biz_id"], report["out_id"]) == (NUMBER, biz_id, "order-7")
        assert (report["err_code"], report["sms_size"]) == ("DELIVERED", "1")
        assert all(isinstance(report[k], str) for k in report if k != "success")

        stats = await client.statistics(day)
        (target,) = stats["Data"]["TargetList"]
        assert (target["SendDate"], target["TotalCount"], target["RespondedSuccessCount"]) == (day, 1, 1)
        assert (target["RespondedFailCount"], target["NoRespondedCount"]) == (0, 0)

        # The same account through Tencent's API 3.0: the message, and the statistics (3 numbers asked, 1 sent).
        pulled = await call(platform, tenant, "PullSmsSendStatus", Limit=100)
        assert [(s.PhoneNumber, s.ReportStatus, s.SessionContext) for s in pulled.PullSmsSendStatusSet] == [
            ("+86" + NUMBER, "SUCCESS", "order-7")
        ]
        now = int(time.time())
        span = {"BeginTime": hour(now - 3600), "EndTime": hour(now), "Limit": 0, "Offset": 0}
        tencent = (await call(platform, tenant, "SendStatusStatistics", **span)).SendStatusStatistics
        assert (tencent.RequestSuccessCount, tencent.FeeCount) == (1, 1)
