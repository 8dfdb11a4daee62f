"""Signature qualifications (issue 16): the set of documents a signature's review uses, their states, and the
files customers upload for them. Pure: the caller stores what is decided here."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.domain.errors import Code, Rejection
from core.domain.images import Image, decode_image

# Qualification Status (spec B5).
DRAFT, REVIEWING, APPROVED, REJECTED, DISABLED = 0, 1, 2, 3, 4
OWN, THIRD_PARTY = 0, 1
# A customer saves a draft or submits; the other states are the operator's.
CUSTOMER_STATUSES = frozenset({DRAFT, REVIEWING})
EDITABLE = frozenset({DRAFT, REVIEWING, REJECTED})  # as signatures: until approved (the seed's rule)
REFERENCEABLE = frozenset({REVIEWING, APPROVED})  # a signature may rest on a submitted qualification only

MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # UCloud's documented limit for a signature file
MAX_FILE_NAME_CHARS = 128
MAX_TEXT_CHARS = 128
PDF = "application/pdf"
# The documents a qualification names, by their role (UCloud's ...FileId fields, snake_cased).
FILE_ROLES = (
    "company_certificate",
    "company_work_scene_photos",
    "handler_id_card_front_image",
    "handler_id_card_back_image",
    "handler_hand_held_image",
)
_DATA_PREFIX = re.compile(r"\s*(?:data:)?[A-Za-z]+/[\w.+-]+;base64,", re.ASCII)
_PHONE = re.compile(r"\+?[0-9]{5,20}", re.ASCII)


@dataclass(frozen=True)
class QualificationFields:
    name: str
    attr: int
    status: int
    company_name: str = ""
    company_credit_code: str = ""
    handler_name: str = ""
    handler_id_number: str = ""
    handler_phone: str = ""
    manager_name: str = ""
    manager_id_number: str = ""
    manager_phone: str = ""


def check_fields(fields: QualificationFields) -> Rejection | None:
    """What a customer may save: a name, own or third party, draft or submitted, texts of sane length and a
    handler's phone that is digits. A submitted one needs the company's name and the handler's phone."""
    if not fields.name.strip():
        return Rejection(Code.MISSING_PARAMETER, "Name must not be empty.")
    if fields.attr not in (OWN, THIRD_PARTY):
        return Rejection(Code.INVALID_PARAMETER_VALUE, "Attr must be 0 (own) or 1 (third party).")
    if fields.status not in CUSTOMER_STATUSES:
        return Rejection(Code.INVALID_PARAMETER_VALUE, "Status must be 0 (draft) or 1 (submit for review).")
    for name, value in vars(fields).items():
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            return Rejection(
                Code.INVALID_PARAMETER_VALUE, f"{name} is longer than {MAX_TEXT_CHARS} characters."
            )
    for name in ("handler_phone", "manager_phone"):
        value = getattr(fields, name)
        if value and not _PHONE.fullmatch(value):
            return Rejection(Code.INVALID_PARAMETER_VALUE, f"{name} must be a phone number.")
    if fields.status == REVIEWING and not (fields.company_name.strip() and fields.handler_phone):
        return Rejection(
            Code.MISSING_PARAMETER, "A qualification submitted for review needs CompanyName and HandlerPhone."
        )
    return None


def check_files(fields: QualificationFields, files: Mapping[str, int]) -> Rejection | None:
    """A submitted qualification carries at least the company's certificate (UCloud's SDK has no field for a
    third party's power of attorney: a signature for a third party carries it as its ProxyFile)."""
    if fields.status == REVIEWING and "company_certificate" not in files:
        return Rejection(Code.MISSING_PARAMETER, "A submitted qualification needs CompanyCertificateFileId.")
    return None


def may_edit(status: int) -> Rejection | None:
    if status not in EDITABLE:
        return Rejection(
            Code.FAILED_OPERATION, "An approved or disabled qualification can no longer be modified."
        )
    return None


def may_reference(status: int) -> Rejection | None:
    if status not in REFERENCEABLE:
        return Rejection(
            Code.INVALID_PARAMETER_VALUE,
            "The qualification must be submitted for review (Status 1) or approved before a signature uses it.",
        )
    return None


def decode_upload(b64: str, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Image | Rejection:
    """An uploaded document: a PNG, JPEG, GIF, BMP or WebP image, or a PDF, as base64 (a `data:` or
    `image/jpeg;base64,` prefix, UCloud's form, is tolerated). Recognised by its content, never by its claim."""
    text = _DATA_PREFIX.sub("", b64, count=1)
    compact = "".join(text.split())
    if len(compact) > 4 * ((max_bytes + 2) // 3):
        return Rejection(Code.IMAGE_INVALID, f"The file is larger than {max_bytes} bytes.")
    try:
        data = base64.b64decode(compact.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return Rejection(Code.IMAGE_INVALID, "The file is not valid base64.")
    if len(data) > max_bytes:
        return Rejection(Code.IMAGE_INVALID, f"The file is larger than {max_bytes} bytes.")
    if data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"):
        return Image(content_type=PDF, data=data, sha256=hashlib.sha256(data).hexdigest())
    return decode_image(compact, max_bytes=max_bytes)


def check_file_name(name: str) -> Rejection | None:
    if not name.strip() or len(name) > MAX_FILE_NAME_CHARS or not name.isprintable():
        return Rejection(
            Code.INVALID_PARAMETER_VALUE, f"FileName must be 1 to {MAX_FILE_NAME_CHARS} printable characters."
        )
    return None
