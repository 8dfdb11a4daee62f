"""Signature qualifications and their files (spec B4): Add / Update / Delete / Get / Query
USMSSignatureQualification and UploadUSMSFile, on core.services.qualifications. QualificationId is `QUA<id>`,
FileId `FILE<id>`. A qualification's review is the operator's review of the signature that rests on it: it is
approved with that signature."""

from __future__ import annotations

from typing import Any

from api.ucloud import ids
from api.ucloud.wire import INVALID, ActionHandler, Params, Result, UCall, UError
from core.services import qualifications
from core.services.qualifications import MAX_TEXT_CHARS, QualificationFields, QualificationRow

MAX_PAGE = 100
SIGNATURE_QUALIFICATION_SOURCE = 0
# UCloud's text fields -> the platform's.
_TEXTS = {
    "Name": "name",
    "CompanyName": "company_name",
    "CompanyCreditCode": "company_credit_code",
    "HandlerName": "handler_name",
    "HandlerIDNumber": "handler_id_number",
    "HandlerPhone": "handler_phone",
    "ManagerName": "manager_name",
    "ManagerIDNumber": "manager_id_number",
    "ManagerPhone": "manager_phone",
}
# UCloud's ...FileId fields (and the detail's document fields without the suffix) -> the document's part.
_FILES = {
    "CompanyCertificateFileId": "company_certificate",
    "CompanyWorkScenePhotosFileId": "company_work_scene_photos",
    "HandlerIDCardFrontImageFileId": "handler_id_card_front_image",
    "HandlerIDCardBackImageFileId": "handler_id_card_back_image",
    "HandlerHandHeldImageFileId": "handler_hand_held_image",
}
_ORDER_BY = frozenset({"QualificationId", "CreateTime"})  # both follow the id


def _fields(params: Params, base: QualificationFields | None) -> QualificationFields:
    """The form's fields over `base` (Update: what is not given stays)."""
    values: dict[str, Any] = dict(vars(base)) if base else {}
    for wire, name in _TEXTS.items():
        given = params.values.get(wire)
        if given is not None or base is None:
            values[name] = params.text(wire, required=False, max_len=MAX_TEXT_CHARS)
    if base is None or params.values.get("Attr"):
        values["attr"] = params.integer("Attr", required=base is None, high=1)
    values["status"] = params.integer("Status", high=1)
    return QualificationFields(**values)


def _files(params: Params, base: dict[str, int] | None) -> dict[str, int]:
    files = dict(base or {})
    for wire, role in _FILES.items():
        text = params.values.get(wire)
        if text is None:
            continue
        if text == "":
            files.pop(role, None)
            continue
        number = ids.number(ids.FILE, text)
        if number < 0:
            raise UError(INVALID, f"{wire}: {text!r} is not a FileId of this platform")
        files[role] = number
    return files


def _qualification_id(params: Params) -> int:
    text = params.text("QualificationId")
    number = ids.number(ids.QUALIFICATION, text)
    if number < 0:
        raise qualifications.not_found(0)
    return number


async def add_qualification(call: UCall) -> Result:
    params = call.params
    params.text("Name")
    params.text("HandlerPhone")
    fields = _fields(params, None)
    qid = await qualifications.add(call.state.platform, call.key.account.id, fields, _files(params, None))
    return {"QualificationId": ids.code(ids.QUALIFICATION, qid)}, {"code": 0, "qualification_id": qid}


async def update_qualification(call: UCall) -> Result:
    params = call.params
    qid = _qualification_id(params)
    platform, account_id = call.state.platform, call.key.account.id
    found = await qualifications.get(platform, account_id, qid)
    fields = _fields(params, found.fields)
    await qualifications.modify(platform, account_id, qid, fields, _files(params, found.files))
    return {"QualificationId": ids.code(ids.QUALIFICATION, qid)}, {"code": 0, "qualification_id": qid}


async def delete_qualifications(call: UCall) -> Result:
    numbers = ids.numbers(ids.QUALIFICATION, call.params, "QualificationIds")
    await qualifications.delete(call.state.platform, call.key.account.id, numbers)
    return {}, {"code": 0, "count": len(numbers)}


