"""Templates and signatures (add_, mod_, del_, get_ template and sign): core.services.catalog, the same checks
and review as API 3.0."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from api.legacy_v5.call import Answer, V5Call, authenticated_app
from api.legacy_v5.catalog_wire import (
    SignBody,
    TemplateBody,
    parse_ids,
    parse_listing,
    parse_sign,
    parse_template,
)
from api.legacy_v5.codes import OK, legacy_status
from core.domain.review import Kind
from core.domain.sending import AppContext
from core.services import catalog


def _actor(app: AppContext) -> str:
    return f"customer:v5:{app.sdk_app_id}"


def _stamp(call: V5Call, at: datetime) -> str:
    return at.astimezone(ZoneInfo(call.state.settings.timezone)).strftime("%Y-%m-%d %H:%M:%S")


def _template_input(body: TemplateBody) -> catalog.TemplateInput:
    return catalog.TemplateInput(
        name=body.title,
        content=body.text,
        sms_type=body.sms_type,
        international=body.international,
        remark=body.remark,
    )


def _template_status(template_id: int, body: TemplateBody) -> Answer:
    """add_template / mod_template: a submission always starts waiting for review (status 1)."""
    data = {"id": template_id, "text": body.text, "status": legacy_status("pending"),
            "type": body.sms_type, "international": body.international}  # fmt: skip
    return {"result": OK, "errmsg": "OK", "data": data}


async def add_template(call: V5Call) -> Answer:
    app = await authenticated_app(call)
    body = parse_template(call.body, modify=False)
    account = app.context.key.account
    template_id = await catalog.add_template(call.state.platform, account, _template_input(body))
    return _template_status(template_id, body)


async def mod_template(call: V5Call) -> Answer:
    app = await authenticated_app(call)
    body = parse_template(call.body, modify=True)
    assert body.tpl_id is not None
    await catalog.modify_template(
        call.state.platform, app.context.key.account, body.tpl_id, _template_input(body), actor=_actor(app)
    )
    return _template_status(body.tpl_id, body)


async def _delete(call: V5Call, kind: Kind, field: str) -> Answer:
    """del_template / del_sign: each id in turn; the first refusal (unknown or already deleted) is the answer,
    the ids before it stay deleted."""
    app = await authenticated_app(call)
    for item_id in parse_ids(call.body, field):
        await catalog.delete_item(
            call.state.platform, kind, app.context.key.account, item_id, actor=_actor(app)
        )
    return {"result": OK, "errmsg": "OK"}


async def del_template(call: V5Call) -> Answer:
    return await _delete(call, Kind.TEMPLATE, "tpl_id")


async def del_sign(call: V5Call) -> Answer:
    return await _delete(call, Kind.SIGNATURE, "sign_id")


async def get_template(call: V5Call) -> Answer:
    app = await authenticated_app(call)
    listing = parse_listing(call.body, "tpl_id", "tpl_page")
    account_id = app.context.key.account.id
    rows = await catalog.templates(
        call.state.platform, account_id, international=None, ids=listing.ids,
        limit=len(listing.ids) or listing.max, offset=listing.offset,
    )  # fmt: skip
    total = (
        len(rows) if listing.ids else await catalog.count_live(call.state.platform, Kind.TEMPLATE, account_id)
    )
    data = [
        {
            "id": r.id,
            "international": int(r.international),
            "reply": r.review_reply,
            "status": legacy_status(r.status),
            "text": r.content,
            "type": r.sms_type,
            "title": r.name,
            "apply_time": _stamp(call, r.created_at),
            "reply_time": "",  # the catalog keeps no decision time on the item
        }
        for r in rows
    ]
    return {"result": OK, "errmsg": "OK", "total": total, "count": len(data), "data": data}


def _sign_input(body: SignBody) -> catalog.SignInput:
    """The legacy form has only the name, proof image and region: a company (SignType 0) signature for the
    account's own use (SignPurpose 0), proved by a business licence (DocumentType 1)."""
    return catalog.SignInput(
        name=body.text,
        sign_type=0,
        document_type=1,
        sign_purpose=0,
        international=body.international,
        proof_image=body.pic,
        remark=body.remark,
    )


def _sign_status(sign_id: int, body: SignBody) -> Answer:
    data = {"id": sign_id, "international": body.international, "status": legacy_status("pending"),
            "text": body.text.strip()}  # fmt: skip
    return {"result": OK, "errmsg": "OK", "data": data}


async def add_sign(call: V5Call) -> Answer:
    app = await authenticated_app(call)
    body = parse_sign(call.body, modify=False)
    sign_id = await catalog.add_signature(call.state.platform, app.context.key.account, _sign_input(body))
    return _sign_status(sign_id, body)


async def mod_sign(call: V5Call) -> Answer:
    app = await authenticated_app(call)
    body = parse_sign(call.body, modify=True)
    assert body.sign_id is not None
    await catalog.modify_signature(
        call.state.platform, app.context.key.account, body.sign_id, _sign_input(body),
        actor=_actor(app),
    )  # fmt: skip
    return _sign_status(body.sign_id, body)


async def get_sign(call: V5Call) -> Answer:
    app = await authenticated_app(call)
    listing = parse_listing(call.body, "sign_id", None)
    rows = await catalog.signatures(
        call.state.platform, app.context.key.account.id, international=None, ids=listing.ids,
        limit=len(listing.ids), offset=0,
    )  # fmt: skip
    data = [
        {"id": r.id, "international": int(r.international), "reply": r.review_reply,
         "status": legacy_status(r.status), "text": r.name}
        for r in rows
    ]  # fmt: skip
    return {"result": OK, "errmsg": "OK", "count": len(data), "data": data}
