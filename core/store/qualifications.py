"""Signature qualifications and uploaded files as the store keeps them (sql/queries/qualifications.sql)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.images import Image
from core.domain.qualifications import QualificationFields
from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class QualificationRow:
    id: int
    account_id: int
    fields: QualificationFields
    files: dict[str, int]
    err_desc: str
    created_at: datetime
    updated_at: datetime
    review_started_at: datetime | None
    review_ended_at: datetime | None


async def store_upload(db: Db, account_id: int, image: Image, file_name: str) -> int:
    doc_id: int = await queries.fetchval(
        db,
        "store_upload",
        account_id=account_id,
        content_type=image.content_type,
        sha256=image.sha256,
        data=image.data,
        file_name=file_name,
    )
    return doc_id


async def owned_documents(db: Db, account_id: int, ids: Sequence[int]) -> set[int]:
    rows = await queries.fetch(db, "owned_documents", account_id=account_id, ids=list(ids))
    return {r["id"] for r in rows}


def _columns(fields: QualificationFields, files: Mapping[str, int]) -> dict[str, Any]:
    return {**vars(fields), "files": json.dumps(dict(files))}


async def insert(db: Db, account_id: int, fields: QualificationFields, files: Mapping[str, int]) -> int:
    qid: int = await queries.fetchval(
        db, "insert_qualification", account_id=account_id, **_columns(fields, files)
    )
    return qid


async def lock_status(db: Db, account_id: int, qid: int) -> int | None:
    status: int | None = await queries.fetchval(db, "lock_qualification", id=qid, account_id=account_id)
    return status


async def update(
    db: Db, account_id: int, qid: int, fields: QualificationFields, files: Mapping[str, int]
) -> None:
    await queries.execute(
        db, "update_qualification", id=qid, account_id=account_id, **_columns(fields, files)
    )


async def delete(db: Db, account_id: int, ids: Sequence[int]) -> list[int]:
    rows = await queries.fetch(db, "delete_qualifications", account_id=account_id, ids=list(ids))
    return [r["id"] for r in rows]


async def page(
    db: Db,
    account_id: int,
    *,
    status: int | None,
    attr: int | None,
    ids: Sequence[int],
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[QualificationRow], int]:
    """A page of the account's live qualifications and how many there are in all (the filters applied)."""
    rows = await queries.fetch(
        db,
        "list_qualifications",
        account_id=account_id,
        status=status,
        attr=attr,
        ids=list(ids),
        descending=descending,
        limit=limit,
        offset=offset,
    )
    total = rows[0]["total"] if rows else 0
    return [_row(r) for r in rows], total


def _row(r: asyncpg.Record) -> QualificationRow:
    fields = QualificationFields(
        **{name: r[name] for name in QualificationFields.__dataclass_fields__}  # the columns' names
    )
    files = json.loads(r["files"]) if isinstance(r["files"], str) else dict(r["files"])
    return QualificationRow(
        r["id"], r["account_id"], fields, {k: int(v) for k, v in files.items()}, r["err_desc"],
        r["created_at"], r["updated_at"], r["review_started_at"], r["review_ended_at"],
    )  # fmt: skip


async def approve_with_signature(db: Db, signature_id: int) -> None:
    await queries.execute(db, "approve_signature_qualification", signature_id=signature_id)


async def signature_documents(db: Db, signature_id: int) -> list[asyncpg.Record]:
    """(role, id, content_type, size) of the documents of the qualification a signature rests on."""
    return await queries.fetch(db, "signature_qualification_documents", signature_id=signature_id)