def _summary(row: QualificationRow) -> dict[str, Any]:
    f = row.fields
    return {
        "QualificationId": ids.code(ids.QUALIFICATION, row.id),
        "Name": f.name,
        "Attr": f.attr,
        "Status": f.status,
        "CompanyName": f.company_name,
        "HandlerName": f.handler_name,
        "ManagerName": f.manager_name,
        "AccountId": row.account_id,
        "ErrCode": 0,
        "ErrDesc": row.err_desc,
        "CreateTime": ids.unix(row.created_at),
        "ModifyTime": ids.unix(row.updated_at),
        "ReviewStartTime": ids.unix(row.review_started_at),
        "ReviewEndTime": ids.unix(row.review_ended_at),
    }


async def get_qualifications(call: UCall) -> Result:
    """A page (Page from 0, as the statistics' pages) of the account's qualifications. InAccountIds can only
    narrow the answer to the caller's own account: another's qualifications are never shown."""
    params = call.params
    page = params.integer("Page", high=1_000_000)
    per_page = params.integer("NumPerPage", low=1, high=MAX_PAGE)
    if params.text("OrderBy") not in _ORDER_BY:
        raise UError(INVALID, "OrderBy must be QualificationId or CreateTime")
    order = params.text("OrderType").lower()
    if order not in ("asc", "desc"):
        raise UError(INVALID, "OrderType must be asc or desc")
    status_text = params.text("Status", required=False)
    status = params.integer("Status", high=4) if status_text else None
    attr = (
        params.integer("QualificationAttr", high=1)
        if params.text("QualificationAttr", required=False)
        else None
    )
    accounts = params.text_list("InAccountIds", required=False)
    if accounts and str(call.key.account.id) not in accounts:
        return {"Total": 0, "Data": []}, {"code": 0, "count": 0}
    rows, total = await qualifications.page(
        call.state.platform,
        call.key.account.id,
        status=status,
        attr=attr,
        descending=order == "desc",
        limit=per_page,
        offset=page * per_page,
    )
    return {"Total": total, "Data": [_summary(r) for r in rows]}, {"code": 0, "count": len(rows)}


async def query_qualification(call: UCall) -> Result:
    row = await qualifications.get(call.state.platform, call.key.account.id, _qualification_id(call.params))
    f = row.fields
    documents = {
        wire.removesuffix("Id"): ids.code(ids.FILE, row.files[role]) if role in row.files else ""
        for wire, role in _FILES.items()
    }
    data = {
        **_summary(row),
        "CompanyCreditCode": f.company_credit_code,
        "HandlerIDNumber": f.handler_id_number,
        "HandlerPhone": f.handler_phone,
        "ManagerIDNumber": f.manager_id_number,
        "ManagerPhone": f.manager_phone,
        # Documents are shown to operators only: the customer reads back which file plays which part.
        **documents,
        "PowerOfAttorney": "",
    }
    return {"Data": data}, {"code": 0, "qualification_id": row.id}


async def upload_file(call: UCall) -> Result:
    params = call.params
    content = params.text("FileContent")
    name = params.text("FileName")
    source = params.integer("Source", high=2**31 - 1)
    if source != SIGNATURE_QUALIFICATION_SOURCE:
        raise UError(INVALID, "Source must be 0 (a signature qualification's document)")
    params.text("FileType", required=False, max_len=100)  # the claim; the platform recognises the content
    file_id = await qualifications.upload(call.state.platform, call.key.account.id, name, content)
    return {"FileId": ids.code(ids.FILE, file_id)}, {"code": 0, "file_id": file_id}


ACTIONS: dict[str, ActionHandler] = {
    "AddUSMSSignatureQualification": add_qualification,
    "UpdateUSMSSignatureQualification": update_qualification,
    "DeleteUSMSSignatureQualification": delete_qualifications,
    "GetUSMSSignatureQualification": get_qualifications,
    "QueryUSMSSignatureQualification": query_qualification,
    "UploadUSMSFile": upload_file,
}
