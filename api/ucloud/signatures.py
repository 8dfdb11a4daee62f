"""Signatures (spec B4, B5): CreateUSMSSignature / UpdateUSMSSignature / DeleteUSMSSignature /
QueryUSMSSignature on core.services.catalog (its rules, documents and review). SigId is `SIG<id>`. A signature
may rest on one of the account's qualifications (QualificationId): then its File is optional, and the
reviewer sees the qualification's documents. Editable while pending, under review or rejected (the seed)."""

from __future__ import annotations

import re

from api.ucloud import ids
from api.ucloud.wire import INVALID, MISSING, ActionHandler, Params, Result, UCall, UError
from core.domain.errors import Code, PlatformError
from core.domain.review import Kind
from core.services import catalog, qualifications

MAX_DESCRIPTION_CHARS = 300
MAX_SCENE_CHARS = 190  # with the description, within the platform's 500-character remark
# UCloud's SigType -> the platform's sign type (the same numbering: 0 company, 1 app, 2 website, 3 official
# account, 4 trademark, 5 government or organisation) and the document its CertificateType (which must equal
# the SigType) stands for: 0 three-in-one licence, 1 app back-office screenshot, 4 trademark registration, 5
# unified social credit code. Websites and official accounts are refused by the platform's rules (S1).
_DOCUMENTS = {0: 0, 1: 4, 2: 0, 3: 0, 4: 7, 5: 3}
# Review status (spec B5): 0 pending, 1 under review, 2 approved, 3 rejected; 4 (disabled) is never reached:
# a deleted signature is not found.
STATUS = {"pending": 0, "reviewing": 1, "approved": 2, "rejected": 3}
# UCloud's documents may come as `image/jpeg;base64,<data>`; the platform takes the base64 alone.
_PREFIX = re.compile(r"\s*(?:data:)?[A-Za-z]+/[\w.+-]+;base64,", re.ASCII)


def _actor(call: UCall) -> str:
    return f"customer:{call.key.secret_id}"


def _file(params: Params, name: str) -> str:
    return _PREFIX.sub("", params.text(name, required=False), count=1)


def _kinds(params: Params, *, certificate_required: bool) -> tuple[int, int, int]:
    """(sign type, document type, sign purpose) from SigType, CertificateType and SigPurpose."""
    sig_type = params.integer("SigType", high=5)
    certificate = params.integer("CertificateType", required=certificate_required, default=sig_type, high=5)
    if certificate != sig_type:
        raise UError(INVALID, "CertificateType must match SigType")
    purpose = params.integer("SigPurpose", high=1)
    return sig_type, _DOCUMENTS[sig_type], purpose


def _proxy(params: Params, purpose: int) -> str:
    proxy = _file(params, "ProxyFile")
    if purpose == 1 and not proxy:
        raise UError(MISSING, "ProxyFile (the authorization letter) is required when SigPurpose is 1")
    return proxy


async def create_signature(call: UCall) -> Result:
    params = call.params
    name = params.text("SigContent")
    sign_type, document_type, purpose = _kinds(params, certificate_required=True)
    description = params.text("Description", max_len=MAX_DESCRIPTION_CHARS)
    scene = params.text("SceneDesc", required=False, max_len=MAX_SCENE_CHARS)
    international = params.boolean("International")
    proof = _file(params, "File")
    proxy = _proxy(params, purpose)
    qualification_text = params.text("QualificationId", required=False)
    qualification = 0
    if qualification_text:
        qualification = ids.number(ids.QUALIFICATION, qualification_text)
        if qualification < 0:
            raise qualifications.not_found(0)
        await qualifications.require_referenceable(call.state.platform, call.key.account.id, qualification)
    elif not proof:
        raise UError(MISSING, "File (the certificate) is required unless a QualificationId is given")
    sign = catalog.SignInput(
        name=name,
        sign_type=sign_type,
        document_type=document_type,
        sign_purpose=purpose,
        international=int(international),
        proof_image=proof,
        commission_image=proxy,
        remark=f"{description}\n{scene}" if scene else description,
        qualification_id=qualification,
        documents_in_qualification=bool(qualification),
    )
    sign_id = await catalog.add_signature(call.state.platform, call.key.account, sign)
    return {"SigId": ids.code(ids.SIGNATURE, sign_id), "SigContent": sign.name.strip()}, {
        "code": 0,
        "sign_id": sign_id,
    }


async def _owned(call: UCall, text: str) -> catalog.SignRow:
    sign_id = ids.number(ids.SIGNATURE, text)
    found = (
        await catalog.signature(call.state.platform, call.key.account.id, sign_id) if sign_id >= 0 else None
    )
    if found is None:
        raise PlatformError(Code.SIGN_ID_NOT_EXIST, f"Signature {text} does not exist.")
    return found


async def update_signature(call: UCall) -> Result:
    """Resubmits for review. Without a new File the one on file (or the qualification's documents) stays."""
    params = call.params
    found = await _owned(call, params.text("SigId"))
    name = params.text("SigContent")
    sign_type, document_type, purpose = _kinds(params, certificate_required=False)
    scene = params.text("SceneDesc", required=False, max_len=MAX_SCENE_CHARS)
    description = found.remark.split("\n", 1)[0]
    sign = catalog.SignInput(
        name=name,
        sign_type=sign_type,
        document_type=document_type,
        sign_purpose=purpose,
        international=int(found.international),
        proof_image=_file(params, "File"),
        commission_image=_proxy(params, purpose),
        remark=f"{description}\n{scene}" if scene else found.remark,
        qualification_id=found.qualification_id,
        documents_in_qualification=bool(found.qualification_id),
        keep_proof=True,
    )
    await catalog.modify_signature(call.state.platform, call.key.account, found.id, sign, actor=_actor(call))
    return {}, {"code": 0, "sign_id": found.id}


async def delete_signatures(call: UCall) -> Result:
    """All or none: every SigId must be one of the account's live signatures."""
    texts = call.params.text_list("SigIds", max_items=100)
    found = [await _owned(call, text) for text in texts]
    for sign in {s.id: s for s in found}.values():
        await catalog.delete_item(
            call.state.platform, Kind.SIGNATURE, call.key.account, sign.id, actor=_actor(call)
        )
    return {}, {"code": 0, "count": len(found)}


async def query_signature(call: UCall) -> Result:
    params = call.params
    sig_id = params.text("SigId", required=False)
    content = params.text("SigContent", required=False)
    if sig_id:
        found: catalog.SignRow | None = await _owned(call, sig_id)
    elif content:
        found = await catalog.signature_named(call.state.platform, call.key.account.id, content)
    else:
        raise UError(MISSING, "Missing parameter: SigId or SigContent")
    if found is None:
        raise PlatformError(Code.SIGN_ID_NOT_EXIST, f"No signature {content!r}.")
    data = {
        "SigId": ids.code(ids.SIGNATURE, found.id),
        "SigContent": found.name,
        "Status": STATUS.get(found.status, 0),
        "ErrDesc": found.review_reply if found.status == "rejected" else "",
    }
    return {"Data": data}, {"code": 0, "sign_id": found.id}


ACTIONS: dict[str, ActionHandler] = {
    "CreateUSMSSignature": create_signature,
    "UpdateUSMSSignature": update_signature,
    "DeleteUSMSSignature": delete_signatures,
    "QueryUSMSSignature": query_signature,
}
