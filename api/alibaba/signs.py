"""Signatures (spec 5): AddSmsSign / ModifySmsSign / DeleteSmsSign / QuerySmsSign / QuerySmsSignList and the
newer CreateSmsSign / UpdateSmsSign / GetSmsSign, on core.services.catalog (its rules, documents and review).
Alibaba names a signature by its SignName, never an id; another account's is simply not found."""

from __future__ import annotations

import re
from typing import Any

from api.alibaba import catalog_wire as vocab
from api.alibaba.wire import ActionHandler, AliCall, AliError, Params, Result, invalid
from core.domain.errors import Code, PlatformError
from core.domain.review import Kind
from core.services import catalog

MAX_REMARK_CHARS = 200  # Alibaba's documented limit for a signature's Remark
FILE_SUFFIXES = frozenset({"jpg", "jpeg", "png", "gif"})
MAX_FILES = 2  # the proof document, then an authorization letter
_FILE_KEY = re.compile(r"SignFileList\.([0-9]{1,3})\.(FileContents|FileSuffix)", re.ASCII)

# SignSource (Alibaba) -> the platform's SignType (Tencent's numbering) and the document that proves it:
# 0 enterprise or institution name -> company (business licence), 1 website -> website, 2 app -> app
# (business licence), 3 official account or mini program -> official account, 5 trademark -> trademark
# (its registration). Website and official-account signatures are refused by the platform's rules (S1).
_SOURCES: dict[int, tuple[int, int]] = {0: (0, 1), 1: (2, 1), 2: (1, 1), 3: (3, 1), 5: (4, 7)}
_E_COMMERCE = 4
_NEWER_SOURCES = frozenset({0, 2, 5})  # CreateSmsSign / UpdateSmsSign (spec 5)
# GetSmsSign's SignTag: 2, created by the customer.
USER_CREATED = "2"


def _actor(call: AliCall) -> str:
    return f"customer:{call.key.secret_id}"


def _source(params: Params, allowed: frozenset[int] | None = None) -> tuple[int, int]:
    source = params.integer("SignSource", low=0, high=5)
    if source == _E_COMMERCE:
        raise invalid("SignSource 4 (e-commerce store) is not offered by this platform.")
    if allowed is not None and source not in allowed:
        raise invalid("SignSource must be 0, 2 or 5 for this action.")
    return _SOURCES[source]


def _sign_type(params: Params) -> None:
    # 0 verification codes, 1 general: accepted; the platform does not restrict a signature to a template type.
    params.integer("SignType", required=False, default=1, low=0, high=1)


