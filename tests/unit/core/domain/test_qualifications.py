"""Signature qualifications' rules (issue 16): what a customer may save or submit, until when it may be edited,
when a signature may rest on it, and which uploads are documents (an image or a PDF, by content, <= 4 MB)."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pytest

from core.domain.errors import Code, Rejection
from core.domain.images import Image
from core.domain.qualifications import (
    APPROVED,
    DISABLED,
    DRAFT,
    FILE_ROLES,
    MAX_TEXT_CHARS,
    MAX_UPLOAD_BYTES,
    PDF,
    REJECTED,
    REVIEWING,
    QualificationFields,
    check_fields,
    check_file_name,
    check_files,
    decode_upload,
    may_edit,
    may_reference,
)
from tests.flow.images import png_1x1, png_b64

SUBMITTED = QualificationFields(
    name="Acme", attr=0, status=REVIEWING, company_name="Acme Ltd", handler_phone="13800000000"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def code(result: Rejection | Image | None) -> Code | None:
    return result.code if isinstance(result, Rejection) else None


def test_a_submitted_qualification_passes_and_a_draft_needs_only_a_name() -> None:
    assert check_fields(SUBMITTED) is None
    assert check_fields(QualificationFields(name="draft", attr=1, status=DRAFT)) is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "  "}, Code.MISSING_PARAMETER),
        ({"attr": 2}, Code.INVALID_PARAMETER_VALUE),
        ({"attr": -1}, Code.INVALID_PARAMETER_VALUE),
        ({"status": APPROVED}, Code.INVALID_PARAMETER_VALUE),  # the operator's, never the customer's
        ({"status": 2 + 3}, Code.INVALID_PARAMETER_VALUE),
        ({"company_name": ""}, Code.MISSING_PARAMETER),
        ({"handler_phone": ""}, Code.MISSING_PARAMETER),
        ({"handler_phone": "call me"}, Code.INVALID_PARAMETER_VALUE),
        ({"manager_phone": "12"}, Code.INVALID_PARAMETER_VALUE),
        ({"company_name": "x" * (MAX_TEXT_CHARS + 1)}, Code.INVALID_PARAMETER_VALUE),
    ],
)
def test_what_a_customer_may_not_save(change: dict[str, object], expected: Code) -> None:
    assert code(check_fields(replace(SUBMITTED, **change))) is expected  # type: ignore[arg-type]


def test_the_longest_texts_pass() -> None:
    assert check_fields(replace(SUBMITTED, company_name="x" * MAX_TEXT_CHARS)) is None


def test_a_submitted_qualification_carries_the_company_certificate() -> None:
    assert code(check_files(SUBMITTED, {})) is Code.MISSING_PARAMETER
    assert check_files(SUBMITTED, {"company_certificate": 7}) is None
    assert check_files(replace(SUBMITTED, status=DRAFT), {}) is None


def test_edited_until_approved_and_referenced_once_submitted() -> None:
    assert [may_edit(s) is None for s in (DRAFT, REVIEWING, APPROVED, REJECTED, DISABLED)] == [
        True, True, False, True, False,
    ]  # fmt: skip
    assert [may_reference(s) is None for s in (DRAFT, REVIEWING, APPROVED, REJECTED, DISABLED)] == [
        False, True, True, False, False,
    ]  # fmt: skip


def test_uploads_are_images_or_pdfs_recognised_by_content() -> None:
    image = decode_upload(png_b64())
    assert isinstance(image, Image) and image.content_type == "image/png" and image.data == png_1x1()
    prefixed = decode_upload("image/png;base64," + png_b64())  # UCloud's documented form
    assert isinstance(prefixed, Image) and prefixed.data == png_1x1()
    pdf = decode_upload(base64.b64encode(PDF_BYTES).decode())
    assert isinstance(pdf, Image) and pdf.content_type == PDF
    assert code(decode_upload(base64.b64encode(b"%PDF-1.4 truncated").decode())) is Code.IMAGE_INVALID
    assert code(decode_upload(base64.b64encode(b"plain text").decode())) is Code.IMAGE_INVALID
    assert code(decode_upload("not base64!")) is Code.IMAGE_INVALID


def test_the_upload_size_limit_on_both_sides() -> None:
    body = b"%PDF-1.4\n"
    tail = b"\n%%EOF"
    at_limit = body + b"x" * (MAX_UPLOAD_BYTES - len(body) - len(tail)) + tail
    assert isinstance(decode_upload(base64.b64encode(at_limit).decode()), Image)
    over = body + b"x" * (MAX_UPLOAD_BYTES - len(body) - len(tail) + 1) + tail
    assert code(decode_upload(base64.b64encode(over).decode())) is Code.IMAGE_INVALID


def test_file_names() -> None:
    assert check_file_name("licence.png") is None
    assert code(check_file_name("")) is Code.INVALID_PARAMETER_VALUE
    assert code(check_file_name("a\nb")) is Code.INVALID_PARAMETER_VALUE
    assert code(check_file_name("x" * 129)) is Code.INVALID_PARAMETER_VALUE


def test_the_admin_document_lists_every_qualification_role() -> None:
    text = (Path(__file__).resolve().parents[4] / "api" / "admin" / "openapi.yaml").read_text()
    for role in FILE_ROLES:
        assert f"- qualification:{role}\n" in text
