"""API 3.0 actions for signatures and templates (spec 6.10-6.17): wire in, core.services.catalog, wire out. JSON types
exactly as the SDK models them: SignId is an integer everywhere; TemplateId is a string in AddSmsTemplate's
answer and an integer in Modify/Delete/Describe."""

from __future__ import annotations

from typing import Any

from api.tencent_v3.wire import ActionHandler, Call, Result
from core.domain.errors import Code, PlatformError
from core.domain.review import Kind, status_code
from core.services import catalog

DELETED = "return successfully!"
MAX_LIST = 100


def _actor(call: Call) -> str:
    return f"customer:{call.key.secret_id}"


def _sign_input(call: Call) -> catalog.SignInput:
    return catalog.SignInput(
        name=call.text("SignName"),
        sign_type=call.integer("SignType"),
        document_type=call.integer("DocumentType"),
        sign_purpose=call.integer("SignPurpose"),
        international=call.integer("International"),
        proof_image=call.text("ProofImage"),
        commission_image=call.text("CommissionImage", required=False),
        remark=call.text("Remark", required=False),
        qualification_id=call.integer("QualificationId", required=False),
    )


def _template_input(call: Call) -> catalog.TemplateInput:
    return catalog.TemplateInput(
        name=call.text("TemplateName"),
        content=call.text("TemplateContent"),
        sms_type=call.integer("SmsType"),
        international=call.integer("International"),
        remark=call.text("Remark"),
    )


def _page(call: Call, ids_field: str) -> tuple[int, list[int], int, int]:
    international = call.integer("International")
    if international not in (0, 1):
        raise PlatformError(Code.INVALID_INTERNATIONAL)
    ids = call.integer_list(ids_field, max_items=MAX_LIST)
    limit = call.integer("Limit", required=False, default=10)
    offset = call.integer("Offset", required=False, default=0)
    if not ids and not 0 < limit <= MAX_LIST:
        raise PlatformError(Code.LIMIT_VERIFY_FAIL, f"Limit must be between 1 and {MAX_LIST}.")
    if offset < 0:
        raise PlatformError(Code.OFFSET_VERIFY_FAIL)
    return international, ids, (len(ids) if ids else limit), (0 if ids else offset)


def _outcome(action_field: str, value: int) -> dict[str, Any]:
    return {"code": "Ok", action_field: value}


async def add_sms_sign(call: Call) -> Result:
    sign_id = await catalog.add_signature(call.state.platform, call.key.account, _sign_input(call))
    return {"AddSignStatus": {"SignId": sign_id}}, _outcome("sign_id", sign_id)


async def modify_sms_sign(call: Call) -> Result:
    sign_id = call.integer("SignId")
    await catalog.modify_signature(
        call.state.platform,
        call.key.account,
        sign_id,
        _sign_input(call),
        actor=_actor(call),
    )
    return {"ModifySignStatus": {"SignId": sign_id}}, _outcome("sign_id", sign_id)


async def delete_sms_sign(call: Call) -> Result:
    sign_id = call.integer("SignId")
    at = await catalog.delete_item(
        call.state.platform, Kind.SIGNATURE, call.key.account, sign_id, actor=_actor(call)
    )
    body = {"DeleteSignStatus": {"DeleteStatus": DELETED, "DeleteTime": int(at.timestamp())}}
    return body, _outcome("sign_id", sign_id)


async def describe_sms_sign_list(call: Call) -> Result:
    international, ids, limit, offset = _page(call, "SignIdSet")
    rows = await catalog.signatures(
        call.state.platform, call.key.account.id, international=bool(international), ids=ids, limit=limit,
        offset=offset,
    )  # fmt: skip
    items = [
        {
            "SignId": r.id,
            "International": int(r.international),
            "StatusCode": status_code(r.status),
            "ReviewReply": r.review_reply,
            "SignName": r.name,
            "CreateTime": int(r.created_at.timestamp()),
            "QualificationId": 0 if r.international else r.qualification_id,
            "QualificationName": "",
            "QualificationStatusCode": 1 if r.qualification_id else 0,
        }
        for r in rows
    ]
    return {"DescribeSignListStatusSet": items}, {"code": "Ok", "count": len(items)}


async def add_sms_template(call: Call) -> Result:
    template_id = await catalog.add_template(call.state.platform, call.key.account, _template_input(call))
    body = {"AddTemplateStatus": {"TemplateId": str(template_id)}}  # a string here, as the SDK models it
    return body, _outcome("template_id", template_id)


async def modify_sms_template(call: Call) -> Result:
    template_id = call.integer("TemplateId")
    await catalog.modify_template(
        call.state.platform, call.key.account, template_id, _template_input(call), actor=_actor(call)
    )
    body = {"ModifyTemplateStatus": {"TemplateId": template_id}}
    return body, _outcome("template_id", template_id)


async def delete_sms_template(call: Call) -> Result:
    template_id = call.integer("TemplateId")
    at = await catalog.delete_item(
        call.state.platform, Kind.TEMPLATE, call.key.account, template_id, actor=_actor(call)
    )
    body = {"DeleteTemplateStatus": {"DeleteStatus": DELETED, "DeleteTime": int(at.timestamp())}}
    return body, _outcome("template_id", template_id)


async def describe_sms_template_list(call: Call) -> Result:
    international, ids, limit, offset = _page(call, "TemplateIdSet")
    rows = await catalog.templates(
        call.state.platform, call.key.account.id, international=bool(international), ids=ids, limit=limit,
        offset=offset,
    )  # fmt: skip
    items = [
        {
            "TemplateId": r.id,
            "International": int(r.international),
            "StatusCode": status_code(r.status),
            "ReviewReply": r.review_reply,
            "TemplateName": r.name,
            "CreateTime": int(r.created_at.timestamp()),
            "TemplateContent": r.content,
        }
        for r in rows
    ]
    return {"DescribeTemplateStatusSet": items}, {"code": "Ok", "count": len(items)}


ACTIONS: dict[str, ActionHandler] = {
    "AddSmsSign": add_sms_sign,
    "ModifySmsSign": modify_sms_sign,
    "DeleteSmsSign": delete_sms_sign,
    "DescribeSmsSignList": describe_sms_sign_list,
    "AddSmsTemplate": add_sms_template,
    "ModifySmsTemplate": modify_sms_template,
    "DeleteSmsTemplate": delete_sms_template,
    "DescribeSmsTemplateList": describe_sms_template_list,
}
