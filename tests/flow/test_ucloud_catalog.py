"""UCloud USMS catalog through the unmodified `ucloud-sdk-python3` client (issue 16): upload a file, add a
qualification, create a signature resting on it, the operator approves it (admin review API, which shows the
qualification's documents) and QueryUSMSSignature reads Status 2 (spec B5); a template applied, approved and
read back with integer types (spec C4), then SendUSMSMessage with that signature and template; updates
accepted while pending or rejected and refused once approved (the seed's rule, S2/S3); deletes; another
tenant's ids not found; bad input answered 18001 / 18003 (spec B6)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from ucloud.core.exc import RetCodeException

from core.store import admin
from tests.flow.harness import Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.flow.test_ucloud_send import call, usms

ADMIN = {"Authorization": "Bearer test-admin-token", "X-Operator": "ann"}
NUMBER = "13800138000"
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()


@dataclass
class Env:
    platform: Platform
    tenant: Tenant
    calls: int = 0

    @property
    def client(self) -> Any:
        """One client, as a customer has: the same signed Query asked again after a change reads the change
        (reads and edits run each time; only creating requests run once per signature)."""
        return usms(self.platform, self.tenant)

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.platform.http.request(
            method, self.platform.api_url + "/admin/v1" + path, json=body, headers=ADMIN
        ) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.read()

    async def decide(self, kind: str, item: str, action: str, reason: str = "") -> None:
        number = int(item.removeprefix("SIG").removeprefix("UTA"))
        status, body = await self.admin(
            "POST", f"/review/{kind}/{number}/{action}", {"reason": reason} if reason else None
        )
        assert status == 200, body

    async def refused(self, method: str, request: dict[str, Any], code: int, client: Any = None) -> str:
        with pytest.raises(RetCodeException) as raised:
            await call(client or self.client, method, request)
        assert raised.value.code == code, raised.value
        return str(raised.value)


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, admin_token="test-admin-token") as platform:
        tenant = await platform.add_tenant()
        yield Env(platform, tenant)


async def qualification(env: Env, **extra: Any) -> str:
    uploaded = await call(
        env.client,
        "upload_usms_file",
        {"FileContent": png_b64(), "FileName": "licence.png", "Source": 0, "FileType": "image/png"},
    )
    file_id = uploaded["FileId"]
    added = await call(
        env.client,
        "add_usms_signature_qualification",
        {
            "Name": "Acme licence",
            "Attr": 0,
            "Status": 1,
            "HandlerPhone": "13800000000",
            "CompanyName": "Acme Ltd",
            "HandlerName": "Li Lei",
            "CompanyCertificateFileId": file_id,
            **extra,
        },
    )
    qid: str = added["QualificationId"]
    assert qid.startswith("QUA")
    return qid


def signature_request(name: str = "优刻云", **extra: Any) -> dict[str, Any]:
    return {
        "SigContent": name,
        "SigType": 0,
        "SigPurpose": 0,
        "CertificateType": 0,
        "Description": "our company",
        **extra,
    }


def template_request(**extra: Any) -> dict[str, Any]:
    return {
        "Purpose": 1,
        "TemplateName": "login code",
        "Template": "Your code is {1}, valid for {2} minutes.",
        "Remark": "login",
        "Instruction": "code then minutes",
        **extra,
    }


async def test_qualification_signature_template_approved_then_sent(env: Env) -> None:
    qid = await qualification(env)
    created = await call(env.client, "create_usms_signature", signature_request(QualificationId=qid))
    sig_id = created["SigId"]
    assert sig_id.startswith("SIG")
    query = {"SigId": sig_id}
    assert (await call(env.client, "query_usms_signature", query))["Data"] == {
        "SigId": sig_id,
        "SigContent": "优刻云",
        "Status": 0,
        "ErrDesc": "",
    }
    # The reviewer sees the qualification's document and can open it.
    status, item = await env.admin("GET", f"/review/signature/{sig_id[3:]}")
    assert status == 200
    (doc,) = item["documents"]
    assert doc["role"] == "qualification:company_certificate" and doc["content_type"] == "image/png"
    status, data = await env.admin("GET", f"/documents/{doc['id']}")
    assert status == 200 and data == base64.b64decode(png_b64())

    await env.decide("signature", sig_id, "start")
    assert (await call(env.client, "query_usms_signature", query))["Data"]["Status"] == 1
    await env.decide("signature", sig_id, "approve")
    by_content = await call(env.client, "query_usms_signature", {"SigContent": "优刻云"})
    assert by_content["Data"]["Status"] == 2 and by_content["Data"]["SigId"] == sig_id
    # The qualification was approved with the signature.
    detail = (await call(env.client, "query_usms_signature_qualification", {"QualificationId": qid}))["Data"]
    assert detail["Status"] == 2 and detail["CompanyName"] == "Acme Ltd"
    assert isinstance(detail["ReviewEndTime"], int) and detail["ReviewEndTime"] > 0

    template_id = (await call(env.client, "create_usms_template", template_request()))["TemplateId"]
    assert template_id.startswith("UTA")
    await env.decide("template", template_id, "approve")
    data = (await call(env.client, "query_usms_template", {"TemplateId": template_id}))["Data"]
    assert data["Status"] == 2 and data["Purpose"] == 1
    assert isinstance(data["CreateTime"], int) and data["CreateTime"] > 1_700_000_000
    assert (data["TemplateName"], data["Remark"], data["Instruction"]) == (
        "login code",
        "login",
        "code then minutes",
    )

    sent = await call(
        env.client,
        "send_usms_message",
        {
            "PhoneNumbers": [NUMBER],
            "TemplateId": template_id,
            "TemplateParams": ["4321", "5"],
            "SigContent": "优刻云",
        },
    )
    assert sent["SessionNo"]
    rows = await env.platform.statuses(env.tenant)
    assert rows["+86" + NUMBER]["content"] == "【优刻云】Your code is 4321, valid for 5 minutes."


async def test_signature_with_its_own_file_updated_while_pending_or_rejected_refused_once_approved(
    env: Env,
) -> None:
    sig_id = (await call(env.client, "create_usms_signature", signature_request(File=png_b64())))["SigId"]
    update = {"SigId": sig_id, "SigContent": "优刻新", "SigType": 0, "SigPurpose": 0}
    await call(env.client, "update_usms_signature", update)  # pending: accepted, no new file needed
    assert (await call(env.client, "query_usms_signature", {"SigId": sig_id}))["Data"][
        "SigContent"
    ] == "优刻新"
    await env.decide("signature", sig_id, "reject", "blurred licence")
    rejected = (await call(env.client, "query_usms_signature", {"SigId": sig_id}))["Data"]
    assert (rejected["Status"], rejected["ErrDesc"]) == (3, "blurred licence")
    await call(env.client, "update_usms_signature", {**update, "File": "image/png;base64," + png_b64()})
    assert (await call(env.client, "query_usms_signature", {"SigId": sig_id}))["Data"]["Status"] == 0
    await env.decide("signature", sig_id, "approve")
    await env.refused("update_usms_signature", update, 18003)

    # Deleted: not found any more, by id or by content.
    await call(env.client, "delete_usms_signature", {"SigIds": [sig_id]})
    await env.refused("query_usms_signature", {"SigId": sig_id}, 18003)
    await env.refused("query_usms_signature", {"SigContent": "优刻新"}, 18003)


async def test_templates_updated_until_approved_and_marketing_needs_an_unsubscribe_instruction(
    env: Env,
) -> None:
    template_id = (await call(env.client, "create_usms_template", template_request()))["TemplateId"]
    await call(env.client, "update_usms_template", {"TemplateId": template_id, "Template": "Code {1}."})
    data = (await call(env.client, "query_usms_template", {"TemplateId": template_id}))["Data"]
    assert (data["Template"], data["TemplateName"], data["Status"]) == ("Code {1}.", "login code", 0)
    await env.decide("template", template_id, "reject", "too short")
    data = (await call(env.client, "query_usms_template", {"TemplateId": template_id}))["Data"]
    assert (data["Status"], data["ErrDesc"]) == (3, "too short")
    await call(env.client, "update_usms_template", {"TemplateId": template_id, "Template": "Your code {1}."})
    await env.decide("template", template_id, "approve")
    await env.refused("update_usms_template", {"TemplateId": template_id, "Template": "Changed {1}."}, 18003)

    marketing = template_request(Purpose=3, Template="Spring sale: 20% off this week.")
    await env.refused("create_usms_template", marketing, 18001)  # no UnsubscribeInfo
    promo = (await call(env.client, "create_usms_template", {**marketing, "UnsubscribeInfo": "拒收请回复R"}))[
        "TemplateId"
    ]
    data = (await call(env.client, "query_usms_template", {"TemplateId": promo}))["Data"]
    assert data["Template"] == "Spring sale: 20% off this week.拒收请回复R"
    assert (data["Purpose"], data["UnsubscribeInfo"]) == (3, "拒收请回复R")
    # Something that is not an unsubscribe instruction is refused by the platform's rule T3.
    await env.refused("create_usms_template", {**marketing, "UnsubscribeInfo": "谢谢"}, 18003)

    await call(env.client, "delete_usms_template", {"TemplateIds": [template_id, promo]})
    await env.refused("query_usms_template", {"TemplateId": promo}, 18017)


async def test_qualifications_listed_updated_until_approved_and_deleted(env: Env) -> None:
    draft = await qualification(env, Status=0, Name="draft one")
    submitted = await qualification(env)
    listed = await call(
        env.client,
        "get_usms_signature_qualification",
        {"Page": 0, "NumPerPage": 10, "OrderBy": "CreateTime", "OrderType": "desc"},
    )
    assert listed["Total"] == 2 and isinstance(listed["Total"], int)
    assert [q["QualificationId"] for q in listed["Data"]] == [submitted, draft]
    assert [q["Status"] for q in listed["Data"]] == [1, 0]
    only_drafts = await call(
        env.client,
        "get_usms_signature_qualification",
        {"Page": 0, "NumPerPage": 10, "OrderBy": "QualificationId", "OrderType": "asc", "Status": 0},
    )
    assert [q["Name"] for q in only_drafts["Data"]] == ["draft one"]

    # A draft cannot carry a signature; submitted, it can.
    await env.refused("create_usms_signature", signature_request(QualificationId=draft), 18003)
    updated = await call(
        env.client,
        "update_usms_signature_qualification",
        {"QualificationId": draft, "Status": 1, "ManagerName": "Han Meimei"},
    )
    assert updated["QualificationId"] == draft
    detail = (await call(env.client, "query_usms_signature_qualification", {"QualificationId": draft}))[
        "Data"
    ]
    assert (detail["Status"], detail["ManagerName"], detail["Name"]) == (1, "Han Meimei", "draft one")
    assert detail["CompanyCertificateFile"].startswith("FILE")
    sig_id = (await call(env.client, "create_usms_signature", signature_request(QualificationId=draft)))[
        "SigId"
    ]
    await env.decide("signature", sig_id, "approve")
    await env.refused(
        "update_usms_signature_qualification", {"QualificationId": draft, "Status": 1, "Name": "x"}, 18003
    )

    await call(env.client, "delete_usms_signature_qualification", {"QualificationIds": [submitted]})
    await env.refused("query_usms_signature_qualification", {"QualificationId": submitted}, 18003)
    # A PDF is a document too; anything else is refused.
    pdf = await call(env.client, "upload_usms_file", {"FileContent": PDF, "FileName": "a.pdf", "Source": 0})
    assert pdf["FileId"].startswith("FILE")
    text = base64.b64encode(b"just text").decode()
    await env.refused("upload_usms_file", {"FileContent": text, "FileName": "a.txt", "Source": 0}, 18003)


async def test_another_tenants_items_are_not_found(env: Env) -> None:
    qid = await qualification(env)
    sig_id = (await call(env.client, "create_usms_signature", signature_request(QualificationId=qid)))[
        "SigId"
    ]
    template_id = (await call(env.client, "create_usms_template", template_request()))["TemplateId"]
    file_id = (
        await call(
            env.client, "upload_usms_file", {"FileContent": png_b64(), "FileName": "b.png", "Source": 0}
        )
    )["FileId"]
    other = await env.platform.add_tenant(name="Other")
    theirs = usms(env.platform, other)
    for method, request, code in [
        ("query_usms_signature", {"SigId": sig_id}, 18003),
        ("query_usms_signature", {"SigContent": "优刻云"}, 18003),
        (
            "update_usms_signature",
            {"SigId": sig_id, "SigContent": "别家", "SigType": 0, "SigPurpose": 0},
            18003,
        ),
        ("delete_usms_signature", {"SigIds": [sig_id]}, 18003),
        ("query_usms_template", {"TemplateId": template_id}, 18017),
        ("update_usms_template", {"TemplateId": template_id, "Template": "x {1}"}, 18017),
        ("delete_usms_template", {"TemplateIds": [template_id]}, 18017),
        ("query_usms_signature_qualification", {"QualificationId": qid}, 18003),
        ("update_usms_signature_qualification", {"QualificationId": qid, "Status": 0}, 18003),
        ("delete_usms_signature_qualification", {"QualificationIds": [qid]}, 18003),
        ("create_usms_signature", signature_request("别家", QualificationId=qid), 18003),
        (
            "add_usms_signature_qualification",
            {
                "Name": "n",
                "Attr": 0,
                "Status": 0,
                "HandlerPhone": "13800000000",
                "CompanyCertificateFileId": file_id,
            },
            18003,
        ),
    ]:
        await env.refused(method, request, code, client=theirs)
    listed = await call(
        theirs,
        "get_usms_signature_qualification",
        {"Page": 0, "NumPerPage": 10, "OrderBy": "CreateTime", "OrderType": "asc"},
    )
    assert listed["Total"] == 0
    # A signature of theirs naming our qualification's number (Alibaba's QualificationId is not checked) shows
    # the reviewer none of our documents, and approving it leaves our qualification as it was.
    stray = await admin.create_signature(
        env.platform.db, account_id=other.account_id, name="别家", international=False, approve=False
    )
    await env.platform.db.execute(
        "UPDATE signatures SET qualification_id = $1 WHERE id = $2", int(qid.removeprefix("QUA")), stray
    )
    status, item = await env.admin("GET", f"/review/signature/{stray}")
    assert status == 200 and item["documents"] == []
    await env.decide("signature", f"SIG{stray}", "approve")
    detail = (await call(env.client, "query_usms_signature_qualification", {"QualificationId": qid}))["Data"]
    assert detail["Status"] == 1
    # Untouched for their owner.
    assert (await call(env.client, "query_usms_signature", {"SigId": sig_id}))["Data"]["Status"] == 0
    assert (await call(env.client, "query_usms_template", {"TemplateId": template_id}))["Data"]["Status"] == 0


async def test_bad_input_missing_fields_18001_bad_enumerations_18003(env: Env) -> None:
    missing = [
        ("create_usms_signature", signature_request()),  # neither File nor QualificationId
        ("create_usms_signature", signature_request(File=png_b64(), SigPurpose=1)),  # no ProxyFile
        ("query_usms_signature", {}),
        ("delete_usms_signature", {}),
        ("delete_usms_template", {}),
        ("delete_usms_signature_qualification", {}),
        (
            "add_usms_signature_qualification",
            {"Name": "n", "Attr": 0, "Status": 1, "HandlerPhone": "13800000000"},
        ),
    ]
    for method, request in missing:
        await env.refused(method, request, 18001)
    invalid = [
        ("create_usms_signature", signature_request(File=png_b64(), SigType=6, CertificateType=6)),
        ("create_usms_signature", signature_request(File=png_b64(), CertificateType=4)),
        ("create_usms_signature", signature_request(File=png_b64(), SigPurpose=2)),
        ("create_usms_signature", signature_request(File="bm90IGFuIGltYWdl")),
        ("create_usms_template", template_request(Purpose=4)),
        ("create_usms_template", template_request(TemplateName="n" * 33)),
        ("create_usms_template", template_request(Template="x" * 501)),
        ("add_usms_signature_qualification", {"Name": "n", "Attr": 2, "Status": 0, "HandlerPhone": "138"}),
        (
            "add_usms_signature_qualification",
            {"Name": "n", "Attr": 0, "Status": 2, "HandlerPhone": "13800000000"},
        ),
        ("upload_usms_file", {"FileContent": png_b64(), "FileName": "a.png", "Source": 1}),
        (
            "get_usms_signature_qualification",
            {"Page": 0, "NumPerPage": 10, "OrderBy": "Name", "OrderType": "asc"},
        ),
        (
            "get_usms_signature_qualification",
            {"Page": 0, "NumPerPage": 10, "OrderBy": "CreateTime", "OrderType": "up"},
        ),
        ("query_usms_signature", {"SigId": "SIG-1"}),
    ]
    for method, request in invalid:
        await env.refused(method, request, 18003)
    # Nothing was recorded by any of them.
    assert await env.platform.db.fetchval("SELECT count(*) FROM qualifications") == 0
    assert (
        await env.platform.db.fetchval(
            "SELECT count(*) FROM signatures WHERE account_id = $1", env.tenant.account_id
        )
        == 1
    )  # the harness's own


async def test_an_upload_at_the_size_limit_is_kept_one_byte_more_refused(env: Env) -> None:
    limit = env.platform.settings.max_image_bytes  # a signature image's cap, within one request body

    def pdf(size: int) -> str:
        head, tail = b"%PDF-1.4\n", b"\n%%EOF"
        return base64.b64encode(head + b"x" * (size - len(head) - len(tail)) + tail).decode()

    kept = await call(
        env.client, "upload_usms_file", {"FileContent": pdf(limit), "FileName": "a.pdf", "Source": 0}
    )
    size = await env.platform.db.fetchval(
        "SELECT octet_length(data) FROM documents WHERE id = $1", int(kept["FileId"].removeprefix("FILE"))
    )
    assert size == limit
    await env.refused(
        "upload_usms_file", {"FileContent": pdf(limit + 1), "FileName": "b.pdf", "Source": 0}, 18003
    )


async def test_a_create_sent_twice_creates_once_and_a_query_asked_again_is_fresh(env: Env) -> None:
    """UCloud's signature has no time or nonce: the same signed CreateUSMSTemplate sent again (the SDK's
    retries, spec C5) gets the first answer and creates nothing more; the same signed Query asked again after
    the operator's decision reads the new status."""
    request = template_request()
    first = (await call(env.client, "create_usms_template", request))["TemplateId"]
    again = (await call(env.client, "create_usms_template", request))["TemplateId"]
    assert again == first
    count = await env.platform.db.fetchval(
        "SELECT count(*) FROM templates WHERE account_id = $1 AND status <> 'deleted'", env.tenant.account_id
    )
    assert count == 3  # the tenant's own two, and this one
    query = {"TemplateId": first}
    assert (await call(env.client, "query_usms_template", query))["Data"]["Status"] == 0
    await env.decide("template", first, "approve")
    assert (await call(env.client, "query_usms_template", query))["Data"]["Status"] == 2
