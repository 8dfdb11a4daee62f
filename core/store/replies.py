"""Replies as they arrive, attributed (B2), published to the application's pull queue and reply callback, and
turning unsubscribes into blocklist entries (B1), all in ONE statement per batch; and the blocklist lookup the send path uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.store.report_feed import publish_replies

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class IncomingReply:
    received_at: datetime
    phone: str
    text: str
    sign: str = ""
    extend_code: str = ""
    unsubscribe: bool = False


@dataclass(frozen=True)
class StoredReply:
    id: int
    phone: str
    sdk_app_id: str | None
    account_id: int | None
    unsubscribe: bool
    callback: bool = False  # queued for the application's reply callback


_RECORD = (
    """
WITH r AS (
    SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[])
        AS r(received_at, phone, text, sign, extend_code, unsubscribe)
), attributed AS (
    SELECT r.*, m.sdk_app_id, m.account_id, m.serial_no
    FROM r LEFT JOIN LATERAL (
        SELECT sdk_app_id, account_id, serial_no FROM messages
        WHERE phone = r.phone AND accepted_at <= r.received_at
          AND accepted_at > r.received_at - make_interval(secs => $7::int)
        ORDER BY accepted_at DESC LIMIT 1
    ) m ON true
), ins AS (
    INSERT INTO replies (received_at, phone, text, sign, extend_code, sdk_app_id, account_id, serial_no, unsubscribe)
    SELECT received_at, phone, text, sign, extend_code, sdk_app_id, account_id, serial_no, unsubscribe
    FROM attributed
    RETURNING id, phone, account_id, sdk_app_id, unsubscribe, text, sign, extend_code, received_at
), blocked AS (
    INSERT INTO blocklist (account_id, phone, reason, source, created_by)
    SELECT DISTINCT account_id, phone, 'replied to unsubscribe', 'reply', 'recipient'
    FROM ins WHERE unsubscribe AND account_id IS NOT NULL
    ON CONFLICT (account_id, phone) DO UPDATE SET
        status = 'active', reason = EXCLUDED.reason, source = 'reply', created_at = now(),
        created_by = EXCLUDED.created_by, lift_reason = '', lift_requested_at = NULL,
        lift_requested_by = NULL, lifted_at = NULL, lifted_by = NULL
)"""  # noqa: S608 - fixed SQL fragments, values are parameters
    + publish_replies("ins")
    + """
SELECT id, phone, account_id, sdk_app_id, unsubscribe,
       sdk_app_id IN (SELECT sdk_app_id FROM reply_called) AS callback
FROM ins ORDER BY id
"""
)


async def record_replies(db: Db, replies: Sequence[IncomingReply], *, window_s: int) -> list[StoredReply]:
    if not replies:
        return []
    rows = await db.fetch(
        _RECORD,
        [r.received_at for r in replies],
        [r.phone for r in replies],
        [r.text for r in replies],
        [r.sign for r in replies],
        [r.extend_code for r in replies],
        [r.unsubscribe for r in replies],
        window_s,
    )
    return [
        StoredReply(r["id"], r["phone"], r["sdk_app_id"], r["account_id"], r["unsubscribe"], r["callback"])
        for r in rows
    ]


@dataclass(frozen=True)
class BlockEntry:
    phone: str
    status: str
    reason: str
    source: str
    created_at: datetime
    created_by: str
    lift_reason: str
    lift_requested_at: datetime | None
    lift_requested_by: str | None
    lifted_at: datetime | None
    lifted_by: str | None

    def to_json(self) -> dict[str, object]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


async def list_blocklist(db: Db, account_id: int) -> list[BlockEntry]:
    rows = await db.fetch(
        "SELECT phone, status, reason, source, created_at, created_by, lift_reason, lift_requested_at,"
        " lift_requested_by, lifted_at, lifted_by FROM blocklist WHERE account_id = $1 ORDER BY created_at DESC",
        account_id,
    )
    return [BlockEntry(**dict(r)) for r in rows]


async def request_lift(db: Db, account_id: int, phone: str, *, reason: str, by: str) -> str | None:
    """The customer applies to lift an unsubscription (B1); the number stays blocked until it is approved.
    Returns the entry's status, or None when there is no active entry."""
    status: str | None = await db.fetchval(
        "UPDATE blocklist SET status = 'lift_requested', lift_reason = $3, lift_requested_at = now(),"
        " lift_requested_by = $4 WHERE account_id = $1 AND phone = $2 AND status = 'active' RETURNING status",
        account_id,
        phone,
        reason,
        by,
    )
    return status


async def approve_lift(db: Db, account_id: int, phone: str, *, by: str) -> str | None:
    """An operator approves a requested lift: sends to the number are allowed again from now on."""
    status: str | None = await db.fetchval(
        "UPDATE blocklist SET status = 'lifted', lifted_at = now(), lifted_by = $3"
        " WHERE account_id = $1 AND phone = $2 AND status = 'lift_requested' RETURNING status",
        account_id,
        phone,
        by,
    )
    return status
