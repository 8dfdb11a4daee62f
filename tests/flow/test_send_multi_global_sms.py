"""SendMultiGlobalSms (spec 6.2, issue 16) through the unmodified official SDK: international numbers, each with
its own template, parameters, SenderId and SessionContext, answered per number in request order; each group of
one content goes through the platform's send path (limits, blocklist, billing, records), and the worker
delivers the messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from tests.flow.harness import Platform, Tenant, running_platform

US = "+14155550123"
GB = "+447400123456"
FR = "+33612345678"
SG = "+6591234567"
MAINLAND = "+8613800138000"
GREETING = "Hello {1}, your order {2} has shipped."


def info(phone: str, template_id: int | str, params: list[str], **fields: Any) -> models.MultiSmsInfo:
    item = models.MultiSmsInfo()
    item.PhoneNumber, item.TemplateId, item.TemplateParamSet = phone, str(template_id), params
    for name, value in fields.items():
        setattr(item, name, value)
    return item


async def send_multi(
    platform: Platform, tenant: Tenant, items: list[models.MultiSmsInfo], *, method: str = "POST"
) -> Any:
    req = models.SendMultiGlobalSmsRequest()
    req.SmsSdkAppId = tenant.sdk_app_id
    req.MultiSmsInfoSet = items
    client = platform.sdk(tenant)
    if method != "POST":
        endpoint = platform.api_url.removeprefix("http://")
        http = HttpProfile(endpoint=endpoint, protocol="http", reqMethod=method)
        client = sms_client.SmsClient(client.credential, "ap-guangzhou", ClientProfile(httpProfile=http))
    return await asyncio.to_thread(client.SendMultiGlobalSms, req)


def answers(resp: Any) -> list[tuple[str, str]]:
    return [(s.PhoneNumber, s.Code) for s in resp.SendMultiStatusSet]


async def test_three_numbers_two_templates_each_recorded_with_its_own_content_and_delivered(
    database_url: str, redis_url: str
) -> None:
    """Each number gets its own content and SessionContext; the two items sharing a template differ in their
    parameters, so the request is three contents (three passes through the send path), all one request."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        greeting = await platform.add_template(tenant.account_id, GREETING, international=True)
        items = [
            info(US, tenant.intl_template_id, ["1111", "5"], SessionContext="user-us", SenderId="ACME"),
            info(GB, greeting, ["Ann", "A-7"], SessionContext="user-gb"),
            info(FR, tenant.intl_template_id, ["2222", "9"], SessionContext="user-fr", SenderId=""),
        ]
        resp = await send_multi(platform, tenant, items)

        assert answers(resp) == [(US, "Ok"), (GB, "Ok"), (FR, "Ok")]
        statuses = resp.SendMultiStatusSet
        assert [s.SessionContext for s in statuses] == ["user-us", "user-gb", "user-fr"]
        assert [s.IsoCode for s in statuses] == ["US", "GB", "FR"]
        assert [s.Fee for s in statuses] == [1, 1, 1]
        assert {s.Message for s in statuses} == {"send success"}
        assert len({s.SerialNo for s in statuses}) == 3 and all(s.SerialNo for s in statuses)

        rows = await platform.statuses(tenant)
        assert set(rows) == {US, GB, FR}
        assert {p: r["content"] for p, r in rows.items()} == {
            US: "Your code is 1111, valid for 5 minutes.",
            GB: "Hello Ann, your order A-7 has shipped.",
            FR: "Your code is 2222, valid for 9 minutes.",
        }
        assert {p: r["session_context"] for p, r in rows.items()} == {
            US: "user-us",
            GB: "user-gb",
            FR: "user-fr",
        }
        assert {p: r["template_id"] for p, r in rows.items()} == {
            US: tenant.intl_template_id,
            GB: greeting,
            FR: tenant.intl_template_id,
        }
        assert {s.PhoneNumber: s.SerialNo for s in statuses} == {p: r["serial_no"] for p, r in rows.items()}
        assert len({r["request_no"] for r in rows.values()}) == 1  # one request, whatever its groups
        billed = await platform.db.fetchval(
            "SELECT sum(messages) FROM usage_daily WHERE account_id = $1", tenant.account_id
        )
        assert billed == 3

        await platform.run_worker()
        await platform.simulator("/flush", {})
        rows = await platform.statuses(tenant)
        assert {p: r["status"] for p, r in rows.items()} == {
            US: "delivered",
            GB: "delivered",
            FR: "delivered",
        }


