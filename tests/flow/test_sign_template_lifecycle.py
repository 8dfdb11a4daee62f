"""Signatures and templates through the official SDK, their whole life: add -> describe -> reject -> modify ->
approve -> send -> delete -> send refused (rules S2, S3, T5), and one account never sees another's items."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.sms.v20210111 import models

from core.domain.review import Action, Kind
from core.store.review import transition
from tests.flow.harness import Platform, Tenant, running_platform
from tests.flow.images import png_b64

# The seed's own verification-code template (Template page).
SEED_TEMPLATE = (
    "Your verification code is {1}, which is valid for {2} minutes and should not be disclosed to others. "
    "If you did not make this request, please ignore this message."
)
PHONE = "+8613800138000"


async def call(platform: Platform, tenant: Tenant, action: str, **fields: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    for name, value in fields.items():
        setattr(request, name, value)
    client = platform.sdk(tenant)
    return await asyncio.to_thread(getattr(client, action), request)


async def refused(platform: Platform, tenant: Tenant, action: str, **fields: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as err:
        await call(platform, tenant, action, **fields)
    assert err.value.requestId
    return str(err.value.code)


def sign_fields(name: str, **overrides: Any) -> dict[str, Any]:
    fields = {"SignName": name, "SignType": 0, "DocumentType": 1, "International": 0, "SignPurpose": 0,
              "ProofImage": png_b64(), "Remark": "our company"}  # fmt: skip
    return {**fields, **overrides}


async def decide(platform: Platform, kind: Kind, item_id: int, action: Action, reason: str = "") -> None:
    result = await transition(platform.db, kind, item_id, action, actor="operator:test", reason=reason)
    assert not hasattr(result, "code"), result


async def test_a_signature_and_a_template_from_application_to_deletion(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()

        added = await call(platform, tenant, "AddSmsSign", **sign_fields("AcmeShop"))
        sign_id = added.AddSignStatus.SignId
        assert isinstance(sign_id, int)
        listed = await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        (status,) = listed.DescribeSignListStatusSet
        assert (status.SignId, status.SignName, status.StatusCode, status.International) == (
            sign_id,
            "AcmeShop",
            1,
            0,
        )

        await decide(platform, Kind.SIGNATURE, sign_id, Action.REJECT, "Please use the full company name.")
        (status,) = (
            await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        ).DescribeSignListStatusSet
        assert (status.StatusCode, status.ReviewReply) == (-1, "Please use the full company name.")

        modified = await call(platform, tenant, "ModifySmsSign", SignId=sign_id, **sign_fields("AcmeShopLtd"))
        assert modified.ModifySignStatus.SignId == sign_id
        (status,) = (
            await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        ).DescribeSignListStatusSet
        assert (status.StatusCode, status.SignName, status.ReviewReply) == (1, "AcmeShopLtd", "")
        await decide(platform, Kind.SIGNATURE, sign_id, Action.START_REVIEW)
        await decide(platform, Kind.SIGNATURE, sign_id, Action.APPROVE)
        # S3: approved signatures cannot be modified.
        code = await refused(platform, tenant, "ModifySmsSign", SignId=sign_id, **sign_fields("AcmeShopNew"))
        assert code == "InvalidParameterValue.SignAlreadyPassedCheck"

        added = await call(platform, tenant, "AddSmsTemplate", TemplateName="login code", TemplateContent=SEED_TEMPLATE,
                           SmsType=3, International=0, Remark="sent at login")  # fmt: skip
        template_id_text = added.AddTemplateStatus.TemplateId
        assert isinstance(template_id_text, str)
        template_id = int(template_id_text)
        (tpl,) = (
            await call(
                platform, tenant, "DescribeSmsTemplateList", TemplateIdSet=[template_id], International=0
            )
        ).DescribeTemplateStatusSet
        assert (tpl.TemplateId, tpl.StatusCode, tpl.TemplateContent) == (template_id, 1, SEED_TEMPLATE)
        await decide(platform, Kind.TEMPLATE, template_id, Action.REJECT, "Explain {2} in the remark.")
        modified = await call(platform, tenant, "ModifySmsTemplate", TemplateId=template_id, TemplateName="login code",
                              TemplateContent=SEED_TEMPLATE, SmsType=3, International=0, Remark="{2} is minutes")  # fmt: skip
        assert modified.ModifyTemplateStatus.TemplateId == template_id
        await decide(platform, Kind.TEMPLATE, template_id, Action.APPROVE)
        code = await refused(platform, tenant, "ModifySmsTemplate", TemplateId=template_id, TemplateName="x",
                             TemplateContent=SEED_TEMPLATE, SmsType=3, International=0, Remark="")  # fmt: skip
        assert code == "FailedOperation.TemplateAlreadyPassedCheck"

        sent = await platform.send_sms(
            tenant, [PHONE], ["123456", "5"], SignName="AcmeShopLtd", TemplateId=str(template_id)
        )
        assert sent.SendStatusSet[0].Code == "Ok"

        deleted = await call(platform, tenant, "DeleteSmsTemplate", TemplateId=template_id)
        assert deleted.DeleteTemplateStatus.DeleteStatus and isinstance(
            deleted.DeleteTemplateStatus.DeleteTime, int
        )
        with pytest.raises(TencentCloudSDKException) as err:
            await platform.send_sms(
                tenant, [PHONE], ["123456", "5"], SignName="AcmeShopLtd", TemplateId=str(template_id)
            )
        assert err.value.code == "FailedOperation.TemplateIncorrectOrUnapproved"

        await call(platform, tenant, "DeleteSmsSign", SignId=sign_id)
        with pytest.raises(TencentCloudSDKException) as err:
            await platform.send_sms(tenant, [PHONE], ["123456", "5"], SignName="AcmeShopLtd")
        assert err.value.code == "FailedOperation.SignatureIncorrectOrUnapproved"
        listed = await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        assert listed.DescribeSignListStatusSet == []
        assert (
            await refused(platform, tenant, "DeleteSmsSign", SignId=sign_id)
            == "FailedOperation.SignIdNotExist"
        )


async def test_one_account_cannot_see_or_change_anothers_items(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        owner = await platform.add_tenant(name="Owner")
        other = await platform.add_tenant(name="Other")
        sign_id = (await call(platform, owner, "AddSmsSign", **sign_fields("OwnerCo"))).AddSignStatus.SignId
        template_id = int(
            (
                await call(
                    platform,
                    owner,
                    "AddSmsTemplate",
                    TemplateName="t",
                    TemplateContent="Your code is {1}.",
                    SmsType=0,
                    International=0,
                    Remark="",
                )
            ).AddTemplateStatus.TemplateId
        )
        seen = await call(platform, other, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        assert seen.DescribeSignListStatusSet == []
        seen = await call(
            platform, other, "DescribeSmsTemplateList", TemplateIdSet=[template_id], International=0
        )
        assert seen.DescribeTemplateStatusSet == []
        assert await refused(platform, other, "ModifySmsSign", SignId=sign_id, **sign_fields("Taken")) == (
            "FailedOperation.MissingSignatureToModify"
        )
        assert (
            await refused(platform, other, "DeleteSmsSign", SignId=sign_id)
            == "FailedOperation.SignIdNotExist"
        )
        assert await refused(platform, other, "DeleteSmsTemplate", TemplateId=template_id) == (
            "FailedOperation.TemplateIdNotExist"
        )
        assert await refused(platform, other, "ModifySmsTemplate", TemplateId=template_id, TemplateName="t",
                             TemplateContent="Hi {1}.", SmsType=0, International=0, Remark="") == (
            "FailedOperation.MissingTemplateToModify"
        )  # fmt: skip
        # The owner's items are untouched.
        (status,) = (
            await call(platform, owner, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        ).DescribeSignListStatusSet
        assert (status.SignName, status.StatusCode) == ("OwnerCo", 1)
