"""Signature qualifications (issue 16): the documents a signature's review uses, saved as a draft or submitted,
edited until approved, deleted; and the files uploaded for them. Any dialect calls these; they raise
PlatformError for anything refused and write nothing unless everything passed. Another account's
qualification or file is simply not found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.domain.errors import Code, PlatformError, Rejection
from core.domain.qualifications import (
    FILE_ROLES,
    MAX_TEXT_CHARS,
    MAX_UPLOAD_BYTES,
    QualificationFields,
    check_fields,
    check_file_name,
    check_files,
    decode_upload,
    may_edit,
    may_reference,
)
from core.services.platform import Platform
from core.store import qualifications as store
from core.store.qualifications import QualificationRow as QualificationRow

__all__ = ["FILE_ROLES", "MAX_TEXT_CHARS", "QualificationFields", "QualificationRow"]


def _refuse(rejection: Rejection | None) -> None:
    if rejection is not None:
        raise PlatformError(rejection.code, rejection.detail)


def not_found(qid: int) -> PlatformError:
    return PlatformError(Code.INVALID_PARAMETER_VALUE, f"Qualification {qid} does not exist.")


async def upload(platform: Platform, account_id: int, file_name: str, content_b64: str) -> int:
    """Store an uploaded document (an image or a PDF, recognised by its content); its id."""
    _refuse(check_file_name(file_name))
    # The same cap as a signature's images: the request carrying it is at most max_body_bytes.
    decoded = decode_upload(content_b64, max_bytes=min(MAX_UPLOAD_BYTES, platform.settings.max_image_bytes))
    if isinstance(decoded, Rejection):
        raise PlatformError(decoded.code, f"FileContent: {decoded.message}")
    return await store.store_upload(platform.db, account_id, decoded, file_name.strip())


async def _check(
    platform: Platform, account_id: int, fields: QualificationFields, files: Mapping[str, int]
) -> None:
    _refuse(check_fields(fields))
    unknown = set(files) - set(FILE_ROLES)
    if unknown:
        raise ValueError(f"unknown file roles {sorted(unknown)}")  # the caller's bug, not the customer's
    owned = await store.owned_documents(platform.db, account_id, list(files.values()))
    for role, doc_id in files.items():
        if doc_id not in owned:
            raise PlatformError(Code.INVALID_PARAMETER_VALUE, f"The file for {role} does not exist.")
    _refuse(check_files(fields, files))


async def add(
    platform: Platform, account_id: int, fields: QualificationFields, files: Mapping[str, int]
) -> int:
    await _check(platform, account_id, fields, files)
    return await store.insert(platform.db, account_id, fields, files)


async def modify(
    platform: Platform, account_id: int, qid: int, fields: QualificationFields, files: Mapping[str, int]
) -> None:
    """Replace a draft, submitted or rejected qualification's fields (a submission restarts its review)."""
    await _check(platform, account_id, fields, files)
    async with platform.db.acquire() as conn, conn.transaction():
        status = await store.lock_status(conn, account_id, qid)
        if status is None:
            raise not_found(qid)
        _refuse(may_edit(status))
        await store.update(conn, account_id, qid, fields, files)


async def delete(platform: Platform, account_id: int, ids: Sequence[int]) -> None:
    """Delete them all or none: one that is not the account's live qualification refuses the call."""
    async with platform.db.acquire() as conn, conn.transaction():
        deleted = await store.delete(conn, account_id, ids)
        missing = set(ids) - set(deleted)
        if missing:
            raise not_found(min(missing))


async def page(
    platform: Platform,
    account_id: int,
    *,
    status: int | None = None,
    attr: int | None = None,
    ids: Sequence[int] = (),
    descending: bool = False,
    limit: int,
    offset: int,
) -> tuple[list[QualificationRow], int]:
    return await store.page(
        platform.db,
        account_id,
        status=status,
        attr=attr,
        ids=ids,
        descending=descending,
        limit=limit,
        offset=offset,
    )


async def get(platform: Platform, account_id: int, qid: int) -> QualificationRow:
    rows, _ = await page(platform, account_id, ids=[qid], limit=1, offset=0)
    if not rows:
        raise not_found(qid)
    return rows[0]


async def require_referenceable(platform: Platform, account_id: int, qid: int) -> None:
    """A signature may rest only on one of its account's qualifications, submitted or approved."""
    _refuse(may_reference((await get(platform, account_id, qid)).fields.status))