async def test_mainland_invalid_unapproved_and_blocked_items_are_refused_one_by_one(
    database_url: str, redis_url: str
) -> None:
    """T2/D4: a mainland number (E.164 or bare) is refused by itself with ContainDomesticPhoneNumber, an
    unparsable one with IncorrectPhoneNumber (D1), an unknown template refuses only its own items, a blocked
    number (B1) is refused by the send path; the rest are sent. Every number is counted in the statistics."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.db.execute(
            "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
            " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
            tenant.account_id,
            SG,
        )
        tid = tenant.intl_template_id
        items = [
            info(US, tid, ["1", "2"], SessionContext="a"),
            info(MAINLAND, tid, ["1", "2"], SessionContext="b"),
            info("13900139000", tid, ["3", "4"], SessionContext="c"),
            info("+1 415 555", tid, ["1", "2"], SessionContext="d"),
            info(GB, 999999, ["1", "2"], SessionContext="e"),
            info(SG, tid, ["1", "2"], SessionContext="f"),
            info(FR, tid, ["5", "6"]),
        ]
        resp = await send_multi(platform, tenant, items)

        assert answers(resp) == [
            (US, "Ok"),
            (MAINLAND, "UnsupportedOperation.ContainDomesticPhoneNumber"),
            ("+8613900139000", "UnsupportedOperation.ContainDomesticPhoneNumber"),
            ("+1 415 555", "InvalidParameterValue.IncorrectPhoneNumber"),
            (GB, "FailedOperation.TemplateIncorrectOrUnapproved"),
            (SG, "FailedOperation.PhoneNumberInBlacklist"),
            (FR, "Ok"),
        ]
        assert [s.SessionContext for s in resp.SendMultiStatusSet] == ["a", "b", "c", "d", "e", "f", ""]
        for refused in resp.SendMultiStatusSet[1:6]:
            assert (refused.SerialNo, refused.Fee, refused.IsoCode) == ("", 0, "")
        rows = await platform.statuses(tenant)
        assert set(rows) == {US, FR}
        # Counted: every number that reached the send path (the unknown template's refused it as a whole).
        requests, accepted = await platform.db.fetchrow(
            "SELECT sum(requests), sum(accepted) FROM stats_hourly WHERE sdk_app_id = $1", tenant.sdk_app_id
        )
        assert (requests, accepted) == (6, 2)


async def test_items_go_through_the_per_number_limits_like_any_send(
    database_url: str, redis_url: str
) -> None:
    """L1: one number in three items of three contents: the default two a day pass, the third is refused by the
    gate; a number given twice with one content is sent once (D2) and answered once."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        tid = tenant.intl_template_id
        items = [
            info(US, tid, ["1", "1"], SessionContext="first"),
            info(US, tid, ["2", "2"]),
            info(GB, tid, ["1", "1"]),
            info(US, tid, ["3", "3"]),
            info(US, tid, ["1", "1"], SessionContext="again"),
        ]
        resp = await send_multi(platform, tenant, items)
        assert answers(resp) == [
            (US, "Ok"),
            (US, "Ok"),
            (GB, "Ok"),
            (US, "LimitExceeded.PhoneNumberDailyLimit"),
        ]
        assert resp.SendMultiStatusSet[0].SessionContext == "first"
        count = await platform.db.fetchval(
            "SELECT count(*) FROM messages WHERE sdk_app_id = $1", tenant.sdk_app_id
        )
        assert count == 3


async def test_two_hundred_items_are_sent_and_two_hundred_and_one_refused(
    database_url: str, redis_url: str
) -> None:
    """D1: at most 200 numbers a request; one more and nothing is recorded."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        phones = [f"+447400{i:06d}" for i in range(201)]
        items = [info(p, tenant.intl_template_id, ["1", "2"]) for p in phones]
        with pytest.raises(TencentCloudSDKException) as err:
            await send_multi(platform, tenant, items)
        assert err.value.code == "LimitExceeded.PhoneNumberCountLimit"
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0

        resp = await send_multi(platform, tenant, items[:200])
        assert {s.Code for s in resp.SendMultiStatusSet} == {"Ok"} and len(resp.SendMultiStatusSet) == 200
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 200


async def test_a_get_request_rebuilds_the_items(database_url: str, redis_url: str) -> None:
    """The SDK's GET form flattens each item's fields (`MultiSmsInfoSet.0.TemplateParamSet.1`); it sends the
    same as POST."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        items = [
            info(US, tenant.intl_template_id, ["7", "8"], SessionContext="get-us"),
            info(MAINLAND, tenant.intl_template_id, ["7", "8"]),
        ]
        resp = await send_multi(platform, tenant, items, method="GET")
        assert answers(resp) == [(US, "Ok"), (MAINLAND, "UnsupportedOperation.ContainDomesticPhoneNumber")]
        row = (await platform.statuses(tenant))[US]
        assert (row["content"], row["session_context"]) == ("Your code is 7, valid for 8 minutes.", "get-us")


async def test_request_wide_refusals_answer_the_request(database_url: str, redis_url: str) -> None:
    """Another tenant's application, an empty set and malformed items are the request's Error, naming the
    field by its path."""
    async with running_platform(database_url, redis_url) as platform:
        tenant, other = await platform.add_tenant(), await platform.add_tenant(name="Other")
        theirs = Tenant(**{**tenant.__dict__, "sdk_app_id": other.sdk_app_id})
        with pytest.raises(TencentCloudSDKException) as err:
            await send_multi(platform, theirs, [info(US, tenant.intl_template_id, ["1", "2"])])
        assert err.value.code == "UnauthorizedOperation.SmsSdkAppIdVerifyFail"

        with pytest.raises(TencentCloudSDKException) as err:
            await send_multi(platform, tenant, [])
        assert err.value.code == "InvalidParameterValue.MultiSmsInfoSetEmpty"

        with pytest.raises(TencentCloudSDKException) as err:
            await send_multi(
                platform, tenant, [info(US, tenant.intl_template_id, ["1", "2"], SenderId=["x"])]
            )
        assert err.value.code == "InvalidParameter" and "MultiSmsInfoSet.0.SenderId" in err.value.message

        missing = models.MultiSmsInfo()
        missing.TemplateId = str(tenant.intl_template_id)
        with pytest.raises(TencentCloudSDKException) as err:
            await send_multi(platform, tenant, [info(US, tenant.intl_template_id, ["1", "2"]), missing])
        assert err.value.code == "MissingParameter" and "MultiSmsInfoSet.1.PhoneNumber" in err.value.message
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0
