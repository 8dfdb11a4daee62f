"""An account's signatures and templates as the customer APIs read and write them. Every query is scoped to
the account: another tenant's item is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.domain.images import Image
from core.domain.review import Kind

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


async def count_live(db: Db, kind: Kind, account_id: int) -> int:
    table = "signatures" if kind is Kind.SIGNATURE else "templates"
    count: int = await db.fetchval(
        f"SELECT count(*) FROM {table} WHERE account_id = $1 AND status <> 'deleted'",  # noqa: S608 - fixed names
        account_id,
    )
    return count


async def waiting_sign_names(
    db: Db, account_id: int, *, international: bool, exclude_id: int = 0
) -> list[str]:
    """Names of the account's signatures waiting for review (S: a duplicate may not be submitted twice)."""
    rows = await db.fetch(
        "SELECT name FROM signatures WHERE account_id = $1 AND international = $2 AND id <> $3"
        " AND status IN ('pending', 'reviewing')",
        account_id,
        international,
        exclude_id,
    )
    return [r["name"] for r in rows]


async def store_document(db: Db, account_id: int, image: Image) -> int:
    doc_id: int = await db.fetchval(
        "INSERT INTO documents (account_id, content_type, sha256, data) VALUES ($1, $2, $3, $4) RETURNING id",
        account_id,
        image.content_type,
        image.sha256,
        image.data,
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
    proof_document_id: int,
    commission_document_id: int | None,
    remark: str,
    qualification_id: int,
) -> int:
    sign_id: int = await db.fetchval(
        """
        WITH s AS (
            INSERT INTO signatures (account_id, name, sign_type, document_type, sign_purpose, international,
                                    proof_document_id, commission_document_id, remark, qualification_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
        ), e AS (
            INSERT INTO review_events (item_kind, item_id, account_id, actor, action, from_status, to_status)
            SELECT 'signature', id, $1, 'customer', 'submit', NULL, 'pending' FROM s
        )
        SELECT id FROM s
        """,
        account_id,
        name,
        sign_type,
        document_type,
        sign_purpose,
        international,
        proof_document_id,
        commission_document_id,
        remark,
        qualification_id,
    )
    return sign_id


async def insert_template(
    db: Db, *, account_id: int, name: str, content: str, sms_type: int, international: bool, remark: str
) -> int:
    template_id: int = await db.fetchval(
        """
        WITH t AS (
            INSERT INTO templates (account_id, name, content, sms_type, international, remark)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
        ), e AS (
            INSERT INTO review_events (item_kind, item_id, account_id, actor, action, from_status, to_status)
            SELECT 'template', id, $1, 'customer', 'submit', NULL, 'pending' FROM t
        )
        SELECT id FROM t
        """,
        account_id,
        name,
        content,
        sms_type,
        international,
        remark,
    )
    return template_id


async def list_signatures(
    db: Db, account_id: int, *, international: bool | None, ids: Sequence[int], limit: int, offset: int
) -> list[SignRow]:
    rows = await db.fetch(
        """
        SELECT id, name, international, status, review_reply, qualification_id, created_at FROM signatures
        WHERE account_id = $1 AND ($2::boolean IS NULL OR international = $2) AND status <> 'deleted'
          AND (cardinality($3::bigint[]) = 0 OR id = ANY($3::bigint[]))
        ORDER BY id LIMIT $4 OFFSET $5
        """,
        account_id,
        international,
        list(ids),
        limit,
        offset,
    )
    return [
        SignRow(r["id"], r["name"], r["international"], r["status"], r["review_reply"], r["qualification_id"],
                r["created_at"])
        for r in rows
    ]  # fmt: skip


async def list_templates(
    db: Db, account_id: int, *, international: bool | None, ids: Sequence[int], limit: int, offset: int
) -> list[TemplateRow]:
    rows = await db.fetch(
        """
        SELECT id, name, content, international, status, review_reply, created_at, sms_type FROM templates
        WHERE account_id = $1 AND ($2::boolean IS NULL OR international = $2) AND status <> 'deleted'
          AND (cardinality($3::bigint[]) = 0 OR id = ANY($3::bigint[]))
        ORDER BY id LIMIT $4 OFFSET $5
        """,
        account_id,
        international,
        list(ids),
        limit,
        offset,
    )
    return [
        TemplateRow(r["id"], r["name"], r["content"], r["international"], r["status"], r["review_reply"],
                    r["created_at"], r["sms_type"])
        for r in rows
    ]  # fmt: skip
