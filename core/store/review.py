"""Review state changes of signatures and templates: each one a versioned update plus its history row, in one
transaction, so a customer's modification and an operator's decision racing on the same item cannot both win."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.errors import Code, Rejection
from core.domain.review import Action, Kind, Move, decide, missing_code

Db = asyncpg.Connection | asyncpg.Pool

TABLE = {Kind.SIGNATURE: "signatures", Kind.TEMPLATE: "templates"}
_LOAD = {
    kind: f"SELECT id, account_id, status, version, urgent, international FROM {table} WHERE id = $1"  # noqa: S608 - fixed names
    " AND ($2::bigint IS NULL OR account_id = $2)"
    for kind, table in TABLE.items()
}


@dataclass(frozen=True)
class ItemState:
    kind: Kind
    id: int
    account_id: int
    status: str
    version: int
    urgent: bool
    international: bool


@dataclass(frozen=True)
class Event:
    actor: str
    action: str
    from_status: str | None
    to_status: str
    reason: str
    at: datetime


async def load_item(db: Db, kind: Kind, item_id: int, *, account_id: int | None = None) -> ItemState | None:
    """The item's review state; with `account_id`, only if that account owns it (tenants never see others')."""
    row = await db.fetchrow(_LOAD[kind], item_id, account_id)
    if row is None:
        return None
    return ItemState(
        kind, row["id"], row["account_id"], row["status"], row["version"], row["urgent"], row["international"]
    )


async def record_change(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    item: ItemState,
    *,
    action: Action,
    to_status: str,
    actor: str,
    reason: str = "",
    fields: Mapping[str, Any] | None = None,
) -> bool:
    """Write the new status (and any changed `fields`) if nobody changed the item since it was loaded, plus the
    history row. False when the item moved meanwhile. Call inside a transaction."""
    assignments = ["status = $3", "version = version + 1", "updated_at = now()"]
    if to_status == "pending" and action in (Action.MODIFY, Action.SUBMIT):
        assignments.append("submitted_at = now()")  # a resubmission joins the back of the queue
    if action is Action.MARK_URGENT:
        assignments.append("urgent = true")
    values = list((fields or {}).values())
    for i, column in enumerate(fields or {}, start=4):
        if not column.isidentifier():
            raise ValueError(f"bad column {column!r}")
        assignments.append(f"{column} = ${i}")
    changed = await conn.fetchval(
        f"UPDATE {TABLE[item.kind]} SET {', '.join(assignments)}"  # noqa: S608 - fixed table and column names
        " WHERE id = $1 AND version = $2 RETURNING id",
        item.id,
        item.version,
        to_status,
        *values,
    )
    if changed is None:
        return False
    await conn.execute(
        "INSERT INTO review_events (item_kind, item_id, account_id, actor, action, from_status, to_status, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        item.kind.value,
        item.id,
        item.account_id,
        actor,
        action.value,
        item.status,
        to_status,
        reason,
    )
    return True


async def transition(
    pool: asyncpg.Pool,
    kind: Kind,
    item_id: int,
    action: Action,
    *,
    actor: str,
    reason: str = "",
    account_id: int | None = None,
) -> Move | Rejection:
    """Apply a status-only action (delete, start review, approve, reject, mark urgent) with its history. A
    decision also sets what the customer reads as ReviewReply: a rejection's reason, cleared by an approval."""
    item = await load_item(pool, kind, item_id, account_id=account_id)
    if item is None:
        return Rejection(missing_code(kind, action))
    decision = decide(kind, action, item.status, reason=reason)
    if isinstance(decision, Rejection):
        return decision
    fields = {Action.REJECT: {"review_reply": reason}, Action.APPROVE: {"review_reply": ""}}.get(action)
    async with pool.acquire() as conn, conn.transaction():
        if not await record_change(
            conn, item, action=action, to_status=decision.to_status, actor=actor, reason=reason, fields=fields
        ):
            return Rejection(
                Code.FAILED_OPERATION, f"The {kind.value} changed meanwhile; load it again and retry."
            )
    return decision


async def history(db: Db, kind: Kind, item_id: int) -> list[Event]:
    rows = await db.fetch(
        "SELECT actor, action, from_status, to_status, reason, at FROM review_events"
        " WHERE item_kind = $1 AND item_id = $2 ORDER BY id",
        kind.value,
        item_id,
    )
    return [
        Event(r["actor"], r["action"], r["from_status"], r["to_status"], r["reason"], r["at"]) for r in rows
    ]


async def word_list(db: Db, name: str) -> list[str]:
    rows = await db.fetch("SELECT word FROM word_lists WHERE list = $1 ORDER BY word", name)
    return [r["word"] for r in rows]
