"""The automatic pre-checks at submission, through the official SDK, with the seed's own examples (S1, S4, S5,
T1, T3, T5, T6, A1); bad input answered with its code and nothing half-written; a modification racing an
operator's decision leaves a consistent history."""

from __future__ import annotations

import asyncio
import base64
import itertools
from typing import Any

import pytest

from core.domain.review import Action, Kind
from core.store.review import history, transition
from tests.flow.harness import Platform, Tenant, running_platform
from tests.flow.test_sign_template_lifecycle import call, refused, sign_fields


async def written(platform: Platform) -> tuple[int, int, int]:
    row = await platform.db.fetchrow(
        "SELECT (SELECT count(*) FROM signatures), (SELECT count(*) FROM templates), (SELECT count(*) FROM documents)"
    )
    assert row is not None
    return row[0], row[1], row[2]


def template_fields(content: str, **overrides: Any) -> dict[str, Any]:
    return {
        "TemplateName": "t",
        "TemplateContent": content,
        "SmsType": 0,
        "International": 0,
        "Remark": "",
        **overrides,
    }


SIGN_CASES = [
    # S4: the seed's non-identifiable signatures.
    pytest.param({"SignName": "test"}, "FailedOperation.SignatureIncorrectOrUnapproved", id="S4-test"),
    pytest.param({"SignName": "aabb"}, "FailedOperation.SignatureIncorrectOrUnapproved", id="S4-aabb"),
    pytest.param(
        {"SignName": "notification"}, "FailedOperation.SignatureIncorrectOrUnapproved", id="S4-notification"
    ),
    pytest.param(
        {"SignName": "verification code"},
        "FailedOperation.SignatureIncorrectOrUnapproved",
        id="S4-verification-code",
    ),
    pytest.param(
        {"SignName": "ABCDEFGHIJKLM"}, "InvalidParameterValue.SignNameLengthTooLong", id="name-13-chars"
    ),
    pytest.param({"SignName": "Bob');DROP TABLE x;--"}, None, id="sql-in-name"),
    pytest.param({"SignName": "<b>Acme</b>"}, None, id="html-in-name"),
    pytest.param(
        {"DocumentType": 7}, "InvalidParameterValue.InvalidDocumentType", id="S1-company-with-trademark-doc"
    ),
    pytest.param({"SignPurpose": 2}, "InvalidParameterValue.InvalidSignPurpose", id="purpose-2"),
    pytest.param({"International": 2}, "InvalidParameterValue.InvalidInternational", id="international-2"),
    pytest.param({"ProofImage": "not base64!"}, "InvalidParameterValue.ImageInvalid", id="image-not-base64"),
    pytest.param(
        {"ProofImage": base64.b64encode(b"just some text").decode()},
        "InvalidParameterValue.ImageInvalid",
        id="image-text",
    ),
    pytest.param(
        {"ProofImage": "data:image/png;base64,iVBORw0KGgo="},
        "InvalidParameterValue.ImageInvalid",
        id="image-data-url",
    ),
    pytest.param({"SignPurpose": 1}, "MissingParameter", id="S1-on-behalf-needs-authorization"),
    pytest.param({"SignType": "company"}, "InvalidParameter", id="sign-type-not-int"),
]


@pytest.mark.parametrize(("overrides", "code"), SIGN_CASES)
async def test_signature_prechecks(
    database_url: str, redis_url: str, overrides: dict[str, Any], code: str | None
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        before = await written(platform)
        got = await refused(platform, tenant, "AddSmsSign", **sign_fields("AcmeCorp", **overrides))
        if code is None:  # any clear refusal will do, as long as it names the parameter problem
            assert got.startswith(("FailedOperation.SignatureIncorrectOrUnapproved", "InvalidParameterValue"))
        else:
            assert got == code
        assert await written(platform) == before  # nothing half-written


async def test_oversized_image_is_refused(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, max_image_bytes=1024) as platform:
        tenant = await platform.add_tenant()
        big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048).decode()
        assert await refused(platform, tenant, "AddSmsSign", **sign_fields("AcmeCorp", ProofImage=big)) == (
            "InvalidParameterValue.ImageInvalid"
        )


async def test_a_pending_duplicate_and_the_account_limit_are_refused(
    database_url: str, redis_url: str
) -> None:
    """A second identical signature while the first waits for review; S5 limit (setting)."""
    async with running_platform(database_url, redis_url, max_signatures_per_account=3) as platform:
        tenant = await platform.add_tenant()  # already holds one approved signature
        await call(platform, tenant, "AddSmsSign", **sign_fields("AcmeCorp"))
        assert await refused(platform, tenant, "AddSmsSign", **sign_fields("acmecorp")) == (
            "InvalidParameterValue.SignExistAndUnapproved"
        )
        await call(platform, tenant, "AddSmsSign", **sign_fields("OtherCorp"))
        assert await refused(platform, tenant, "AddSmsSign", **sign_fields("ThirdCorp")) == (
            "FailedOperation.SignNumberLimit"
        )


