"""Alibaba's signature and template actions, both families, through the unmodified SDKs, on the platform's one
catalog and review (rules S1-S5, T1-T7): apply (a sign with its document, a `${code}` template) -> the
operator decides through the admin API -> Query/Get in Alibaba's numbers and exact JSON types -> the template
sends through Alibaba's SendSms and Tencent's API 3.0 -> reject with a reason -> modify while waiting or
rejected, refused once approved (S3, T5) -> delete -> gone. Another account's items are simply not found."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkdysmsapi.request.v20170525 import (
    AddSmsSignRequest,
    AddSmsTemplateRequest,
    QuerySmsTemplateRequest,
)

from core.store import admin
from tests.flow.alibaba_clients import legacy, legacy_call, tea
from tests.flow.alibaba_types import assert_sdk_types
from tests.flow.harness import Platform, Tenant, running_platform
from tests.flow.images import png_1x1, png_b64

ADMIN_TOKEN = "test-admin-token"
CODE_TEMPLATE = "您的登录验证码为${code}，5分钟内有效，请勿泄露。"
DATE = re.compile(r"20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]")
REASON = "The signature must be your company's name or abbreviation (S4)."


class Env:
    def __init__(self, platform: Platform, tenant: Tenant) -> None:
        self.platform = platform
        self.tenant = tenant

    async def ali(self, action: str, *, v2: bool = False, tenant: Tenant | None = None, **fields: Any) -> Any:
        """An action through the Tea client (ACS3, or RPC HMAC-SHA1 with v2): its response body, envelope
        checked (a business outcome is HTTP 200, spec 4)."""
        request = getattr(models, f"{action}Request")(**fields)
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        client = tea(self.platform, tenant or self.tenant, v2=v2)
        resp = await asyncio.to_thread(getattr(client, method), request)
        assert resp.status_code == 200
        assert re.fullmatch(r"[0-9A-F-]{36}", resp.body.request_id)
        return resp.body

    async def ok(self, action: str, **fields: Any) -> Any:
        body = await self.ali(action, **fields)
        assert (body.code, body.message) == ("OK", "OK"), body.message
        assert_sdk_types(body)
        return body

    async def refused(self, action: str, code: str, **fields: Any) -> str:
        body = await self.ali(action, **fields)
        assert body.code == code, (body.code, body.message)
        assert body.message
        message: str = body.message
        return message

    async def review(self, kind: str, item_id: int, action: str, reason: str = "") -> None:
        """The operator's decision through the admin API (as tests/flow/test_admin_review.py)."""
        async with self.platform.http.post(
            f"{self.platform.api_url}/admin/v1/review/{kind}/{item_id}/{action}",
            json={"reason": reason} if reason else None,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as resp:
            assert resp.status == 200, await resp.text()

    async def item(self, kind: str, item_id: int) -> Any:
        async with self.platform.http.get(
            f"{self.platform.api_url}/admin/v1/review/{kind}/{item_id}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def sign_id(self, name: str) -> int:
        found: int = await self.platform.db.fetchval(
            "SELECT id FROM signatures WHERE account_id = $1 AND name = $2 AND status <> 'deleted'",
            self.tenant.account_id,
            name,
        )
        return found

    async def send_alibaba(self, sign: str, code: str, phone: str, value: str) -> Any:
        return await self.ali(
            "SendSms",
            phone_numbers=phone,
            sign_name=sign,
            template_code=code,
            template_param=json.dumps({"code": value}),
        )

    async def send_tencent(self, sign: str, template: int, phone: str, value: str) -> str:
        resp = await self.platform.send_sms(
            self.tenant, [phone], [value], TemplateId=str(template), SignName=sign
        )
        code: str = resp.SendStatusSet[0].Code
        return code


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, admin_token=ADMIN_TOKEN) as platform:
        yield Env(platform, await platform.add_tenant())


def png_file(request_model: Any, suffix: str = "png", contents: str | None = None) -> Any:
    return request_model(file_contents=png_b64() if contents is None else contents, file_suffix=suffix)


def add_sign_fields(name: str, **overrides: Any) -> dict[str, Any]:
    fields = {"sign_name": name, "sign_source": 0, "remark": "Our company's name",
              "sign_file_list": [png_file(models.AddSmsSignRequestSignFileList)]}  # fmt: skip
    return {**fields, **overrides}


def template_id(code: str) -> int:
    assert re.fullmatch(r"SMS_[0-9]+", code), code
    return int(code.removeprefix("SMS_"))


async def test_add_family_apply_approve_send_through_both_dialects_then_delete(env: Env) -> None:
    """S1, S2, S3, T5; the template keeps `${code}` and sends through Alibaba and Tencent API 3.0 alike."""
    added = await env.ok("AddSmsSign", **add_sign_fields("Acme"))
    assert added.sign_name == "Acme"
    sign_id = await env.sign_id("Acme")
    document = await env.platform.db.fetchval(
        "SELECT d.data FROM signatures s JOIN documents d ON d.id = s.proof_document_id WHERE s.id = $1",
        sign_id,
    )
    assert document == png_1x1()  # the document the operator reviews
    shown = await env.item("signature", sign_id)
    assert [(d["role"], d["content_type"]) for d in shown["documents"]] == [("proof", "image/png")]
    assert (shown["sign_type"], shown["document_type"], shown["remark"]) == (0, 1, "Our company's name")

    added_t = await env.ok(
        "AddSmsTemplate", template_type=0, template_name="Login code", template_content=CODE_TEMPLATE,
        remark="Sent when a user logs in",
    )  # fmt: skip
    code = added_t.template_code
    tid = template_id(code)
    row = await env.platform.db.fetchrow(
        "SELECT content, sms_type, international FROM templates WHERE id = $1", tid
    )
    assert row is not None
    assert (row["content"], row["sms_type"], row["international"]) == (CODE_TEMPLATE, 3, False)

    sign = await env.ok("QuerySmsSign", sign_name="Acme")
    assert (sign.sign_name, sign.sign_status, sign.reason) == ("Acme", 0, "")
    assert DATE.fullmatch(sign.create_date)
    template = await env.ok("QuerySmsTemplate", template_code=code)
    assert (template.template_status, template.template_type, template.reason) == (0, 0, "")
    # Not approved yet: nothing is sent.
    assert (await env.send_alibaba("Acme", code, "13800138000", "1234")).code == "isv.SMS_TEMPLATE_ILLEGAL"

    await env.review("signature", sign_id, "start")
    assert (await env.ok("QuerySmsSign", sign_name="Acme")).sign_status == 0  # under review is still 0
    await env.review("template", tid, "approve")
    assert (await env.send_alibaba("Acme", code, "13800138000", "1234")).code == "isv.SMS_SIGNATURE_ILLEGAL"
    await env.review("signature", sign_id, "approve")
    sign = await env.ok("QuerySmsSign", sign_name="Acme")
    assert (sign.sign_status, sign.reason) == (1, "")
    template = await env.ok("QuerySmsTemplate", template_code=code)
    assert (template.template_code, template.template_name, template.template_content) == (
        code, "Login code", CODE_TEMPLATE,
    )  # fmt: skip
    assert (template.template_status, template.template_type) == (1, 0)
    assert DATE.fullmatch(template.create_date)

    # Approved: no longer modifiable (S3, T5).
    message = await env.refused(
        "ModifySmsTemplate", "isv.INVALID_PARAMETERS", template_code=code, template_type=0,
        template_name="Login code", template_content="新的验证码${code}。",
    )  # fmt: skip
    assert "approved" in message
    assert "approved" in await env.refused(
        "ModifySmsSign", "isv.INVALID_PARAMETERS", **add_sign_fields("Acme")
    )

    sent = await env.send_alibaba("Acme", code, "13800138000", "123456")
    assert sent.code == "OK", sent.message
    assert await env.send_tencent("Acme", tid, "+8613800138001", "654321") == "Ok"
    rows = await env.platform.statuses(env.tenant)
    assert rows["+8613800138000"]["content"] == "【Acme】您的登录验证码为123456，5分钟内有效，请勿泄露。"
    assert rows["+8613800138001"]["content"] == "【Acme】您的登录验证码为654321，5分钟内有效，请勿泄露。"

    deleted = await env.ok("DeleteSmsTemplate", template_code=code)
    assert deleted.template_code == code
    await env.refused("QuerySmsTemplate", "isv.SMS_TEMPLATE_ILLEGAL", template_code=code)
    assert (await env.send_alibaba("Acme", code, "13800138002", "1")).code == "isv.SMS_TEMPLATE_ILLEGAL"
    await env.refused("DeleteSmsTemplate", "isv.SMS_TEMPLATE_ILLEGAL", template_code=code)
    assert (await env.ok("DeleteSmsSign", sign_name="Acme")).sign_name == "Acme"
    await env.refused("QuerySmsSign", "isv.SMS_SIGN_ILLEGAL", sign_name="Acme")
    assert await env.platform.db.fetchval("SELECT status FROM signatures WHERE id = $1", sign_id) == "deleted"


async def test_a_rejection_shows_its_reason_and_a_rejected_or_waiting_item_is_modified(env: Env) -> None:
    """S2, S3, T5 with the RPC signature ("v2"): the reason in QuerySmsSign, QuerySmsTemplate and both lists;
    a modification resubmits (status 0, the reason cleared)."""
    body = await env.ali("AddSmsSign", v2=True, **add_sign_fields("Bright"))
    assert body.code == "OK", body.message
    content = "您的订单${order}已发货，请留意查收。"
    added = await env.ok(
        "AddSmsTemplate", template_type=1, template_name="Shipped", template_content=content, remark="orders"
    )
    code, sign_id = added.template_code, await env.sign_id("Bright")
    tid = template_id(code)
    await env.review("signature", sign_id, "reject", REASON)
    await env.review("template", tid, "reject", "Say which shop the order is from.")

    sign = await env.ok("QuerySmsSign", sign_name="Bright")
    assert (sign.sign_status, sign.reason) == (2, REASON)
    signs = await env.ok("QuerySmsSignList", page_index=1, page_size=50)
    [listed] = [s for s in signs.sms_sign_list if s.sign_name == "Bright"]
    assert (listed.audit_status, listed.order_id, listed.reason.reject_info) == (
        "AUDIT_STATE_NOT_PASS", str(sign_id), REASON,
    )  # fmt: skip
    assert DATE.fullmatch(listed.reason.reject_date)
    [approved] = [s for s in signs.sms_sign_list if s.sign_name != "Bright"]  # the tenant's own
    assert (approved.audit_status, approved.reason.reject_info, approved.reason.reject_date) == (
        "AUDIT_STATE_PASS", "", "",
    )  # fmt: skip
    template = await env.ok("QuerySmsTemplate", template_code=code)
    assert (template.template_status, template.template_type) == (2, 1)
    assert template.reason == "Say which shop the order is from."
    templates = await env.ok("QuerySmsTemplateList", page_size=50)
    [item] = [t for t in templates.sms_template_list if t.template_code == code]
    # TemplateType in Alibaba's internal numbering (0 notification), OuterTemplateType the public one.
    assert (item.audit_status, item.template_type, item.outer_template_type) == ("AUDIT_STATE_NOT_PASS", 0, 1)
    assert item.reason.reject_info == "Say which shop the order is from."

    fixed = "【Bright】您的订单${order}已发货，请留意查收。"
    assert (
        await env.ok(
            "ModifySmsTemplate",
            template_code=code,
            template_type=1,
            template_name="Shipped",
            template_content=fixed,
        )
    ).template_code == code
    template = await env.ok("QuerySmsTemplate", template_code=code)
    assert (template.template_status, template.reason, template.template_content) == (0, "", fixed)
    # Waiting again: modified once more (still allowed), then approved.
    await env.ok(
        "ModifySmsTemplate",
        template_code=code,
        template_type=1,
        template_name="Shipped2",
        template_content=fixed,
    )
    assert (await env.ok("QuerySmsTemplate", template_code=code)).template_name == "Shipped2"

    modified = await env.ok("ModifySmsSign", **add_sign_fields("Bright", remark="Bright Ltd, our company"))
    assert modified.sign_name == "Bright"
    sign = await env.ok("QuerySmsSign", sign_name="Bright")
    assert (sign.sign_status, sign.reason) == (0, "")
    remark = await env.platform.db.fetchval("SELECT remark FROM signatures WHERE id = $1", sign_id)
    assert remark == "Bright Ltd, our company"


async def test_newer_family_create_get_update_with_exact_types(env: Env) -> None:
    """CreateSmsSign (QualificationId accepted and kept, unchecked: no qualification objects yet) and
    CreateSmsTemplate -> approval -> GetSmsSign / GetSmsTemplate / GetSmsTemplateList in the SDK's types
    (GetSmsTemplate's TemplateType and TemplateStatus are strings) -> sends -> reject -> Update -> delete."""
    created = await env.ok(
        "CreateSmsSign", sign_name="Acme", sign_source=0, qualification_id=42, remark="Our company", sign_type=1,
    )  # fmt: skip
    sign_id = await env.sign_id("Acme")
    assert (created.sign_name, created.order_id) == ("Acme", str(sign_id))
    got = await env.ok("GetSmsSign", sign_name="Acme")
    assert (got.sign_status, got.qualification_id, got.third_party, got.remark) == (
        0,
        42,
        False,
        "Our company",
    )
    assert (got.audit_info.audit_date, got.audit_info.reject_info, got.order_id) == ("", "", str(sign_id))

    created_t = await env.ok(
        "CreateSmsTemplate", template_type=0, template_name="Login", template_content=CODE_TEMPLATE,
        related_sign_name="Acme", remark="log in",
    )  # fmt: skip
    code = created_t.template_code
    tid = template_id(code)
    assert (created_t.template_name, created_t.order_id) == ("Login", str(tid))
    got_t = await env.ok("GetSmsTemplate", template_code=code)
    assert (got_t.template_type, got_t.template_status, got_t.template_tag, got_t.intl_type) == (
        "0",
        "0",
        2,
        0,
    )
    assert (got_t.template_content, got_t.remark) == (CODE_TEMPLATE, "log in")

    await env.review("signature", sign_id, "approve")
    await env.review("template", tid, "approve")
    got = await env.ok("GetSmsSign", sign_name="Acme")
    assert got.sign_status == 1 and DATE.fullmatch(got.audit_info.audit_date)
    got_t = await env.ok("GetSmsTemplate", template_code=code)
    assert got_t.template_status == "1" and DATE.fullmatch(got_t.audit_info.audit_date)
    listed = await env.ok("GetSmsTemplateList", template_code=code)
    assert listed.success is True
    assert_sdk_types(listed.data)
    [item] = listed.data.list
    assert (item.template_code, item.audit_status, item.template_type, listed.data.total) == (code, 1, 0, 1)
    assert "approved" in await env.refused(
        "UpdateSmsTemplate", "isv.INVALID_PARAMETERS", template_code=code, template_type=0,
        template_name="Login", template_content=CODE_TEMPLATE,
    )  # fmt: skip

    assert (await env.send_alibaba("Acme", code, "13800138000", "2468")).code == "OK"
    assert await env.send_tencent("Acme", tid, "+8613800138001", "1357") == "Ok"

    # The reject path of this family.
    other = await env.ok(
        "CreateSmsTemplate",
        template_type=3,
        intl_type=2,
        template_name="Intl",
        template_content="Code ${code}.",
    )
    other_id = template_id(other.template_code)
    await env.review("template", other_id, "reject", "Too short.")
    got_t = await env.ok("GetSmsTemplate", template_code=other.template_code)
    assert (got_t.template_status, got_t.audit_info.reject_info, got_t.template_type, got_t.intl_type) == (
        "2", "Too short.", "3", 2,
    )  # fmt: skip
    updated = await env.ok(
        "UpdateSmsTemplate", template_code=other.template_code, template_type=3, intl_type=2,
        template_name="Intl code", template_content="Your code is ${code}.",
    )  # fmt: skip
    assert (updated.template_code, updated.template_name) == (other.template_code, "Intl code")
    got_t = await env.ok("GetSmsTemplate", template_code=other.template_code)
    assert (got_t.template_status, got_t.audit_info.reject_info) == ("0", "")
    row = await env.platform.db.fetchrow(
        "SELECT sms_type, international FROM templates WHERE id = $1", other_id
    )
    assert row is not None
    assert (row["sms_type"], row["international"]) == (3, True)

    await env.ok("CreateSmsSign", sign_name="Beta", sign_source=5, qualification_id=7)
    beta = await env.sign_id("Beta")
    shown = await env.item("signature", beta)  # what the operator reviews: the qualification it names
    assert (shown["qualification_id"], shown["documents"], shown["sign_type"]) == (7, [], 4)
    await env.review("signature", beta, "reject", REASON)
    assert (await env.ok("GetSmsSign", sign_name="Beta")).audit_info.reject_info == REASON
    await env.ok("UpdateSmsSign", sign_name="Beta", sign_source=5, qualification_id=8)
    got = await env.ok("GetSmsSign", sign_name="Beta")
    assert (got.sign_status, got.qualification_id) == (0, 8)
    proof = "SELECT proof_document_id FROM signatures WHERE id = $1"
    assert await env.platform.db.fetchval(proof, beta) is None  # the qualification's documents, none sent
    # A signature applied for with its file, then updated with a qualification: the file it sent stays.
    await env.ok("AddSmsSign", **add_sign_fields("Gamma"))
    gamma = await env.sign_id("Gamma")
    sent = await env.platform.db.fetchval(proof, gamma)
    assert sent is not None
    await env.ok("UpdateSmsSign", sign_name="Gamma", sign_source=0, qualification_id=9)
    assert await env.platform.db.fetchval(proof, gamma) == sent
    assert (await env.ok("GetSmsSign", sign_name="Gamma")).qualification_id == 9

    await env.ok("DeleteSmsTemplate", template_code=code)
    await env.refused("GetSmsTemplate", "isv.SMS_TEMPLATE_ILLEGAL", template_code=code)
    assert (await env.ok("GetSmsTemplateList", template_code=code)).data.list == []
    await env.ok("DeleteSmsSign", sign_name="Beta")
    await env.refused("GetSmsSign", "isv.SMS_SIGN_ILLEGAL", sign_name="Beta")


async def test_the_legacy_client_adds_a_sign_with_its_file_and_a_template(env: Env) -> None:
    """aliyun-python-sdk-core: AddSmsSign's files flattened as SignFileList.1.*, AddSmsTemplate and
    QuerySmsTemplate; the raw JSON in the SDK's types."""
    client = legacy(env.platform, env.tenant)
    sign = AddSmsSignRequest.AddSmsSignRequest()
    sign.set_SignName("Legacy")
    sign.set_SignSource(0)
    sign.set_Remark("Our company")
    sign.set_SignFileLists([{"FileContents": png_b64(), "FileSuffix": "png"}])
    answer = await asyncio.to_thread(legacy_call, env.platform, client, sign)
    assert (answer["Code"], answer["SignName"]) == ("OK", "Legacy")
    document = await env.platform.db.fetchval(
        "SELECT d.data FROM signatures s JOIN documents d ON d.id = s.proof_document_id WHERE s.name = 'Legacy'"
    )
    assert document == png_1x1()

    add = AddSmsTemplateRequest.AddSmsTemplateRequest()
    add.set_TemplateType(0)
    add.set_TemplateName("Legacy code")
    add.set_TemplateContent(CODE_TEMPLATE)
    add.set_Remark("log in")
    answer = await asyncio.to_thread(legacy_call, env.platform, client, add)
    assert answer["Code"] == "OK"
    code = answer["TemplateCode"]
    query = QuerySmsTemplateRequest.QuerySmsTemplateRequest()
    query.set_TemplateCode(code)
    answer = await asyncio.to_thread(legacy_call, env.platform, client, query)
    assert {k: v for k, v in answer.items() if k not in ("RequestId", "CreateDate")} == {
        "Code": "OK", "Message": "OK", "TemplateCode": code, "TemplateName": "Legacy code",
        "TemplateContent": CODE_TEMPLATE, "TemplateType": 0, "TemplateStatus": 0, "Reason": "",
    }  # fmt: skip
    assert DATE.fullmatch(answer["CreateDate"])


async def test_lists_page_by_at_most_50_on_both_sides_of_50(env: Env) -> None:
    account = env.tenant.account_id
    for i in range(50):  # the tenant has 1 signature and 2 templates already
        await admin.create_signature(env.platform.db, account_id=account, name=f"Sign{i}", international=False,
                                     approve=False)  # fmt: skip
    for i in range(49):
        await env.platform.add_template(account, f"Template {i}: code {{1}}.", approve=False)
    signs = await env.ok("QuerySmsSignList", page_index=1, page_size=50)
    assert (len(signs.sms_sign_list), signs.total_count, signs.current_page, signs.page_size) == (
        50,
        51,
        1,
        50,
    )
    signs = await env.ok("QuerySmsSignList", page_index=2, page_size=50)
    assert (len(signs.sms_sign_list), signs.sms_sign_list[0].sign_name, signs.current_page) == (
        1,
        "Sign49",
        2,
    )
    default = await env.ok("QuerySmsSignList")
    assert (len(default.sms_sign_list), default.page_size, default.current_page) == (10, 10, 1)

    templates = await env.ok("QuerySmsTemplateList", page_index=1, page_size=50)
    assert (len(templates.sms_template_list), templates.total_count) == (50, 51)
    assert len((await env.ok("QuerySmsTemplateList", page_index=2, page_size=50)).sms_template_list) == 1
    assert len((await env.ok("QuerySmsTemplateList", page_index=3, page_size=50)).sms_template_list) == 0
    listed = await env.ok("GetSmsTemplateList", page_index=2, page_size=49)
    assert (len(listed.data.list), listed.data.total, listed.data.page_no) == (2, 51, 2)

    for action in ("QuerySmsSignList", "QuerySmsTemplateList", "GetSmsTemplateList"):
        for size in (0, 51):
            await env.refused(action, "isv.INVALID_PARAMETERS", page_index=1, page_size=size)
        await env.refused(action, "isv.INVALID_PARAMETERS", page_index=0, page_size=10)


async def test_another_tenants_signs_and_templates_are_simply_not_found(env: Env) -> None:
    other = await env.platform.add_tenant(name="Other")
    body = await env.ali("AddSmsSign", tenant=other, **add_sign_fields("Rival"))
    assert body.code == "OK"
    theirs = f"SMS_{other.template_id}"
    for action in ("QuerySmsSign", "GetSmsSign", "DeleteSmsSign"):
        await env.refused(action, "isv.SMS_SIGN_ILLEGAL", sign_name="Rival")
    await env.refused("ModifySmsSign", "isv.SMS_SIGN_ILLEGAL", **add_sign_fields("Rival"))
    await env.refused(
        "UpdateSmsSign", "isv.SMS_SIGN_ILLEGAL", sign_name="Rival", sign_source=0, qualification_id=1
    )
    for action in ("QuerySmsTemplate", "GetSmsTemplate", "DeleteSmsTemplate"):
        await env.refused(action, "isv.SMS_TEMPLATE_ILLEGAL", template_code=theirs)
    for action in ("ModifySmsTemplate", "UpdateSmsTemplate"):
        await env.refused(
            action, "isv.SMS_TEMPLATE_ILLEGAL", template_code=theirs, template_type=1, template_name="x",
            template_content="Hello ${name}.",
        )  # fmt: skip
    for code in ("SMS_999999999", "SMS_", "123", "SMS_1x"):
        await env.refused("QuerySmsTemplate", "isv.SMS_TEMPLATE_ILLEGAL", template_code=code)
    assert (await env.ok("GetSmsTemplateList", template_code=theirs)).data.list == []
    listed = await env.ok("QuerySmsSignList", page_size=50)
    assert "Rival" not in {s.sign_name for s in listed.sms_sign_list}
    codes = {t.template_code for t in (await env.ok("QuerySmsTemplateList", page_size=50)).sms_template_list}
    assert theirs not in codes and f"SMS_{env.tenant.template_id}" in codes
    statuses = await env.platform.db.fetch(
        "SELECT status FROM templates WHERE account_id = $1 UNION ALL "
        "SELECT status FROM signatures WHERE account_id = $1",
        other.account_id,
    )
    assert "deleted" not in {r["status"] for r in statuses}


async def refused_400(env: Env, action: str, code: str, **fields: Any) -> None:
    with pytest.raises(ClientException) as err:
        await env.ali(action, **fields)
    assert (err.value.code, err.value.status_code) == (code, 400)


async def test_bad_input_is_refused_in_alibabas_codes_and_nothing_is_written(env: Env) -> None:
    template = {"template_type": 0, "template_name": "T", "template_content": CODE_TEMPLATE}
    for bad_type in (4, 5, 99, -1):
        await env.refused(
            "AddSmsTemplate", "isv.INVALID_PARAMETERS", **{**template, "template_type": bad_type}
        )
        await env.refused(
            "CreateSmsTemplate", "isv.INVALID_PARAMETERS", **{**template, "template_type": bad_type}
        )
    await env.refused(
        "CreateSmsTemplate", "isv.INVALID_PARAMETERS", **{**template, "template_type": 3, "intl_type": 3}
    )
    # A bad IntlType is refused even beside a domestic TemplateType, where it would not be used.
    await env.refused(
        "CreateSmsTemplate", "isv.INVALID_PARAMETERS", **{**template, "template_type": 0, "intl_type": 9}
    )
    await refused_400(
        env, "AddSmsTemplate", "MissingTemplateType", template_name="T", template_content="Hi ${a}."
    )
    await refused_400(env, "AddSmsTemplate", "MissingTemplateContent", template_type=1, template_name="T")
    await refused_400(
        env, "CreateSmsTemplate", "MissingTemplateName", template_type=1, template_content="Hi ${a}."
    )
    await env.refused("AddSmsTemplate", "isv.INVALID_PARAMETERS", **template, remark="r" * 501)
    await env.refused(
        "AddSmsTemplate", "isv.PARAM_LENGTH_LIMIT", **{**template, "template_content": "x" * 501}
    )
    await env.refused(
        "AddSmsTemplate", "isv.INVALID_PARAMETERS", **{**template, "template_content": "${a} and {1}"}
    )
    # Promotional without an unsubscribe instruction (T3); banned words stay the operator's list (T6).
    await env.refused("AddSmsTemplate", "isv.INVALID_PARAMETERS", **{**template, "template_type": 2,
                                                                       "template_content": "Sale today, ${name}!"})  # fmt: skip
    await env.refused("CreateSmsTemplate", "isv.INVALID_JSON_PARAM", **template, template_rule="{not json")
    await env.refused("CreateSmsTemplate", "isv.INVALID_PARAMETERS", **template, more_data=["oss://a.png"])

    await refused_400(env, "AddSmsSign", "MissingSignName", sign_source=0,
                      sign_file_list=[png_file(models.AddSmsSignRequestSignFileList)])  # fmt: skip
    await refused_400(env, "AddSmsSign", "MissingSignFileList", sign_name="Acme", sign_source=0)
    await refused_400(env, "CreateSmsSign", "MissingQualificationId", sign_name="Acme", sign_source=0)
    await refused_400(env, "AddSmsSign", "MissingSignSource", **{k: v for k, v in add_sign_fields("Acme").items()
                                                                  if k != "sign_source"})  # fmt: skip
    await env.refused("AddSmsSign", "isv.INVALID_PARAMETERS", **add_sign_fields("Acme", remark="r" * 201))
    await env.ok("AddSmsSign", **add_sign_fields("Fine", remark="r" * 200))  # the boundary is allowed
    bad_files = [
        [png_file(models.AddSmsSignRequestSignFileList, suffix="pdf")],
        [png_file(models.AddSmsSignRequestSignFileList, contents=base64.b64encode(b"not an image").decode())],
        [png_file(models.AddSmsSignRequestSignFileList, contents="@@@")],
        [png_file(models.AddSmsSignRequestSignFileList)] * 3,
    ]
    for files in bad_files:
        await env.refused(
            "AddSmsSign", "isv.INVALID_PARAMETERS", **add_sign_fields("Acme", sign_file_list=files)
        )
    for source in (4, 6, -1):
        await env.refused(
            "AddSmsSign", "isv.INVALID_PARAMETERS", **add_sign_fields("Acme", sign_source=source)
        )
    await env.refused("AddSmsSign", "isv.INVALID_PARAMETERS", **add_sign_fields("Acme", sign_type=2))
    await env.refused("AddSmsSign", "isv.SMS_SIGNATURE_ILLEGAL", **add_sign_fields("A"))  # S4: too short
    for qualification in (0, -3):
        await env.refused("CreateSmsSign", "isv.INVALID_PARAMETERS", sign_name="Acme", sign_source=0,
                          qualification_id=qualification)  # fmt: skip
    await env.refused(
        "CreateSmsSign", "isv.INVALID_PARAMETERS", sign_name="Acme", sign_source=1, qualification_id=1
    )
    # On behalf of a third party needs the authorization letter, which CreateSmsSign cannot carry (S1).
    await env.refused("CreateSmsSign", "isv.INVALID_PARAMETERS", sign_name="Acme", sign_source=0,
                      qualification_id=1, third_party=True)  # fmt: skip
    counts = await env.platform.db.fetchrow(
        "SELECT (SELECT count(*) FROM signatures WHERE account_id = $1) AS signs,"
        " (SELECT count(*) FROM templates WHERE account_id = $1) AS templates",
        env.tenant.account_id,
    )
    assert counts is not None
    assert (counts["signs"], counts["templates"]) == (2, 2)  # the tenant's own, and "Fine"


async def test_an_individual_account_may_not_submit_promotional_templates(env: Env) -> None:
    person = await env.platform.add_tenant(kind="individual", name="Person")
    content = "周末全场八折，${name}快来！回复TD退订"
    body = await env.ali(
        "AddSmsTemplate", tenant=person, template_type=2, template_name="Sale", template_content=content
    )
    assert body.code == "isv.SMS_TEMPLATE_ILLEGAL", body.message
    added = await env.ok("AddSmsTemplate", template_type=2, template_name="Sale", template_content=content)
    row = await env.platform.db.fetchrow(
        "SELECT sms_type, international FROM templates WHERE id = $1", template_id(added.template_code)
    )
    assert row is not None
    assert (row["sms_type"], row["international"]) == (1, False)
    assert (await env.ok("QuerySmsTemplate", template_code=added.template_code)).template_type == 2
