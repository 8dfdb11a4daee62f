"""An account's signatures and templates as the customer APIs read and write them. Every query is scoped to
the account: another tenant's item is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.domain.images import Image
from core.domain.review import Kind
from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class SignRow:
    id: int
    name: str
    international: bool
    status: str
    review_reply: str
    qualification_id: int
    created_at: datetime
    remark: str = ""
    sign_type: int = 0
    sign_purpose: int = 0
    updated_at: datetime | None = None  # the last change: a review decision's time once decided


@dataclass(frozen=True)
class TemplateRow:
    id: int
    name: str
    content: str
    international: bool
    status: str
    review_reply: str
    created_at: datetime
    sms_type: int = 0
    remark: str = ""
    updated_at: datetime | None = None
    unsubscribe_info: str = ""  # UCloud's, appended to a marketing template's content
    instruction: str = ""  # UCloud's note for the reviewer


async def count_live(db: Db, kind: Kind, account_id: int) -> int:
    name = "count_live_signatures" if kind is Kind.SIGNATURE else "count_live_templates"
    count: int = await queries.fetchval(db, name, account_id=account_id)
    return count


async def waiting_sign_names(
    db: Db, account_id: int, *, international: bool, exclude_id: int = 0
) -> list[str]:
    """Names of the account's signatures waiting for review (S: a duplicate may not be submitted twice)."""
    rows = await queries.fetch(
        db, "waiting_sign_names", account_id=account_id, international=international, exclude_id=exclude_id
    )
    return [r["name"] for r in rows]


async def store_document(db: Db, account_id: int, image: Image) -> int:
    doc_id: int = await queries.fetchval(
        db,
        "store_document",
        account_id=account_id,
        content_type=image.content_type,
        sha256=image.sha256,
        data=image.data,
    )
    return doc_id


async def insert_signature(
    db: Db,
    *,
    account_id: int,
    name: str,
    sign_type: int,
    document_type: int,
    sign_purpose: int,
    international: bool,
    proof_document_id: int | None,
    commission_document_id: int | None,
    remark: str,
    qualification_id: int,
) -> int:
    sign_id: int = await queries.fetchval(
        db,
        "insert_signature",
        account_id=account_id,
        name=name,
        sign_type=sign_type,
        document_type=document_type,
        sign_purpose=sign_purpose,
        international=international,
        proof_document_id=proof_document_id,
        commission_document_id=commission_document_id,
        remark=remark,
        qualification_id=qualification_id,
    )
    return sign_id


async def insert_template(
    db: Db,
    *,
    account_id: int,
    name: str,
    content: str,
    sms_type: int,
    international: bool,
    remark: str,
    unsubscribe_info: str = "",
    instruction: str = "",
) -> int:
    template_id: int = await queries.fetchval(
        db,
        "insert_template",
        account_id=account_id,
        name=name,
        content=content,
        sms_type=sms_type,
        international=international,
        remark=remark,
        unsubscribe_info=unsubscribe_info,
        instruction=instruction,
    )
    return template_id


async def list_signatures(
    db: Db, account_id: int, *, international: bool | None, ids: Sequence[int], limit: int, offset: int
) -> list[SignRow]:
    rows = await queries.fetch(
        db,
        "list_signatures",
        account_id=account_id,
        international=international,
        ids=list(ids),
        limit=limit,
        offset=offset,
    )
    return [_sign_row(r) for r in rows]


async def signature_by_name(db: Db, account_id: int, name: str) -> SignRow | None:
    row = await queries.fetchrow(db, "find_signature_by_name", account_id=account_id, name=name)
    return None if row is None else _sign_row(row)


def _sign_row(r: asyncpg.Record) -> SignRow:
    return SignRow(
        r["id"], r["name"], r["international"], r["status"], r["review_reply"], r["qualification_id"],
        r["created_at"], r["remark"], r["sign_type"], r["sign_purpose"], r["updated_at"],
    )  # fmt: skip


async def list_templates(
    db: Db, account_id: int, *, international: bool | None, ids: Sequence[int], limit: int, offset: int
) -> list[TemplateRow]:
    rows = await queries.fetch(
        db,
        "list_templates",
        account_id=account_id,
        international=international,
        ids=list(ids),
        limit=limit,
        offset=offset,
    )
    return [
        TemplateRow(r["id"], r["name"], r["content"], r["international"], r["status"], r["review_reply"],
                    r["created_at"], r["sms_type"], r["remark"], r["updated_at"], r["unsubscribe_info"],
                    r["instruction"])
        for r in rows
    ]  # fmt: skip