MARKETING_OK = "Members get 20% off this weekend at Acme. Reply TD to unsubscribe."
TEMPLATE_CASES = [
    pytest.param(
        template_fields("Your code is {0}."), "InvalidParameterValue.InvalidTemplateFormat", id="T1-zero"
    ),
    pytest.param(
        template_fields("Code {2} for you."), "InvalidParameterValue.InvalidTemplateFormat", id="T1-gap"
    ),
    pytest.param(
        template_fields("Code {1 for you."), "InvalidParameterValue.InvalidTemplateFormat", id="T1-unbalanced"
    ),
    pytest.param(
        template_fields("Code ｛1｝ for you."),
        "InvalidParameterValue.InvalidTemplateFormat",
        id="T1-fullwidth",
    ),
    pytest.param(
        template_fields("{1}{2}"), "InvalidParameterValue.InvalidTemplateFormat", id="T1-variables-only"
    ),
    pytest.param(template_fields("x" * 10_000), "InvalidParameterValue.ContentLengthLimit", id="10000-chars"),
    pytest.param(
        template_fields("Members get 20% off this weekend at Acme.", SmsType=1),
        "InvalidParameterValue.MarketingTemplateWithoutUnsubscribe",
        id="T3-marketing-without-TD",
    ),
    pytest.param(template_fields(MARKETING_OK, SmsType=1), None, id="T3-marketing-with-TD"),
    pytest.param(
        template_fields("Get a fast loan today, code {1}."),
        "InvalidParameterValue.TemplateWithDirtyWords",
        id="T6-loan",
    ),
    pytest.param(
        template_fields("Join our WeChat group for news {1}."),
        "InvalidParameterValue.TemplateWithDirtyWords",
        id="T6-wechat-group",
    ),
    pytest.param(
        template_fields("Your code is {1}.", SmsType=4),
        "InvalidParameterValue.InvalidSmsType",
        id="sms-type-4",
    ),
    pytest.param(
        {k: v for k, v in template_fields("Your code is {1}.").items() if k != "TemplateContent"},
        "MissingParameter",
        id="missing-content",
    ),
]


@pytest.mark.parametrize(("fields", "code"), TEMPLATE_CASES)
async def test_template_prechecks(
    database_url: str, redis_url: str, fields: dict[str, Any], code: str | None
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        before = await written(platform)
        if code is None:
            added = await call(platform, tenant, "AddSmsTemplate", **fields)
            assert int(added.AddTemplateStatus.TemplateId) > 0
            return
        assert await refused(platform, tenant, "AddSmsTemplate", **fields) == code
        assert await written(platform) == before


async def test_individuals_cannot_add_marketing_templates_and_the_template_limit_holds(
    database_url: str, redis_url: str
) -> None:
    """A1 and T5 (limit as a setting)."""
    async with running_platform(database_url, redis_url, max_templates_per_account=3) as platform:
        person = await platform.add_tenant(kind="individual", name="Person")  # holds 2 templates already
        assert await refused(
            platform, person, "AddSmsTemplate", **template_fields(MARKETING_OK, SmsType=1)
        ) == ("FailedOperation.ForbidAddMarketingTemplates")
        await call(platform, person, "AddSmsTemplate", **template_fields("Your code is {1}."))
        assert await refused(platform, person, "AddSmsTemplate", **template_fields("Your pin is {1}.")) == (
            "FailedOperation.TemplateNumberLimit"
        )


async def test_a_modification_racing_an_approval_leaves_one_consistent_history(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant: Tenant = await platform.add_tenant()
        for round_no in range(5):
            sign_id = (
                await call(platform, tenant, "AddSmsSign", **sign_fields(f"RaceCorp{round_no}"))
            ).AddSignStatus.SignId
            modify = call(
                platform, tenant, "ModifySmsSign", SignId=sign_id, **sign_fields(f"RaceCorpX{round_no}")
            )
            approve = transition(platform.db, Kind.SIGNATURE, sign_id, Action.APPROVE, actor="operator:test")
            results = await asyncio.gather(modify, approve, return_exceptions=True)
            outcomes = [not isinstance(r, BaseException) and not hasattr(r, "code") for r in results]
            assert any(outcomes)  # at least one wins; a loser got a clear refusal, not a crash
            for r in results:
                if isinstance(r, BaseException):
                    assert getattr(r, "code", "") in (
                        "InvalidParameterValue.SignAlreadyPassedCheck",
                        "FailedOperation",
                    )
            events = await history(platform.db, Kind.SIGNATURE, sign_id)
            for before, after in itertools.pairwise(events):
                assert after.from_status == before.to_status  # every change starts where the last one ended
            status = await platform.db.fetchval("SELECT status FROM signatures WHERE id = $1", sign_id)
            assert status == events[-1].to_status


async def test_modify_cannot_change_international(database_url: str, redis_url: str) -> None:
    """Spec 6.11: International must equal the existing item's, for signatures and templates alike."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        sign_id = (await call(platform, tenant, "AddSmsSign", **sign_fields("AcmeCorp"))).AddSignStatus.SignId
        code = await refused(
            platform, tenant, "ModifySmsSign", SignId=sign_id, **sign_fields("AcmeCorp", International=1)
        )
        assert code == "InvalidParameterValue.InvalidInternational"
        added = await call(platform, tenant, "AddSmsTemplate", **template_fields("Your code is {1}."))
        template_id = int(added.AddTemplateStatus.TemplateId)
        code = await refused(
            platform, tenant, "ModifySmsTemplate", TemplateId=template_id,
            **template_fields("Your code is {1}.", International=1),
        )  # fmt: skip
        assert code == "InvalidParameterValue.InvalidInternational"
