"""Final statuses and replies on their way to the customer: the pull queues (each item handed out once), the
callback queue, and the lookups by number. Items are written by the same statement that records the report,
so a report is never applied without being published, nor published twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.store.stats import shard_sql

Db = asyncpg.Connection | asyncpg.Pool


def publish_statuses(final: str) -> str:
    """CTEs to append to a statement whose CTE `final` holds the messages that just reached a final status,
    with columns id, sdk_app_id, account_id, iso_code, accepted_at, phone, serial_no, session_context,
    delivered, error, reported_at and outcome (core.domain.reports.Outcome): queue them for pull and callback, count
    them in the hourly statistics. The CTE `called` names the applications that got callbacks to deliver
    (CALLBACK_APPS selects them). A callback is due at once (whatever the worker's clock says) and its give-up
    period counts from when it was queued."""
    return f"""
, pulled AS (
    INSERT INTO pull_queue (sdk_app_id, kind, created_at, ref_id, ref_at)
    SELECT sdk_app_id, 'status', reported_at, id, accepted_at FROM {final}
), called AS (
    INSERT INTO callback_queue (sdk_app_id, kind, created_at, item, next_at)
    SELECT f.sdk_app_id, 'status', now(), jsonb_build_object(
        'serial_no', f.serial_no, 'phone', f.phone, 'delivered', f.delivered,
        'error', CASE WHEN f.delivered THEN 'DELIVRD' ELSE f.error END,
        'report_time', floor(extract(epoch FROM f.reported_at))::bigint,
        'session_context', f.session_context), '-infinity'::timestamptz
    FROM {final} f JOIN apps a ON a.sdk_app_id = f.sdk_app_id AND a.status_callback_url <> ''
    RETURNING sdk_app_id
), counted AS (
    INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, reports, delivered, failed,
        internal_error, invalid_number, shutdown, blacklist, frequency_limit)
    SELECT sdk_app_id, date_trunc('hour', accepted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', iso_code,
           {shard_sql()}, min(account_id), count(*),
           count(*) FILTER (WHERE outcome = 'delivered'), count(*) FILTER (WHERE outcome <> 'delivered'),
           count(*) FILTER (WHERE outcome = 'internal_error'), count(*) FILTER (WHERE outcome = 'invalid_number'),
           count(*) FILTER (WHERE outcome = 'shutdown'), count(*) FILTER (WHERE outcome = 'blacklist'),
           count(*) FILTER (WHERE outcome = 'frequency_limit')
    FROM {final} GROUP BY 1, 2, 3
    ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE SET
        reports = t.reports + EXCLUDED.reports, delivered = t.delivered + EXCLUDED.delivered,
        failed = t.failed + EXCLUDED.failed, internal_error = t.internal_error + EXCLUDED.internal_error,
        invalid_number = t.invalid_number + EXCLUDED.invalid_number, shutdown = t.shutdown + EXCLUDED.shutdown,
        blacklist = t.blacklist + EXCLUDED.blacklist, frequency_limit = t.frequency_limit + EXCLUDED.frequency_limit
)"""  # noqa: S608 - fixed SQL fragments, values are parameters


CALLBACK_APPS = "ARRAY(SELECT DISTINCT sdk_app_id FROM called)"


def publish_replies(stored: str) -> str:
    """CTEs to append after a CTE `stored` of just-recorded replies (id, sdk_app_id, phone, text, sign,
    extend_code, received_at): the attributed ones go to the application's pull queue and reply callback."""
    return f"""
, reply_pulled AS (
    INSERT INTO pull_queue (sdk_app_id, kind, created_at, ref_id, ref_at)
    SELECT sdk_app_id, 'reply', received_at, id, received_at FROM {stored} WHERE sdk_app_id IS NOT NULL
), reply_called AS (
    INSERT INTO callback_queue (sdk_app_id, kind, created_at, item, next_at)
    SELECT s.sdk_app_id, 'reply', now(), jsonb_build_object(
        'phone', s.phone, 'text', s.text, 'sign', s.sign, 'extend', s.extend_code,
        'time', floor(extract(epoch FROM s.received_at))::bigint), '-infinity'::timestamptz
    FROM {stored} s JOIN apps a ON a.sdk_app_id = s.sdk_app_id AND a.reply_callback_url <> ''
    RETURNING sdk_app_id
)"""  # noqa: S608 - fixed SQL fragments, values are parameters


# What a status looks like to the customer (core.domain.reports.pull_status), read from a messages row `m`.
_STATUS_COLUMNS = """
    m.serial_no, m.phone, m.status = 'delivered' AS delivered,
    CASE WHEN m.status = 'delivered' THEN 'DELIVRD' ELSE m.error END AS error,
    floor(extract(epoch FROM COALESCE(m.reported_at, m.sent_at, m.accepted_at)))::bigint AS report_time,
    m.session_context"""
_REPLY_COLUMNS = """
    r.phone, r.text, r.sign, r.extend_code AS extend, floor(extract(epoch FROM r.received_at))::bigint AS time"""
_TAKE = """
WITH taken AS (
    DELETE FROM pull_queue WHERE id IN (
        SELECT id FROM pull_queue WHERE sdk_app_id = $1 AND kind = $2
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
    ) RETURNING id, ref_id, ref_at
)"""


async def take_pulled(db: Db, sdk_app_id: str, kind: str, limit: int) -> list[dict[str, Any]]:
    """The application's oldest `limit` queued items of `kind` (status or reply), removed as they are returned:
    each is handed out once. SKIP LOCKED: two concurrent pulls get different items instead of waiting for each
    other."""
    if kind == "status":
        sql = f"""{_TAKE}
        SELECT {_STATUS_COLUMNS} FROM taken t
        JOIN messages m ON m.id = t.ref_id AND m.accepted_at = t.ref_at ORDER BY t.id"""  # noqa: S608 - fixed SQL fragments, values are parameters
    else:
        sql = f"""{_TAKE}
        SELECT {_REPLY_COLUMNS} FROM taken t JOIN replies r ON r.id = t.ref_id ORDER BY t.id"""  # noqa: S608 - fixed SQL fragments, values are parameters
    return [dict(r) for r in await db.fetch(sql, sdk_app_id, kind, limit)]


async def purge_pull_queue(db: Db, *, before: datetime) -> int:
    """Drop items nobody pulled within the retention period (customers that only use callbacks)."""
    result: str = await db.execute("DELETE FROM pull_queue WHERE created_at < $1", before)
    return int(result.split()[-1])


# Reports come within hours of the send; messages are looked up by (phone, accepted_at), so the scan starts
# this long before the window to find messages sent earlier and reported inside it.
_REPORT_DELAY = "3 days"


async def statuses_by_phone(
    db: Db, sdk_app_id: str, phone: str, *, begin: datetime, end: datetime, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Final statuses of the application's messages to `phone` reported in [begin, end], oldest first."""
    rows = await db.fetch(
        f"""
        SELECT {_STATUS_COLUMNS} FROM messages m
        WHERE m.phone = $2 AND m.accepted_at >= $3::timestamptz - interval '{_REPORT_DELAY}'
          AND m.accepted_at <= $4 AND m.sdk_app_id = $1 AND m.status IN ('delivered', 'failed')
          AND COALESCE(m.reported_at, m.sent_at, m.accepted_at) BETWEEN $3 AND $4
        ORDER BY COALESCE(m.reported_at, m.sent_at, m.accepted_at), m.id LIMIT $5 OFFSET $6
        """,  # noqa: S608 - fixed SQL fragments, values are parameters
        sdk_app_id,
        phone,
        begin,
        end,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def replies_by_phone(
    db: Db, sdk_app_id: str, phone: str, *, begin: datetime, end: datetime, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT {_REPLY_COLUMNS} FROM replies r
        WHERE r.phone = $2 AND r.received_at BETWEEN $3 AND $4 AND r.sdk_app_id = $1
        ORDER BY r.received_at, r.id LIMIT $5 OFFSET $6
        """,  # noqa: S608 - fixed SQL fragments, values are parameters
        sdk_app_id,
        phone,
        begin,
        end,
        limit,
        offset,
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


async def callback_target(db: Db, sdk_app_id: str) -> CallbackTarget | None:
    row = await db.fetchrow(
        "SELECT sdk_app_id, app_key, status_callback_url, reply_callback_url FROM apps WHERE sdk_app_id = $1",
        sdk_app_id,
    )
    return CallbackTarget(*row) if row else None


async def next_callbacks(db: Db, sdk_app_id: str, *, now: datetime, limit: int) -> list[QueuedCallback]:
    """The head of the application's pending callbacks, in order, when it is due (an item waiting for its
    retry holds back the ones behind it: callbacks reach the customer in order)."""
    rows = await db.fetch(
        """
        WITH head AS (
            SELECT id, kind, item, attempts, created_at, next_at FROM callback_queue
            WHERE sdk_app_id = $1 AND state = 'pending' ORDER BY id LIMIT $3
        )
        SELECT id, kind, item, attempts, created_at FROM head
        WHERE (SELECT next_at FROM head ORDER BY id LIMIT 1) <= $2
        ORDER BY id
        """,
        sdk_app_id,
        now,
        limit,
    )
    return [
        QueuedCallback(r["id"], r["kind"], json.loads(r["item"]), r["attempts"], r["created_at"])
        for r in rows
    ]


async def callbacks_delivered(db: Db, sdk_app_id: str, ids: Sequence[int], *, now: datetime) -> None:
    """The customer answered {"result":0}: the items leave the queue and count as delivered callbacks."""
    await db.execute(
        f"""
        WITH gone AS (DELETE FROM callback_queue WHERE id = ANY($2::bigint[]) RETURNING id)
        INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, callbacks_delivered)
        SELECT $1, date_trunc('hour', $3::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '', {shard_sql()},
               a.account_id, (SELECT count(*) FROM gone)
        FROM apps a WHERE a.sdk_app_id = $1
        ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE
            SET callbacks_delivered = t.callbacks_delivered + EXCLUDED.callbacks_delivered
        """,  # noqa: S608 - fixed SQL fragments, values are parameters
        sdk_app_id,
        list(ids),
        now,
    )


async def callbacks_failed(
    db: Db,
    sdk_app_id: str,
    ids: Sequence[int],
    *,
    error: str,
    next_at: datetime,
    give_up_created_before: datetime,
    now: datetime,
) -> int:
    """A delivery failed: the items wait until `next_at`; those older than the give-up period are given up
    (kept for the operator, counted). Returns how many were given up."""
    given_up: int = await db.fetchval(
        f"""
        WITH changed AS (
            UPDATE callback_queue SET attempts = attempts + 1, last_error = $3, next_at = $4,
                state = CASE WHEN created_at < $5 THEN 'given_up' ELSE 'pending' END
            WHERE id = ANY($2::bigint[]) AND state = 'pending'
            RETURNING state
        ), counted AS (
            INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, callbacks_given_up)
            SELECT $1, date_trunc('hour', $6::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '',
                   {shard_sql()}, a.account_id, (SELECT count(*) FROM changed WHERE state = 'given_up')
            FROM apps a WHERE a.sdk_app_id = $1 AND EXISTS (SELECT 1 FROM changed WHERE state = 'given_up')
            ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE
                SET callbacks_given_up = t.callbacks_given_up + EXCLUDED.callbacks_given_up
        )
        SELECT count(*) FROM changed WHERE state = 'given_up'
        """,  # noqa: S608 - fixed SQL fragments, values are parameters
        sdk_app_id,
        list(ids),
        error[:500],
        next_at,
        give_up_created_before,
        now,
    )
    return given_up


async def drop_callbacks(db: Db, sdk_app_id: str, kind: str) -> int:
    """The application no longer has a URL for `kind`: what was queued for it is dropped."""
    result: str = await db.execute(
        "DELETE FROM callback_queue WHERE sdk_app_id = $1 AND kind = $2 AND state = 'pending'",
        sdk_app_id,
        kind,
    )
    return int(result.split()[-1])


async def apps_with_due_callbacks(db: Db, *, now: datetime, limit: int = 1000) -> list[str]:
    """Applications whose queue head is due. A skip scan of the pending index, one probe per application, so
    the sweep costs the same whether a dead endpoint has ten items waiting or a million."""
    rows = await db.fetch(
        """
        WITH RECURSIVE heads AS (
            (SELECT sdk_app_id, next_at FROM callback_queue WHERE state = 'pending'
             ORDER BY sdk_app_id, id LIMIT 1)
            UNION ALL
            SELECT next.sdk_app_id, next.next_at FROM heads, LATERAL (
                SELECT sdk_app_id, next_at FROM callback_queue
                WHERE state = 'pending' AND sdk_app_id > heads.sdk_app_id
                ORDER BY sdk_app_id, id LIMIT 1
            ) next
        )
        SELECT sdk_app_id FROM heads WHERE next_at <= $1 LIMIT $2
        """,
        now,
        limit,
    )
    return [r["sdk_app_id"] for r in rows]


async def app_owner(db: Db, sdk_app_id: str) -> int | None:
    owner: int | None = await db.fetchval("SELECT account_id FROM apps WHERE sdk_app_id = $1", sdk_app_id)
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
    db: Db, sdk_app_id: str, phone: str, *, begin: datetime, end: datetime, limit: int, offset: int
) -> tuple[int, list[SendRecordRow]]:
    """DescribeSendRecordList: the application's messages to `phone` sent in [begin, end], newest first, and
    how many there are in all."""
    rows = await db.fetch(
        """
        SELECT m.phone, m.serial_no, m.status, m.carrier_id, m.error, m.iso_code, m.content,
               t.content AS template_text, m.sign_name, m.accepted_at, m.reported_at, count(*) OVER () AS total
        FROM messages m LEFT JOIN templates t ON t.id = m.template_id
        WHERE m.phone = $2 AND m.accepted_at BETWEEN $3 AND $4 AND m.sdk_app_id = $1
        ORDER BY m.accepted_at DESC, m.id DESC LIMIT $5 OFFSET $6
        """,
        sdk_app_id,
        phone,
        begin,
        end,
        limit,
        offset,
    )
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset:
        total = int(
            await db.fetchval(
                "SELECT count(*) FROM messages WHERE phone = $2 AND accepted_at BETWEEN $3 AND $4"
                " AND sdk_app_id = $1",
                sdk_app_id,
                phone,
                begin,
                end,
            )
        )
    return total, [SendRecordRow(*[r[k] for k in SendRecordRow.__dataclass_fields__]) for r in rows]
