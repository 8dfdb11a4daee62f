"""Replies as they arrive, attributed (B2), published to the application's pull queue and reply callback, and
turning unsubscribes into blocklist entries (B1), all in ONE statement per batch; and the blocklist lookup the send path uses (sql/queries/replies.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.infra.crypto import Keyring
from core.store import queries
from core.store.sealed_numbers import number_hashes

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


async def record_replies(
    db: Db, keyring: Keyring, replies: Sequence[IncomingReply], *, window_s: int
) -> list[StoredReply]:
    """Attribution looks messages up by their numbers' hashes, under every key of the ring."""
    if not replies:
        return []
    hashes = [number_hashes(keyring, r.phone) for r in replies]
    rows = await queries.fetch(
        db,
        "record_replies",
        phone_hashes=[h for per_reply in hashes for h in per_reply],
        hash_count=len(hashes[0]),
        received_at=[r.received_at for r in replies],
        phones=[r.phone for r in replies],
        texts=[r.text for r in replies],
        signs=[r.sign for r in replies],
        extend_codes=[r.extend_code for r in replies],
        unsubscribe=[r.unsubscribe for r in replies],
        window_s=window_s,
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
    rows = await queries.fetch(db, "list_blocklist", account_id=account_id)
    return [BlockEntry(**dict(r)) for r in rows]


async def request_lift(db: Db, account_id: int, phone: str, *, reason: str, by: str) -> str | None:
    """The customer applies to lift an unsubscription (B1); the number stays blocked until it is approved.
    Returns the entry's status, or None when there is no active entry."""
    status: str | None = await queries.fetchval(
        db, "request_lift", account_id=account_id, phone=phone, reason=reason, by=by
    )
    return status


async def approve_lift(db: Db, account_id: int, phone: str, *, by: str) -> str | None:
    """An operator approves a requested lift: sends to the number are allowed again from now on."""
    status: str | None = await queries.fetchval(db, "approve_lift", account_id=account_id, phone=phone, by=by)
    return status
