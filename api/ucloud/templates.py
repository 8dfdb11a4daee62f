"""Templates (spec B4, B5): CreateUSMSTemplate / UpdateUSMSTemplate / DeleteUSMSTemplate / QueryUSMSTemplate on
core.services.catalog. TemplateId is `UTA<id>` (what SendUSMSMessage takes). A domestic marketing template
(Purpose 3) needs UnsubscribeInfo (`拒收请回复R`): it is appended to the content unless the content already
carries it, and the platform's rule T3 then checks the result is an unsubscribe instruction."""

from __future__ import annotations

from api.ucloud import ids
from api.ucloud.sends import template_code, template_number
from api.ucloud.wire import MISSING, ActionHandler, Params, Result, UCall, UError
from core.domain.errors import Code, PlatformError
from core.domain.review import Kind
from core.services import catalog

MAX_NAME_CHARS = 32
MAX_TEMPLATE_CHARS = 500
MAX_NOTE_CHARS = 500
MARKETING_PURPOSE = 3
# Purpose (1 verification code, 2 notification, 3 marketing) <-> the platform's SmsType (Tencent's numbering:
# 3 verification code, 2 notification, 1 marketing; 0, "regular", reads as a notification).
_SMS_TYPES = {1: 3, 2: 2, 3: 1}
_PURPOSES = {3: 1, 2: 2, 1: 3, 0: 2}
STATUS = {"pending": 0, "reviewing": 1, "approved": 2, "rejected": 3}


def _actor(call: UCall) -> str:
    return f"customer:{call.key.secret_id}"


def _content(template: str, purpose: int, international: bool, unsubscribe: str) -> tuple[str, str]:
    """The content as it will be sent and the unsubscribe instruction kept with it."""
    if purpose != MARKETING_PURPOSE or international:
        return template, ""
    if not unsubscribe.strip():
        raise UError(MISSING, "UnsubscribeInfo is required for a domestic marketing template (Purpose 3)")
    unsubscribe = unsubscribe.strip()
    return (template if unsubscribe in template else template + unsubscribe), unsubscribe


def _notes(params: Params, found: catalog.TemplateRow | None = None) -> tuple[str, str]:
    remark = params.text(
        "Remark", required=False, max_len=MAX_NOTE_CHARS, default=found.remark if found else ""
    )
    instruction = params.text(
        "Instruction", required=False, max_len=MAX_NOTE_CHARS, default=found.instruction if found else ""
    )
    return remark, instruction


async def create_template(call: UCall) -> Result:
    params = call.params
    purpose = params.integer("Purpose", low=1, high=3)
    name = params.text("TemplateName", max_len=MAX_NAME_CHARS)
    template = params.text("Template", max_len=MAX_TEMPLATE_CHARS)
    international = params.boolean("International")
    remark, instruction = _notes(params)
    content, unsubscribe = _content(
        template, purpose, international, params.text("UnsubscribeInfo", required=False, max_len=50)
    )
    template_id = await catalog.add_template(
        call.state.platform,
        call.key.account,
        catalog.TemplateInput(
            name=name,
            content=content,
            sms_type=_SMS_TYPES[purpose],
            international=int(international),
            remark=remark,
            unsubscribe_info=unsubscribe,
            instruction=instruction,
        ),
    )
    return {"TemplateId": template_code(template_id)}, {"code": 0, "template_id": template_id}


async def _owned(call: UCall, text: str) -> catalog.TemplateRow:
    number = template_number(text)
    found = await catalog.template(call.state.platform, call.key.account.id, number) if number >= 0 else None
    if found is None:
        raise PlatformError(Code.TEMPLATE_ID_NOT_EXIST, f"Template {text} does not exist.")
    return found


async def update_template(call: UCall) -> Result:
    """Resubmits for review; what is not given (TemplateName, Remark, Instruction) stays."""
    params = call.params
    found = await _owned(call, params.text("TemplateId"))
    template = params.text("Template", max_len=MAX_TEMPLATE_CHARS)
    name = params.text("TemplateName", required=False, max_len=MAX_NAME_CHARS, default=found.name)
    remark, instruction = _notes(params, found)
    purpose = _PURPOSES[found.sms_type]
    unsubscribe = params.text("UnsubscribeInfo", required=False, max_len=50, default=found.unsubscribe_info)
    content, unsubscribe = _content(template, purpose, found.international, unsubscribe)
    await catalog.modify_template(
        call.state.platform,
        call.key.account,
        found.id,
        catalog.TemplateInput(
            name=name or found.name,
            content=content,
            sms_type=found.sms_type,
            international=int(found.international),
            remark=remark,
            unsubscribe_info=unsubscribe,
            instruction=instruction,
        ),
        actor=_actor(call),
    )
    return {}, {"code": 0, "template_id": found.id}


async def delete_templates(call: UCall) -> Result:
    """All or none: every TemplateId must be one of the account's live templates."""
    texts = call.params.text_list("TemplateIds", max_items=100)
    found = [await _owned(call, text) for text in texts]
    for template in {t.id: t for t in found}.values():
        await catalog.delete_item(
            call.state.platform, Kind.TEMPLATE, call.key.account, template.id, actor=_actor(call)
        )
    return {}, {"code": 0, "count": len(found)}


async def query_template(call: UCall) -> Result:
    found = await _owned(call, call.params.text("TemplateId"))
    data = {
        "TemplateId": template_code(found.id),
        "TemplateName": found.name,
        "Template": found.content,
        "Purpose": _PURPOSES[found.sms_type],
        "Status": STATUS.get(found.status, 0),
        "ErrDesc": found.review_reply if found.status == "rejected" else "",
        "Remark": found.remark,
        "Instruction": found.instruction,
        "UnsubscribeInfo": found.unsubscribe_info,
        "CreateTime": ids.unix(found.created_at),
    }
    return {"Data": data}, {"code": 0, "template_id": found.id}


ACTIONS: dict[str, ActionHandler] = {
    "CreateUSMSTemplate": create_template,
    "UpdateUSMSTemplate": update_template,
    "DeleteUSMSTemplate": delete_templates,
    "QueryUSMSTemplate": query_template,
}
