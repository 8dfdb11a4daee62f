"""Alibaba's SendSms and SendBatchSms end to end through the unmodified SDKs (Tea with ACS3 and with "v2",
the legacy AcsClient): the platform's send path (blocklist, number rules, dedupe, templates by name or by
position), up to 1,000 numbers in batches of <= 200, one BizId per request, and each refusal in Alibaba's
codes (issue 15)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkdysmsapi.request.v20170525 import SendBatchSmsRequest, SendSmsRequest

from core.domain.serial import parse_biz_id
from core.store import admin
from tests.flow.alibaba_clients import legacy, legacy_call, tea
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.test_admin_review import ADMIN_TOKEN, AUTH
from tests.keyring import KEYRING

BLOCKED = "13900139001"
NAMED = "验证码${code}，${minutes}分钟内有效，请勿泄露${code}"


async def tea_send(platform: Platform, tenant: Tenant, *, v2: bool = False, **fields: Any) -> Any:
    request = models.SendSmsRequest(sign_name=SIGN, template_code=f"SMS_{tenant.template_id}", **fields)
    return await asyncio.to_thread(tea(platform, tenant, v2=v2).send_sms, request)


async def block(platform: Platform, tenant: Tenant, phone: str) -> None:
    await platform.db.execute(
        "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
        " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
        tenant.account_id,
        phone,
    )


async def test_send_sms_with_a_blocked_an_invalid_and_a_duplicate_number(
    database_url: str, redis_url: str
) -> None:
    """B1, D1, D2 through Alibaba: one message for the two spellings of one number, none for the blocked and
    the invalid ones (listed in the answer's RefusedNumbers extension), one BizId, delivered by the worker."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await block(platform, tenant, "+86" + BLOCKED)
        resp = await tea_send(
            platform,
            tenant,
            phone_numbers=f"13800138000,{BLOCKED},12345,+8613800138000",
            template_param=json.dumps({"1": "1234", "2": "5"}),
            out_id="order-42",
        )
        assert resp.status_code == 200
        assert (resp.body.code, resp.body.message) == ("OK", "OK")
        request_no = parse_biz_id(resp.body.biz_id)
        assert request_no is not None
        rows = await platform.statuses(tenant)
        assert list(rows) == ["+8613800138000"]
        row = rows["+8613800138000"]
        assert row["request_no"] == request_no
        assert row["session_context"] == "order-42"
        assert row["content"] == f"【{SIGN}】Your code is 1234, valid for 5 minutes."
        await platform.run_worker()
        assert (await platform.statuses(tenant))["+8613800138000"]["status"] in ("sent", "delivered")


async def test_refused_numbers_are_listed_in_the_raw_answer(database_url: str, redis_url: str) -> None:
    """The legacy client returns the raw body: the platform's RefusedNumbers extension names each refusal."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await block(platform, tenant, "+86" + BLOCKED)
        request = SendSmsRequest.SendSmsRequest()
        request.set_PhoneNumbers(f"8613800138000,{BLOCKED},12345")
        request.set_SignName(SIGN)
        request.set_TemplateCode(f"SMS_{tenant.template_id}")
        request.set_TemplateParam(json.dumps({"1": "1234", "2": "5"}))
        answer = await asyncio.to_thread(legacy_call, platform, legacy(platform, tenant), request)
        assert answer["Code"] == "OK"
        assert re.fullmatch(r"[0-9]+\^0", answer["BizId"])
        assert answer["RefusedNumbers"] == [
            {"PhoneNumber": "+86" + BLOCKED, "Code": "isv.BLACK_KEY_CONTROL_LIMIT"},
            {"PhoneNumber": "12345", "Code": "isv.MOBILE_NUMBER_ILLEGAL"},
        ]


async def test_named_template_values_with_the_rpc_signature(database_url: str, redis_url: str) -> None:
    """A ${name} template takes TemplateParam by name (a repeated name once); "v2" signs with HMAC-SHA1."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        named = await platform.add_template(tenant.account_id, NAMED, sms_type=3)
        request = models.SendSmsRequest(
            phone_numbers="0086 13800138000".replace(" ", ""),
            sign_name=SIGN,
            template_code=f"SMS_{named}",
            template_param=json.dumps({"code": "4321", "minutes": "5", "unused": "x"}),
        )
        resp = await asyncio.to_thread(tea(platform, tenant, v2=True).send_sms, request)
        assert resp.body.code == "OK", resp.body.message
        row = (await platform.statuses(tenant))["+8613800138000"]
        assert row["content"] == f"【{SIGN}】验证码4321，5分钟内有效，请勿泄露4321"


@pytest.mark.parametrize(
    ("param", "code"),
    [
        ({"code": "4321"}, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ({"code": 4321, "minutes": "5"}, "isv.INVALID_JSON_PARAM"),
        (["4321", "5"], "isv.INVALID_JSON_PARAM"),
    ],
)
async def test_template_values_refused(database_url: str, redis_url: str, param: Any, code: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        named = await platform.add_template(tenant.account_id, NAMED, sms_type=3)
        request = models.SendSmsRequest(
            phone_numbers="13800138000",
            sign_name=SIGN,
            template_code=f"SMS_{named}",
            template_param=json.dumps(param),
        )
        resp = await asyncio.to_thread(tea(platform, tenant).send_sms, request)
        assert resp.status_code == 200  # a business outcome: the SDK does not raise (spec 4)
        assert resp.body.code == code
        assert resp.body.biz_id is None
        assert await platform.statuses(tenant) == {}


async def test_another_tenants_template_and_an_unknown_one_are_simply_not_found(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        for code in (f"SMS_{other.template_id}", "SMS_999999", "123", "SMS_"):
            request = models.SendSmsRequest(
                phone_numbers="13800138000",
                sign_name=SIGN,
                template_code=code,
                template_param='{"1":"1","2":"2"}',
            )
            resp = await asyncio.to_thread(tea(platform, tenant).send_sms, request)
            assert resp.body.code == "isv.SMS_TEMPLATE_ILLEGAL", code


async def test_a_thousand_numbers_go_to_the_workers_in_batches_of_200(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        phones = [f"138{i:08d}" for i in range(1000)]
        resp = await tea_send(
            platform, tenant, phone_numbers=",".join(phones), template_param='{"1":"1","2":"2"}'
        )
        assert resp.body.code == "OK", resp.body.message
        request_no = parse_biz_id(resp.body.biz_id)
        batches = await platform.db.fetch(
            "SELECT batch_id, count(*) AS n, min(request_no) AS lo, max(request_no) AS hi FROM messages GROUP BY batch_id"
        )
        assert sorted(b["n"] for b in batches) == [200] * 5
        assert {(b["lo"], b["hi"]) for b in batches} == {(request_no, request_no)}
        assert await platform.db.fetchval("SELECT count(*) FROM send_outbox") == 5

        over = await tea_send(
            platform,
            tenant,
            phone_numbers=",".join([*phones, "13900000000"]),
            template_param='{"1":"1","2":"2"}',
        )
        assert over.body.code == "isv.MOBILE_COUNT_OVER_LIMIT"


async def test_send_batch_sms_per_number_signs_and_values_under_one_biz_id(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await admin.create_signature(
            platform.db, account_id=tenant.account_id, name="OtherSign", international=False, approve=True
        )
        phones = ["13800138001", "13800138002", "13800138003"]
        signs = [SIGN, "OtherSign", SIGN]
        values = [{"1": "11", "2": "5"}, {"1": "22", "2": "5"}, {"1": "11", "2": "5"}]
        request = models.SendBatchSmsRequest(
            phone_number_json=json.dumps(phones),
            sign_name_json=json.dumps(signs),
            template_code=f"SMS_{tenant.template_id}",
            template_param_json=json.dumps(values),
        )
        resp = await asyncio.to_thread(tea(platform, tenant).send_batch_sms, request)
        assert resp.body.code == "OK", resp.body.message
        request_no = parse_biz_id(resp.body.biz_id)
        rows = await platform.statuses(tenant)
        assert {p: (r["content"], r["request_no"]) for p, r in rows.items()} == {
            "+8613800138001": (f"【{SIGN}】Your code is 11, valid for 5 minutes.", request_no),
            "+8613800138002": ("【OtherSign】Your code is 22, valid for 5 minutes.", request_no),
            "+8613800138003": (f"【{SIGN}】Your code is 11, valid for 5 minutes.", request_no),
        }

        # The legacy client puts the JSON arrays in the query (spec 2.3).
        legacy_request = SendBatchSmsRequest.SendBatchSmsRequest()
        legacy_request.set_PhoneNumberJson(json.dumps(["13800138004"]))
        legacy_request.set_SignNameJson(json.dumps([SIGN]))
        legacy_request.set_TemplateCode(f"SMS_{tenant.template_id}")
        legacy_request.set_TemplateParamJson(json.dumps([{"1": "33", "2": "5"}]))
        answer = await asyncio.to_thread(legacy_call, platform, legacy(platform, tenant), legacy_request)
        assert answer["Code"] == "OK"

        mismatched = models.SendBatchSmsRequest(
            phone_number_json=json.dumps(phones),
            sign_name_json=json.dumps([SIGN]),
            template_code=f"SMS_{tenant.template_id}",
        )
        resp = await asyncio.to_thread(tea(platform, tenant).send_batch_sms, mismatched)
        assert resp.body.code == "isv.INVALID_PARAMETERS"


async def test_the_application_a_key_sends_with(database_url: str, redis_url: str) -> None:
    """Alibaba's calls name no application: the account's only one, else the one the key names."""
    async with running_platform(database_url, redis_url, admin_token=ADMIN_TOKEN) as platform:
        tenant = await platform.add_tenant()
        second = await admin.create_app(platform.db, KEYRING, account_id=tenant.account_id, name="second")
        fields = {"phone_numbers": "13800138000", "template_param": '{"1":"1","2":"2"}'}
        resp = await tea_send(platform, tenant, **fields)
        assert resp.body.code == "isv.PRODUCT_UN_SUBSCRIPT"
        assert "smsctl key app" in resp.body.message
        async with platform.http.put(
            f"{platform.api_url}/admin/v1/keys/{tenant.secret_id}/application",
            json={"sdk_app_id": second.sdk_app_id},
            headers=AUTH,
        ) as chosen:
            assert chosen.status == 200
        resp = await tea_send(platform, tenant, **fields)
        assert resp.body.code == "OK"
        app = await platform.db.fetchval("SELECT sdk_app_id FROM messages")
        assert app == second.sdk_app_id


async def test_auth_failures_raise_in_both_sdks(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        request = models.SendSmsRequest(
            phone_numbers="13800138000", sign_name=SIGN, template_code=f"SMS_{tenant.template_id}"
        )
        for v2 in (False, True):
            with pytest.raises(ClientException) as raised:
                await asyncio.to_thread(tea(platform, tenant, v2=v2, secret="wrong").send_sms, request)
            assert (raised.value.code, raised.value.status_code) == ("SignatureDoesNotMatch", 400)
        stranger = Tenant(0, "AKIDunknown", "secret", "", 0, 0, "")
        with pytest.raises(ClientException) as raised:
            await asyncio.to_thread(tea(platform, stranger).send_sms, request)
        assert (raised.value.code, raised.value.status_code) == ("InvalidAccessKeyId.NotFound", 404)

        legacy_request = SendSmsRequest.SendSmsRequest()
        legacy_request.set_PhoneNumbers("13800138000")
        legacy_request.set_SignName(SIGN)
        legacy_request.set_TemplateCode(f"SMS_{tenant.template_id}")
        with pytest.raises(ServerException) as legacy_raised:
            await asyncio.to_thread(
                legacy_call, platform, legacy(platform, tenant, secret="wrong"), legacy_request
            )
        # The SDK relabels a mismatch whose server string to sign equals its own: the secret is wrong.
        assert legacy_raised.value.get_error_code() == "InvalidAccessKeySecret"
        assert legacy_raised.value.get_http_status() == 400
        assert await platform.statuses(tenant) == {}
