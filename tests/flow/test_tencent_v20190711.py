"""API 3.0 version 2019-07-11 through the official SDK's `v20190711` client, unmodified: the same handlers as
2021-01-11 behind a translation (api/tencent_v3/v20190711.py). Send -> carrier report -> pulls, statistics and
packages; signatures and templates from application to deletion; and the version's own field names refused
in the other version (and the other way round) with the proper error, never a 500."""

from __future__ import annotations

import asyncio
import time
import warnings
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20190711 import models, sms_client

from core.domain.review import Action, Kind
from core.store.review import transition
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.flow.tc3_client import Reply, Tc3Client, encode
from worker.carriers.simulator import SimulatorConfig

VERSION = "2019-07-11"
DELIVERED = ["+8613800138000", "+8613900139000"]
REJECTED = "+8615800158000"  # the carrier refuses it at submit: a FAIL report
SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = {"Authorization": "Bearer dev-admin-token"}


def client(platform: Platform, tenant: Tenant, *, method: str = "POST") -> sms_client.SmsClient:
    endpoint = platform.api_url.removeprefix("http://")
    http = HttpProfile(endpoint=endpoint, protocol="http", reqTimeout=30, reqMethod=method)
    cred = credential.Credential(tenant.secret_id, tenant.secret_key)
    return sms_client.SmsClient(cred, "ap-guangzhou", ClientProfile(httpProfile=http))


async def call(
    platform: Platform, tenant: Tenant, action: str, *, method: str = "POST", **fields: Any
) -> Any:
    request = getattr(models, f"{action}Request")()
    for name, value in fields.items():
        setattr(request, name, value)
    sdk = getattr(client(platform, tenant, method=method), action)

    def run() -> Any:
        # The SDK warns "<names> fileds are useless." for a nested field its 2019 model does not have.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answer = sdk(request)
        assert not [w for w in caught if "useless" in str(w.message)], [str(w.message) for w in caught]
        return answer

    return await asyncio.to_thread(run)


