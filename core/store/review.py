"""Review state changes of signatures and templates: each one a versioned update plus its history row, in one
transaction, so a customer's modification and an operator's decision racing on the same item cannot both win."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.errors import Code, Rejection
from core.domain.review import Action, Kind, Move, decide, missing_code
from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool

_LOAD = {Kind.SIGNATURE: "load_signature_state", Kind.TEMPLATE: "load_template_state"}
_CHANGE = {Kind.SIGNATURE: "change_signature", Kind.TEMPLATE: "change_template"}
# The columns a change may set besides the status (what change_signature and change_template can write).
CHANGEABLE = {
    Kind.SIGNATURE: frozenset(
        {
            "name",
            "sign_type",
            "document_type",
            "sign_purpose",
            "proof_document_id",
            "commission_document_id",
            "remark",
            "qualification_id",
            "review_reply",
        }
    ),
    Kind.TEMPLATE: frozenset(
        {"name", "content", "sms_type", "remark", "unsubscribe_info", "instruction", "review_reply"}
    ),
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
    row = await queries.fetchrow(db, _LOAD[kind], id=item_id, account_id=account_id)
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
    history row. False when the item moved meanwhile. Call inside a transaction. Raises ValueError for a
    field that is not one of the item's CHANGEABLE columns."""
    fields = dict(fields or {})
    for column in fields:
        if column not in CHANGEABLE[item.kind]:
            raise ValueError(f"bad column {column!r}")
    changed = await queries.fetchval(
        conn,
        _CHANGE[item.kind],
        id=item.id,
        version=item.version,
        to_status=to_status,
        # A resubmission joins the back of the queue.
        resubmit=to_status == "pending" and action in (Action.MODIFY, Action.SUBMIT),
        mark_urgent=action is Action.MARK_URGENT,
        fields=json.dumps(fields),
    )
    if changed is None:
        return False
    await queries.execute(
        conn,
        "record_review_event",
        item_kind=item.kind.value,
        item_id=item.id,
        account_id=item.account_id,
        actor=actor,
        action=action.value,
        from_status=item.status,
        to_status=to_status,
        reason=reason,
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
    rows = await queries.fetch(db, "review_history", item_kind=kind.value, item_id=item_id)
    return [
        Event(r["actor"], r["action"], r["from_status"], r["to_status"], r["reason"], r["at"]) for r in rows
    ]


async def word_list(db: Db, name: str) -> list[str]:
    rows = await queries.fetch(db, "word_list", list=name)
    return [r["word"] for r in rows]