def _files(params: Params) -> list[str]:
    """SignFileList.N.FileContents / .FileSuffix (N from 1, flattened in the form body or the query): the
    base64 files, in order. Their content is checked by the platform as any signature document (S1)."""
    found: dict[int, dict[str, str]] = {}
    for key, value in params.values.items():
        match = _FILE_KEY.fullmatch(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    if not found:
        raise AliError("MissingSignFileList", "SignFileList is mandatory for this action.", 400)
    if sorted(found) != list(range(1, len(found) + 1)):
        raise invalid("SignFileList is numbered from 1 without gaps.")
    if len(found) > MAX_FILES:
        raise invalid(
            f"SignFileList holds at most {MAX_FILES} files: the proof, then an authorization letter."
        )
    contents: list[str] = []
    for index in sorted(found):
        item = found[index]
        suffix = item.get("FileSuffix", "").lower()
        if suffix not in FILE_SUFFIXES:
            raise invalid(f"SignFileList.{index}.FileSuffix must be jpg, jpeg, png or gif.")
        if not item.get("FileContents"):
            raise invalid(f"SignFileList.{index}.FileContents is missing.")
        contents.append(item["FileContents"])
    return contents


def _sign_input(params: Params) -> catalog.SignInput:
    """AddSmsSign / ModifySmsSign: the first file proves the signature, a second is the authorization letter."""
    name = params.text("SignName")
    sign_type, document_type = _source(params)
    _sign_type(params)
    remark = params.text("Remark", required=False, max_len=MAX_REMARK_CHARS)
    files = _files(params)
    return catalog.SignInput(
        name=name,
        sign_type=sign_type,
        document_type=document_type,
        sign_purpose=0,
        international=0,
        proof_image=files[0],
        commission_image=files[1] if len(files) > 1 else "",
        remark=remark,
    )


def _newer_sign_input(params: Params) -> catalog.SignInput:
    """CreateSmsSign / UpdateSmsSign: no files; the documents are the qualification's. The platform has no
    qualification objects yet: any positive QualificationId is accepted and kept as the signature's reference,
    unchecked. ThirdParty (for another party) needs the authorization letter, which these calls cannot carry."""
    name = params.text("SignName")
    sign_type, document_type = _source(params, _NEWER_SOURCES)
    _sign_type(params)
    qualification = params.integer("QualificationId", low=1, high=2**63 - 1)
    remark = params.text("Remark", required=False, max_len=MAX_REMARK_CHARS)
    third_party = params.boolean("ThirdParty")
    for name_of_id in ("AppIcpRecordId", "TrademarkId", "AuthorizationLetterId"):
        params.integer(name_of_id, required=False, low=0, high=2**63 - 1)
    params.text("ApplySceneContent", required=False, max_len=500)
    vocab.no_files(params)
    return catalog.SignInput(
        name=name,
        sign_type=sign_type,
        document_type=document_type,
        sign_purpose=1 if third_party else 0,
        international=0,
        proof_image="",
        remark=remark,
        qualification_id=qualification,
        documents_in_qualification=True,
    )


async def _named(call: AliCall, name: str) -> catalog.SignRow:
    found = await catalog.signature_named(call.state.platform, call.key.account.id, name)
    if found is None:
        raise PlatformError(Code.SIGN_ID_NOT_EXIST, f"No signature named {name!r}.")
    return found


async def add_sms_sign(call: AliCall) -> Result:
    sign = _sign_input(call.params)
    sign_id = await catalog.add_signature(call.state.platform, call.key.account, sign)
    return {"SignName": sign.name.strip()}, {"code": "OK", "sign_id": sign_id}


async def create_sms_sign(call: AliCall) -> Result:
    sign = _newer_sign_input(call.params)
    sign_id = await catalog.add_signature(call.state.platform, call.key.account, sign)
    return {"SignName": sign.name.strip(), "OrderId": str(sign_id)}, {"code": "OK", "sign_id": sign_id}


async def _modify(call: AliCall, sign: catalog.SignInput) -> int:
    found = await _named(call, sign.name)
    await catalog.modify_signature(call.state.platform, call.key.account, found.id, sign, actor=_actor(call))
    return found.id


async def modify_sms_sign(call: AliCall) -> Result:
    sign = _sign_input(call.params)
    sign_id = await _modify(call, sign)
    return {"SignName": sign.name.strip()}, {"code": "OK", "sign_id": sign_id}


async def update_sms_sign(call: AliCall) -> Result:
    sign = _newer_sign_input(call.params)
    sign_id = await _modify(call, sign)
    return {"SignName": sign.name.strip(), "OrderId": str(sign_id)}, {"code": "OK", "sign_id": sign_id}


async def delete_sms_sign(call: AliCall) -> Result:
    name = call.params.text("SignName")
    found = await _named(call, name)
    await catalog.delete_item(
        call.state.platform, Kind.SIGNATURE, call.key.account, found.id, actor=_actor(call)
    )
    return {"SignName": found.name}, {"code": "OK", "sign_id": found.id}


async def query_sms_sign(call: AliCall) -> Result:
    found = await _named(call, call.params.text("SignName"))
    body = {
        "SignName": found.name,
        "SignStatus": vocab.status_number(found.status),
        "Reason": found.review_reply,
        "CreateDate": vocab.stamp(call, found.created_at),
    }
    return body, {"code": "OK", "sign_id": found.id}


async def get_sms_sign(call: AliCall) -> Result:
    found = await _named(call, call.params.text("SignName"))
    body: dict[str, Any] = {
        "SignName": found.name,
        "SignCode": f"SIGN_{found.id}",
        "SignStatus": vocab.status_number(found.status),
        "SignTag": USER_CREATED,
        "SignUsage": "",
        "ApplyScene": "",
        "Remark": found.remark,
        "CreateDate": vocab.stamp(call, found.created_at),
        "OrderId": str(found.id),
        "QualificationId": found.qualification_id,
        "ThirdParty": found.sign_purpose == 1,
        "AuditInfo": {
            "AuditDate": vocab.decided_at(call, found.status, found.updated_at),
            "RejectInfo": found.review_reply if found.status == "rejected" else "",
        },
        "FileUrlList": [],  # documents are shown to operators only
        "RegisterResult": -1,  # carrier registration is not tracked: "no status"
        "SignIspRegisterDetailList": [],
        "AppIcpRecordId": 0,
        "TrademarkId": 0,
        "AuthorizationLetterId": 0,
        "AuthorizationLetterAuditPass": False,
    }
    return body, {"code": "OK", "sign_id": found.id}


async def query_sms_sign_list(call: AliCall) -> Result:
    limit, offset = vocab.page(call.params)
    platform, account_id = call.state.platform, call.key.account.id
    rows = await catalog.signatures(
        platform, account_id, international=None, ids=[], limit=limit, offset=offset
    )
    total = await catalog.count_live(platform, Kind.SIGNATURE, account_id)
    items = [
        {
            "SignName": r.name,
            "AuditStatus": vocab.audit_state(r.status),
            "CreateDate": vocab.stamp(call, r.created_at),
            "BusinessType": "",  # Alibaba's verification-code / general split is not kept
            "OrderId": str(r.id),
            "Reason": vocab.reject_reason(call, r.status, r.review_reply, r.updated_at),
            "AppIcpRecordId": 0,
            "TrademarkId": 0,
            "AuthorizationLetterId": 0,
            "authorizationLetterAuditPass": False,  # the SDK's spelling
        }
        for r in rows
    ]
    body = {"CurrentPage": offset // limit + 1, "PageSize": limit, "TotalCount": total, "SmsSignList": items}
    return body, {"code": "OK", "count": len(items)}


ACTIONS: dict[str, ActionHandler] = {
    "AddSmsSign": add_sms_sign,
    "ModifySmsSign": modify_sms_sign,
    "DeleteSmsSign": delete_sms_sign,
    "QuerySmsSign": query_sms_sign,
    "QuerySmsSignList": query_sms_sign_list,
    "CreateSmsSign": create_sms_sign,
    "UpdateSmsSign": update_sms_sign,
    "GetSmsSign": get_sms_sign,
}
