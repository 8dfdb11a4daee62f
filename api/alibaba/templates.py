"""Templates (spec 5): AddSmsTemplate / ModifySmsTemplate / DeleteSmsTemplate / QuerySmsTemplate /
QuerySmsTemplateList and the newer CreateSmsTemplate / UpdateSmsTemplate / GetSmsTemplate / GetSmsTemplateList,
on core.services.catalog (its rules and review). TemplateCode is `SMS_<template id>`; a template keeps the
variable style it was written in (`${name}` here) and sends through either dialect."""

from __future__ import annotations

from typing import Any

from api.alibaba import catalog_wire as vocab
from api.alibaba.sends import template_id
from api.alibaba.wire import ActionHandler, AliCall, Params, Result, invalid
from core.domain.errors import Code, PlatformError
from core.domain.review import Kind
from core.services import catalog

# The platform's SmsType (Tencent's numbering): 0 regular, 1 marketing, 2 notification, 3 verification code.
REGULAR, MARKETING, NOTIFICATION, VERIFICATION = 0, 1, 2, 3
# Alibaba's public TemplateType: 0 verification code, 1 notification, 2 promotional, 3 international.
PUBLIC_VERIFICATION, PUBLIC_NOTIFICATION, PUBLIC_PROMOTION, PUBLIC_INTERNATIONAL = 0, 1, 2, 3
_FROM_PUBLIC = {
    PUBLIC_VERIFICATION: VERIFICATION,
    PUBLIC_NOTIFICATION: NOTIFICATION,
    PUBLIC_PROMOTION: MARKETING,
}
# IntlType of an international template: 0 notification, 1 promotional, 2 verification code.
_FROM_INTL = {0: NOTIFICATION, 1: MARKETING, 2: VERIFICATION}
_TO_INTL = {REGULAR: 0, NOTIFICATION: 0, MARKETING: 1, VERIFICATION: 2}
# QuerySmsTemplateList's TemplateType is Alibaba's internal numbering: 0 notification, 1 promotional,
# 2 verification code, 6 international.
_INTERNAL = {REGULAR: 0, NOTIFICATION: 0, MARKETING: 1, VERIFICATION: 2}
INTERNAL_INTERNATIONAL = 6
USER_CREATED = 2  # GetSmsTemplate's TemplateTag


def public_type(row: catalog.TemplateRow) -> int:
    if row.international:
        return PUBLIC_INTERNATIONAL
    return {VERIFICATION: PUBLIC_VERIFICATION, MARKETING: PUBLIC_PROMOTION}.get(
        row.sms_type, PUBLIC_NOTIFICATION
    )


def internal_type(row: catalog.TemplateRow) -> int:
    return INTERNAL_INTERNATIONAL if row.international else _INTERNAL[row.sms_type]


def _actor(call: AliCall) -> str:
    return f"customer:{call.key.secret_id}"


def _types(params: Params, *, newer: bool) -> tuple[int, int]:
    """TemplateType (and IntlType for an international one, newer calls) -> (SmsType, International)."""
    public = params.integer("TemplateType", low=0, high=2**31 - 1)
    # Checked whenever sent, so a bad one is refused even where it would not be used.
    intl = params.integer("IntlType", required=False, default=0, low=0, high=2) if newer else 0
    if public in _FROM_PUBLIC:
        return _FROM_PUBLIC[public], 0
    if public != PUBLIC_INTERNATIONAL:
        raise invalid(
            "TemplateType must be 0 (verification code), 1 (notification), 2 (promotional) or 3 (international)."
        )
    return _FROM_INTL[intl], 1


def _template_input(params: Params, *, newer: bool) -> catalog.TemplateInput:
    sms_type, international = _types(params, newer=newer)
    if newer:
        params.text("RelatedSignName", required=False)
        params.json_value("TemplateRule", required=False)  # variable kinds: checked as JSON, not kept
        params.text("TrafficDriving", required=False)
        params.text("ApplySceneContent", required=False, max_len=500)
        vocab.no_files(params)
    return catalog.TemplateInput(
        name=params.text("TemplateName"),
        content=params.text("TemplateContent"),
        sms_type=sms_type,
        international=international,
        remark=params.text("Remark", required=False),
    )


async def _found(call: AliCall, code: str) -> catalog.TemplateRow:
    found = await catalog.template(call.state.platform, call.key.account.id, template_id(code))
    if found is None:
        raise PlatformError(Code.TEMPLATE_ID_NOT_EXIST, f"No template {code!r}.")
    return found


async def _add(call: AliCall, *, newer: bool) -> tuple[int, catalog.TemplateInput]:
    template = _template_input(call.params, newer=newer)
    return await catalog.add_template(call.state.platform, call.key.account, template), template


async def _modify(call: AliCall, *, newer: bool) -> tuple[int, catalog.TemplateInput]:
    code = call.params.text("TemplateCode")
    template = _template_input(call.params, newer=newer)
    item_id = template_id(code)
    await catalog.modify_template(
        call.state.platform, call.key.account, item_id, template, actor=_actor(call)
    )
    return item_id, template


async def add_sms_template(call: AliCall) -> Result:
    item_id, _ = await _add(call, newer=False)
    return {"TemplateCode": f"SMS_{item_id}"}, {"code": "OK", "template_id": item_id}


async def create_sms_template(call: AliCall) -> Result:
    item_id, template = await _add(call, newer=True)
    body = {"TemplateCode": f"SMS_{item_id}", "TemplateName": template.name.strip(), "OrderId": str(item_id)}
    return body, {"code": "OK", "template_id": item_id}


