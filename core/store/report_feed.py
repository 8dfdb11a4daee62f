"""Final statuses and replies on their way to the customer: the pull queues (each item handed out once), the
callback queue, and the lookups by number (sql/queries/report_feed.sql). Items are written by the same
statement that records the report (publish_final_statuses, migration 0012), so a report is never applied
without being published, nor published twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.alibaba_push import PushedMessage
from core.domain.callbacks import CallbackFormat
from core.domain.serial import parse_serial, session_last
from core.infra.crypto import Keyring
from core.store import queries
from core.store.keys import open_app_key
from core.store.sealed_numbers import number_hashes, open_content, open_number, open_queued_number

Db = asyncpg.Connection | asyncpg.Pool


async def take_pulled(
    db: Db, keyring: Keyring, sdk_app_id: str, kind: str, limit: int
) -> list[dict[str, Any]]:
    """The application's oldest `limit` queued items of `kind` (status or reply), removed as they are returned:
    each is handed out once. SKIP LOCKED: two concurrent pulls get different items instead of waiting for each
    other. A status's number is opened (a reply's is not sealed)."""
    if kind != "status":
        rows = await queries.fetch(db, "take_pulled_replies", sdk_app_id=sdk_app_id, kind=kind, limit=limit)
        return [dict(r) for r in rows]
    rows = await queries.fetch(db, "take_pulled_statuses", sdk_app_id=sdk_app_id, kind=kind, limit=limit)
    return [{**r, "phone": open_number(keyring, r["phone"])} for r in rows]


async def purge_pull_queue(db: Db, *, before: datetime) -> int:
    """Drop items nobody pulled within the retention period (customers that only use callbacks)."""
    result = await queries.execute(db, "purge_pull_queue", before=before)
    return int(result.split()[-1])


async def statuses_by_phone(
    db: Db,
    keyring: Keyring,
    sdk_app_id: str,
    phone: str,
    *,
    begin: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Final statuses of the application's messages to `phone` reported in [begin, end], oldest first."""
    rows = await queries.fetch(
        db,
        "statuses_by_phone",
        sdk_app_id=sdk_app_id,
        phone_hashes=number_hashes(keyring, phone),
        begin=begin,
        end=end,
        limit=limit,
        offset=offset,
    )
    return [{"serial_no": r["serial_no"], "phone": phone, **r} for r in rows]