async def refused(platform: Platform, tenant: Tenant, action: str, **fields: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as err:
        await call(platform, tenant, action, **fields)
    assert err.value.requestId
    return err.value


def hour(at: float) -> int:
    """This version's yyyymmddhh is an integer."""
    return int(datetime.fromtimestamp(at, SHANGHAI).strftime("%Y%m%d%H"))


def clock_time(unix_s: int) -> str:
    return datetime.fromtimestamp(unix_s, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


REJECTING = SimulatorConfig(token="", rejected_numbers=frozenset({REJECTED}))


async def test_send_pull_and_statistics_in_the_2019_version(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, simulator=REJECTING) as platform:
        tenant = await platform.add_tenant()
        app = tenant.sdk_app_id
        sent = await call(
            platform, tenant, "SendSms",
            PhoneNumberSet=[*DELIVERED, REJECTED, "12345"], SmsSdkAppid=app, TemplateID=str(tenant.template_id),
            Sign=SIGN, TemplateParamSet=["1234", "5"], SessionContext="order-42",
        )  # fmt: skip
        assert [(s.PhoneNumber, s.Code) for s in sent.SendStatusSet] == [
            (DELIVERED[0], "Ok"),
            (DELIVERED[1], "Ok"),
            (REJECTED, "Ok"),
            ("12345", "InvalidParameterValue.IncorrectPhoneNumber"),
        ]
        ok = [s for s in sent.SendStatusSet if s.Code == "Ok"]
        assert {(s.Fee, s.IsoCode, s.SessionContext) for s in ok} == {(1, "CN", "order-42")}
        serials = {s.PhoneNumber: s.SerialNo for s in ok}
        rows = await platform.statuses(tenant)
        assert {p: r["serial_no"] for p, r in rows.items()} == serials
        assert {r["content"] for r in rows.values()} == {
            "【TestCorp】Your code is 1234, valid for 5 minutes."
        }

        await platform.run_worker()
        await platform.simulator("/flush", {})

        # The pull queue, each status once, in this version's shape: PurePhoneNumber is the E.164 number and
        # PhoneNumber the national one; the receive time both as a clock time and in Unix seconds.
        first = await call(platform, tenant, "PullSmsSendStatus", Limit=100, SmsSdkAppid=app)
        pulled = {s.PurePhoneNumber: s for s in first.PullSmsSendStatusSet}
        assert set(pulled) == set(serials)
        for phone, status in pulled.items():
            assert (status.SerialNo, status.NationCode, status.PhoneNumber) == (
                serials[phone],
                "86",
                phone[3:],
            )
            assert isinstance(status.UserReceiveUnixTime, int) and status.UserReceiveUnixTime > 0
            assert status.UserReceiveTime == clock_time(status.UserReceiveUnixTime)
        assert [(pulled[p].ReportStatus, pulled[p].Description) for p in DELIVERED] == [
            ("SUCCESS", "DELIVRD")
        ] * 2
        assert (pulled[REJECTED].ReportStatus, pulled[REJECTED].Description) == ("FAIL", "REJECTD")
        # GET (flattened parameters) reads the same queue, now empty.
        again = await call(platform, tenant, "PullSmsSendStatus", method="GET", Limit=100, SmsSdkAppid=app)
        assert again.PullSmsSendStatusSet == []

        now = int(time.time())
        by_number = await call(
            platform, tenant, "PullSmsSendStatusByPhoneNumber",
            SendDateTime=now - 3600, Offset=0, Limit=10, PhoneNumber=DELIVERED[0], SmsSdkAppid=app,
        )  # fmt: skip
        (only,) = by_number.PullSmsSendStatusSet
        assert (only.SerialNo, only.PurePhoneNumber, only.ReportStatus) == (
            serials[DELIVERED[0]],
            DELIVERED[0],
            "SUCCESS",
        )

        span: dict[str, Any] = {
            "StartDateTime": hour(now - 3600),
            "EndDataTime": hour(now),
            "Limit": 0,
            "Offset": 0,
        }
        stats = (
            await call(platform, tenant, "SendStatusStatistics", SmsSdkAppid=app, **span)
        ).SendStatusStatistics
        assert (stats.RequestCount, stats.RequestSuccessCount, stats.FeeCount) == (4, 3, 3)
        cb = (
            await call(platform, tenant, "CallbackStatusStatistics", SmsSdkAppid=app, **span)
        ).CallbackStatusStatistics
        assert (cb.CallbackCount, cb.CallbackSuccessCount, cb.CallbackFailCount, cb.InternalErrorCount) == (
            3,
            2,
            1,
            1,
        )
        # This version's EndDataTime before StartDateTime: the 2021 code, the message in this version's names.
        backwards: dict[str, Any] = {**span, "StartDateTime": hour(now), "EndDataTime": hour(now - 7200)}
        err = await refused(platform, tenant, "SendStatusStatistics", SmsSdkAppid=app, **backwards)
        assert err.code == "InvalidParameterValue.EndTimeVerifyFail"
        assert "EndDataTime" in err.message and "EndTime" not in err.message.replace("EndDataTime", "")

        # Replies: the queue, then by number.
        forwarded = await platform.simulator(
            "/replies", {"replies": [{"phone": DELIVERED[0], "text": "thanks", "sign": SIGN}]}
        )
        assert forwarded == {"forwarded": 1}
        (reply,) = (
            await call(platform, tenant, "PullSmsReplyStatus", Limit=10, SmsSdkAppid=app)
        ).PullSmsReplyStatusSet
        assert (reply.PhoneNumber, reply.NationCode, reply.Sign, reply.ReplyContent) == (
            DELIVERED[0],
            "86",
            SIGN,
            "thanks",
        )
        assert isinstance(reply.ReplyUnixTime, int) and abs(reply.ReplyUnixTime - time.time()) < 60
        assert reply.ReplyTime == clock_time(reply.ReplyUnixTime)
        (by_phone,) = (
            await call(
                platform, tenant, "PullSmsReplyStatusByPhoneNumber",
                SendDateTime=now - 600, Offset=0, Limit=10, PhoneNumber=DELIVERED[0], SmsSdkAppid=app,
            )
        ).PullSmsReplyStatusSet  # fmt: skip
        assert (by_phone.ReplyContent, by_phone.ReplyUnixTime) == ("thanks", reply.ReplyUnixTime)


async def test_packages_in_the_2019_version_have_no_time_range(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        today = date.today()
        url = f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/packages"
        body = {
            "parts": 5,
            "valid_from": f"{today:%Y-%m-%d}",
            "valid_until": f"{today + timedelta(days=30):%Y-%m-%d}",
        }
        async with platform.http.post(url, json=body, headers=ADMIN) as answer:
            assert answer.status == 200, await answer.text()
        packages = await call(
            platform, tenant, "SmsPackagesStatistics", SmsSdkAppid=tenant.sdk_app_id, Limit=10, Offset=0
        )
        (package,) = packages.SmsPackagesStatisticsSet
        assert (package.AmountOfPackage, package.CurrentUsage, package.TypeOfPackage) == (5, 0, 0)
        assert isinstance(package.PackageId, int)
        for name in ("PackageCreate", "PackageEffective", "PackageExpired"):
            unix_s = getattr(package, f"{name}UnixTime")
            assert isinstance(unix_s, int) and unix_s > 0
            assert getattr(package, f"{name}Time") == clock_time(unix_s)
        assert package.PackageExpiredUnixTime > package.PackageEffectiveUnixTime


def sign_fields(name: str, **overrides: Any) -> dict[str, Any]:
    fields = {"SignName": name, "SignType": 0, "DocumentType": 1, "International": 0, "UsedMethod": 0,
              "ProofImage": png_b64(), "Remark": "our company"}  # fmt: skip
    return {**fields, **overrides}


async def decide(platform: Platform, kind: Kind, item_id: int, action: Action, reason: str = "") -> None:
    result = await transition(platform.db, kind, item_id, action, actor="operator:test", reason=reason)
    assert not hasattr(result, "code"), result


async def test_a_signature_and_a_template_in_the_2019_version(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()

        err = await refused(platform, tenant, "AddSmsSign", **sign_fields("AcmeShop", UsedMethod=2))
        assert err.code == "InvalidParameterValue.InvalidUsedMethod" and "UsedMethod" in err.message
        added = (await call(platform, tenant, "AddSmsSign", **sign_fields("AcmeShop"))).AddSignStatus
        sign_id = added.SignId
        assert isinstance(sign_id, int) and added.SignApplyId == sign_id
        (status,) = (
            await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        ).DescribeSignListStatusSet
        assert (status.SignId, status.SignName, status.StatusCode, status.International) == (
            sign_id,
            "AcmeShop",
            1,
            0,
        )

        await decide(platform, Kind.SIGNATURE, sign_id, Action.REJECT, "Please use the full company name.")
        modified = (
            await call(platform, tenant, "ModifySmsSign", SignId=sign_id, **sign_fields("AcmeShopLtd"))
        ).ModifySignStatus
        assert (modified.SignId, modified.SignApplyId) == (sign_id, str(sign_id))
        (status,) = (
            await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        ).DescribeSignListStatusSet
        assert (status.SignName, status.StatusCode) == ("AcmeShopLtd", 1)
        await decide(platform, Kind.SIGNATURE, sign_id, Action.START_REVIEW)
        await decide(platform, Kind.SIGNATURE, sign_id, Action.APPROVE)

        template: dict[str, Any] = {"TemplateName": "login code", "TemplateContent": "Your login code is {1}.", "SmsType": 3,
                    "International": 0, "Remark": "sent at login"}  # fmt: skip
        added_template = (await call(platform, tenant, "AddSmsTemplate", **template)).AddTemplateStatus
        assert isinstance(added_template.TemplateId, str)
        template_id = int(added_template.TemplateId)
        (tpl,) = (
            await call(
                platform, tenant, "DescribeSmsTemplateList", TemplateIdSet=[template_id], International=0
            )
        ).DescribeTemplateStatusSet
        assert (tpl.TemplateId, tpl.TemplateName, tpl.StatusCode, tpl.International) == (
            template_id,
            "login code",
            1,
            0,
        )
        assert isinstance(tpl.CreateTime, int)
        await decide(platform, Kind.TEMPLATE, template_id, Action.REJECT, "Say what the code is for.")
        changed: dict[str, Any] = {**template, "TemplateContent": "Your login code for AcmeShop is {1}."}
        modified_template = await call(
            platform, tenant, "ModifySmsTemplate", TemplateId=template_id, **changed
        )
        assert modified_template.ModifyTemplateStatus.TemplateId == template_id
        await decide(platform, Kind.TEMPLATE, template_id, Action.APPROVE)

        sent = await call(
            platform, tenant, "SendSms", PhoneNumberSet=[DELIVERED[0]], SmsSdkAppid=tenant.sdk_app_id,
            TemplateID=str(template_id), Sign="AcmeShopLtd", TemplateParamSet=["1234"],
        )  # fmt: skip
        assert sent.SendStatusSet[0].Code == "Ok"

        deleted = (
            await call(platform, tenant, "DeleteSmsTemplate", TemplateId=template_id)
        ).DeleteTemplateStatus
        assert deleted.DeleteStatus and isinstance(deleted.DeleteTime, int)
        err = await refused(
            platform, tenant, "SendSms", PhoneNumberSet=[DELIVERED[0]], SmsSdkAppid=tenant.sdk_app_id,
            TemplateID=str(template_id), Sign="AcmeShopLtd", TemplateParamSet=["1234"],
        )  # fmt: skip
        assert err.code == "FailedOperation.TemplateIncorrectOrUnapproved"
        deleted_sign = (await call(platform, tenant, "DeleteSmsSign", SignId=sign_id)).DeleteSignStatus
        assert deleted_sign.DeleteStatus and isinstance(deleted_sign.DeleteTime, int)
        assert (
            await refused(platform, tenant, "DeleteSmsSign", SignId=sign_id)
        ).code == "FailedOperation.SignIdNotExist"


# --- the other version's field names, over raw HTTP: the proper error in the envelope -------------------------

NOW = 1_780_000_000
PHONE = "+8613800138000"


def assert_error(reply: Reply, code: str, *, naming: str = "") -> None:
    assert reply.status == 200 and reply.content_type == "application/json", reply.text
    response = reply.body["Response"]
    assert set(response) == {"Error", "RequestId"}, response
    assert response["Error"]["Code"] == code, response
    assert f"`{naming}`" in response["Error"]["Message"], response


@pytest.fixture
async def raw(database_url: str, redis_url: str) -> Any:
    async with running_platform(database_url, redis_url, clock=lambda: float(NOW)) as platform:
        tenant = await platform.add_tenant()
        yield (
            platform,
            tenant,
            Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key),
        )


async def send_raw(
    client: Tc3Client, params: dict[str, Any], *, version: str, action: str = "SendSms", timestamp: int = NOW
) -> Reply:
    payload = encode(params)
    headers = client.headers(payload, timestamp=timestamp, action=action, version=version)
    return await client.send(payload, headers)


async def test_the_other_versions_field_names_are_missing_parameters(raw: Any) -> None:
    platform, tenant, client = raw
    fields_2021 = {"PhoneNumberSet": [PHONE], "SmsSdkAppId": tenant.sdk_app_id,
                   "TemplateId": str(tenant.template_id), "SignName": SIGN, "TemplateParamSet": ["1234", "5"]}  # fmt: skip
    fields_2019 = {"PhoneNumberSet": [PHONE], "SmsSdkAppid": tenant.sdk_app_id,
                   "TemplateID": str(tenant.template_id), "Sign": SIGN, "TemplateParamSet": ["1234", "5"]}  # fmt: skip
    assert_error(
        await send_raw(client, fields_2021, version=VERSION), "MissingParameter", naming="SmsSdkAppid"
    )
    mixed = {k: v for k, v in fields_2019.items() if k != "TemplateID"} | {"TemplateId": "1"}
    assert_error(await send_raw(client, mixed, version=VERSION), "MissingParameter", naming="TemplateID")
    assert_error(
        await send_raw(client, fields_2019, version="2021-01-11"), "MissingParameter", naming="SmsSdkAppId"
    )
    assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0

    # a 2019 name with a wrong type: the handler's code, the field as this version names it
    assert_error(
        await send_raw(client, {**fields_2019, "TemplateID": {"Id": 1}}, version=VERSION),
        "InvalidParameter",
        naming="TemplateID",
    )
    # 2021's statistics names under 2019
    stats = {
        "SmsSdkAppid": tenant.sdk_app_id,
        "BeginTime": "2026052800",
        "EndTime": "2026052801",
        "Limit": 0,
        "Offset": 0,
    }
    assert_error(
        await send_raw(client, stats, version=VERSION, action="SendStatusStatistics"),
        "MissingParameter",
        naming="StartDateTime",
    )
    # an action 2019 does not have
    reply = await send_raw(
        client, {"PhoneNumberSet": [PHONE]}, version=VERSION, action="DescribePhoneNumberInfo"
    )
    assert_error(reply, "InvalidAction", naming="DescribePhoneNumberInfo")
    # 2021-01-11 only: that version's SDK alone has them. Bodies differ: the action header is not signed, so the
    # same body at the same second would be the same request, answered again.
    for action, body in (("SendMultiGlobalSms", {}), ("ReportConversion", {"SerialNo": "x"})):
        reply = await send_raw(client, body, version=VERSION, action=action)
        assert_error(reply, "InvalidAction", naming=action)

    # and the right names in the right version still send. Signed at another second: the version header is
    # not signed, so the same body at the same second is the request refused above, answered as it was.
    reply = await send_raw(client, fields_2019, version=VERSION, timestamp=NOW + 1)
    assert reply.status == 200 and [s["Code"] for s in reply.body["Response"]["SendStatusSet"]] == ["Ok"]