async def modify_sms_template(call: AliCall) -> Result:
    item_id, _ = await _modify(call, newer=False)
    return {"TemplateCode": f"SMS_{item_id}"}, {"code": "OK", "template_id": item_id}


async def update_sms_template(call: AliCall) -> Result:
    item_id, template = await _modify(call, newer=True)
    body = {"TemplateCode": f"SMS_{item_id}", "TemplateName": template.name.strip(), "OrderId": str(item_id)}
    return body, {"code": "OK", "template_id": item_id}


async def delete_sms_template(call: AliCall) -> Result:
    code = call.params.text("TemplateCode")
    item_id = template_id(code)
    await catalog.delete_item(
        call.state.platform, Kind.TEMPLATE, call.key.account, item_id, actor=_actor(call)
    )
    return {"TemplateCode": code}, {"code": "OK", "template_id": item_id}


async def query_sms_template(call: AliCall) -> Result:
    found = await _found(call, call.params.text("TemplateCode"))
    body = {
        "TemplateCode": f"SMS_{found.id}",
        "TemplateName": found.name,
        "TemplateContent": found.content,
        "TemplateType": public_type(found),
        "TemplateStatus": vocab.status_number(found.status),
        "Reason": found.review_reply,
        "CreateDate": vocab.stamp(call, found.created_at),
    }
    return body, {"code": "OK", "template_id": found.id}


async def get_sms_template(call: AliCall) -> Result:
    found = await _found(call, call.params.text("TemplateCode"))
    body: dict[str, Any] = {
        "TemplateCode": f"SMS_{found.id}",
        "TemplateName": found.name,
        "TemplateContent": found.content,
        # Strings in this answer, as the SDK models them (numbers in QuerySmsTemplate's).
        "TemplateType": str(public_type(found)),
        "TemplateStatus": str(vocab.status_number(found.status)),
        "TemplateTag": USER_CREATED,
        "IntlType": _TO_INTL[found.sms_type] if found.international else 0,
        "VariableAttribute": "",
        "RelatedSignName": "",
        "OrderId": str(found.id),
        "Remark": found.remark,
        "CreateDate": vocab.stamp(call, found.created_at),
        "ApplyScene": "",
        "AuditInfo": {
            "AuditDate": vocab.decided_at(call, found.status, found.updated_at),
            "RejectInfo": found.review_reply if found.status == "rejected" else "",
        },
        "FileUrlList": {"FileUrl": []},
        "MoreDataFileUrlList": {"MoreDataFileUrl": []},
        "SignList": {"SignList": []},
        "VendorAuditStatus": {},
    }
    return body, {"code": "OK", "template_id": found.id}


async def _page(call: AliCall, ids: list[int]) -> tuple[int, int, int, list[catalog.TemplateRow]]:
    limit, offset = vocab.page(call.params)
    platform, account_id = call.state.platform, call.key.account.id
    rows = await catalog.templates(
        platform, account_id, international=None, ids=ids, limit=limit, offset=offset
    )
    total = len(rows) if ids else await catalog.count_live(platform, Kind.TEMPLATE, account_id)
    return limit, offset, total, rows


async def query_sms_template_list(call: AliCall) -> Result:
    limit, offset, total, rows = await _page(call, [])
    items = [
        {
            "TemplateCode": f"SMS_{r.id}",
            "TemplateName": r.name,
            "TemplateContent": r.content,
            "AuditStatus": vocab.audit_state(r.status),
            "CreateDate": vocab.stamp(call, r.created_at),
            "OrderId": str(r.id),
            "SignatureName": "",
            "TrafficDriving": "",
            "Reason": vocab.reject_reason(call, r.status, r.review_reply, r.updated_at),
            "TemplateType": internal_type(r),
            "OuterTemplateType": public_type(r),
        }
        for r in rows
    ]
    body = {
        "CurrentPage": offset // limit + 1,
        "PageSize": limit,
        "TotalCount": total,
        "SmsTemplateList": items,
    }
    return body, {"code": "OK", "count": len(items)}


_UNFILTERED = ("SignName", "TemplateName", "TemplateType", "AuditStatus", "TemplateTag", "UsableStateList")


async def get_sms_template_list(call: AliCall) -> Result:
    params = call.params
    for name in _UNFILTERED:
        if params.text(name, required=False) not in ("", "[]"):
            raise invalid(f"Filtering templates by {name} is not offered by this platform.")
    code = params.text("TemplateCode", required=False)
    ids = [template_id(code)] if code else []
    limit, offset, total, rows = await _page(call, ids)
    items = [
        {
            "TemplateCode": f"SMS_{r.id}",
            "TemplateName": r.name,
            "TemplateContent": r.content,
            "TemplateType": public_type(r),
            "AuditStatus": vocab.status_number(r.status),
            "SignName": "",
            "GmtCreate": vocab.stamp(call, r.created_at),
            "WorkOrderId": str(r.id),
            "UsableStateList": [],
            "TemplateTag": [],
        }
        for r in rows
    ]
    data = {"PageNo": offset // limit + 1, "PageSize": limit, "Total": total, "List": items}
    return {"Success": True, "AccessDeniedDetail": "", "Data": data}, {"code": "OK", "count": len(items)}


ACTIONS: dict[str, ActionHandler] = {
    "AddSmsTemplate": add_sms_template,
    "ModifySmsTemplate": modify_sms_template,
    "DeleteSmsTemplate": delete_sms_template,
    "QuerySmsTemplate": query_sms_template,
    "QuerySmsTemplateList": query_sms_template_list,
    "CreateSmsTemplate": create_sms_template,
    "UpdateSmsTemplate": update_sms_template,
    "GetSmsTemplate": get_sms_template,
    "GetSmsTemplateList": get_sms_template_list,
}