async def replies_by_phone(
    db: Db, sdk_app_id: str, phone: str, *, begin: datetime, end: datetime, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await queries.fetch(
        db,
        "replies_by_phone",
        sdk_app_id=sdk_app_id,
        phone=phone,
        begin=begin,
        end=end,
        limit=limit,
        offset=offset,
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class QueuedCallback:
    id: int
    kind: str
    item: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class CallbackTarget:
    sdk_app_id: str
    app_key: str
    status_url: str
    reply_url: str
    format: CallbackFormat


async def callback_target(db: Db, keyring: Keyring, sdk_app_id: str) -> CallbackTarget | None:
    """Where the application's callbacks go and in which format, with its AppKey opened: callbacks are
    signed with it."""
    row = await queries.fetchrow(db, "callback_target", sdk_app_id=sdk_app_id)
    if row is None:
        return None
    app_key = open_app_key(keyring, row["sdk_app_id"], row["app_key_sealed"])
    return CallbackTarget(
        row["sdk_app_id"],
        app_key,
        row["status_callback_url"],
        row["reply_callback_url"],
        CallbackFormat(row["callback_format"]),
    )


async def messages_for_push(db: Db, serials: Sequence[str]) -> dict[str, PushedMessage]:
    """The messages behind queued statuses, by serial number, for Alibaba's SmsReport. A serial this platform
    did not issue, or whose message is gone (past its retention), is not in the answer."""
    refs = [ref for ref in map(parse_serial, serials) if ref is not None]
    if not refs:
        return {}
    rows = await queries.fetch(
        db,
        "messages_for_push",
        ids=[ref.message_id for ref in refs],
        days=[ref.day_start for ref in refs],
    )
    return {
        r["serial_no"]: PushedMessage(
            r["accepted_at"], r["parts"], r["request_no"], r["sign_name"], r["template_id"]
        )
        for r in rows
    }


async def next_callbacks(
    db: Db, keyring: Keyring, sdk_app_id: str, *, now: datetime, limit: int
) -> list[QueuedCallback]:
    """The head of the application's pending callbacks, in order, when it is due (an item waiting for its
    retry holds back the ones behind it: callbacks reach the customer in order). A status's number was queued
    sealed (publish_final_statuses copies the message's) and is opened for the customer."""
    rows = await queries.fetch(db, "next_callbacks", sdk_app_id=sdk_app_id, now=now, limit=limit)
    queued = []
    for r in rows:
        item = json.loads(r["item"])
        if isinstance(item.get("phone"), str):
            item["phone"] = open_queued_number(keyring, item["phone"])
        queued.append(QueuedCallback(r["id"], r["kind"], item, r["attempts"], r["created_at"]))
    return queued


async def callbacks_delivered(db: Db, sdk_app_id: str, ids: Sequence[int], *, now: datetime) -> None:
    """The customer acknowledged them (as their format says): the items leave the queue and count as delivered callbacks."""
    await queries.execute(db, "callbacks_delivered", sdk_app_id=sdk_app_id, ids=list(ids), now=now)


async def callbacks_failed(
    db: Db,
    sdk_app_id: str,
    ids: Sequence[int],
    *,
    error: str,
    next_at: datetime,
    give_up_created_before: datetime,
    now: datetime,
    give_up: bool = False,
) -> int:
    """A delivery failed: the items wait until `next_at`; those older than the give-up period are given up
    (kept for the operator, counted), and all of them when `give_up` (their format's retries are spent).
    Returns how many were given up."""
    given_up: int = await queries.fetchval(
        db,
        "callbacks_failed",
        sdk_app_id=sdk_app_id,
        ids=list(ids),
        error=error[:500],
        next_at=next_at,
        give_up_created_before=give_up_created_before,
        now=now,
        give_up=give_up,
    )
    return given_up


async def drop_callbacks(db: Db, sdk_app_id: str, kind: str) -> int:
    """The application no longer has a URL for `kind`: what was queued for it is dropped."""
    result = await queries.execute(db, "drop_callbacks", sdk_app_id=sdk_app_id, kind=kind)
    return int(result.split()[-1])


async def apps_with_due_callbacks(db: Db, *, now: datetime, limit: int = 1000) -> list[str]:
    """Applications whose queue head is due. A skip scan of the pending index, one probe per application, so
    the sweep costs the same whether a dead endpoint has ten items waiting or a million."""
    rows = await queries.fetch(db, "apps_with_due_callbacks", now=now, limit=limit)
    return [r["sdk_app_id"] for r in rows]


async def app_owner(db: Db, sdk_app_id: str) -> int | None:
    owner: int | None = await queries.fetchval(db, "app_owner", sdk_app_id=sdk_app_id)
    return owner


@dataclass(frozen=True)
class SendRecordRow:
    phone: str
    serial_no: str
    status: str
    carrier_id: str | None
    error: str
    iso_code: str
    content: str
    template_text: str | None
    sign_name: str
    accepted_at: datetime
    reported_at: datetime | None


async def send_records_by_phone(
    db: Db,
    keyring: Keyring,
    sdk_app_id: str,
    phone: str,
    *,
    begin: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> tuple[int, list[SendRecordRow]]:
    """DescribeSendRecordList: the application's messages to `phone` sent in [begin, end], newest first, and
    how many there are in all. Only the page's content is opened; the number is the caller's."""
    hashes = number_hashes(keyring, phone)
    rows = await queries.fetch(
        db,
        "send_records_by_phone",
        sdk_app_id=sdk_app_id,
        phone_hashes=hashes,
        begin=begin,
        end=end,
        limit=limit,
        offset=offset,
    )
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset:
        total = int(
            await queries.fetchval(
                db,
                "count_send_records_by_phone",
                sdk_app_id=sdk_app_id,
                phone_hashes=hashes,
                begin=begin,
                end=end,
            )
        )
    return total, [_record(keyring, phone, r) for r in rows]


def _record(keyring: Keyring, phone: str, r: asyncpg.Record) -> SendRecordRow:
    """A message row of the by-number lookups as a record, its content opened."""
    return SendRecordRow(
        phone,
        r["serial_no"],
        r["status"],
        r["carrier_id"],
        r["error"],
        r["iso_code"],
        open_content(keyring, r["content"]),
        r["template_text"],
        r["sign_name"],
        r["accepted_at"],
        r["reported_at"],
    )


@dataclass(frozen=True)
class SendDetailRow:
    """A message as QuerySendDetails shows it."""

    record: SendRecordRow
    template_id: int
    session_context: str


async def send_details_by_phone(
    db: Db,
    keyring: Keyring,
    account_id: int,
    phone: str,
    *,
    begin: datetime,
    end: datetime,
    request_no: int | None,
    limit: int,
    offset: int,
) -> tuple[int, list[SendDetailRow]]:
    """The account's messages to `phone` accepted in [begin, end), of one request when `request_no` is given,
    newest first, and how many there are in all. Only the page's content is opened."""
    args = {
        "account_id": account_id,
        "phone_hashes": number_hashes(keyring, phone),
        "begin": begin,
        "end": end,
        "request_no": request_no,
    }
    rows = await queries.fetch(db, "send_details_by_phone", **args, limit=limit, offset=offset)
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset:
        total = int(await queries.fetchval(db, "count_send_details_by_phone", **args))
    return total, [
        SendDetailRow(_record(keyring, phone, r), r["template_id"], r["session_context"]) for r in rows
    ]


@dataclass(frozen=True)
class ReceiptRow:
    """A message with its final status, as UCloud's GetUSMSSendReceipt shows it."""

    batch_id: uuid.UUID
    phone: str
    status: str
    error: str
    parts: int
    reported_at: datetime | None
    session_context: str


async def receipts_by_sessions(
    db: Db, keyring: Keyring, account_id: int, sessions: Sequence[uuid.UUID]
) -> list[ReceiptRow]:
    """The account's finally reported messages in these sessions' batches, numbers opened."""
    rows = await queries.fetch(
        db,
        "receipts_by_sessions",
        firsts=list(sessions),
        lasts=[session_last(s) for s in sessions],
        account_id=account_id,
    )
    return [
        ReceiptRow(
            r["batch_id"],
            open_number(keyring, r["phone"]),
            r["status"],
            r["error"],
            r["parts"],
            r["reported_at"],
            r["session_context"],
        )
        for r in rows
    ]
