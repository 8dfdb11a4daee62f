"""Message state changes after intake, each ONE statement per batch: claim, record carrier results, release
for retry, fail, apply delivery reports, and the outbox sweep.

Every statement that updates several messages first locks them in id order (`ORDER BY id FOR UPDATE`): a
worker recording a batch and the webhook applying reports that span batches then never wait on each other in
a cycle (unordered, they deadlocked under load)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from core.domain.reports import report_outcome, submit_failure_outcome
from core.domain.serial import SerialRef, parse_serial
from core.store.report_feed import CALLBACK_APPS, publish_statuses
from core.store.usage import add_usage_sql

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    serial_no: str
    phone: str
    content: str
    sdk_app_id: str
    iso_code: str = ""


async def claim_batch(
    db: Db, batch_id: uuid.UUID, accepted_at: datetime, *, now: datetime, lease_s: int
) -> list[ClaimedMessage]:
    """Take the batch for this job, in ONE statement: its outbox row first (unclaimed, or claimed longer ago
    than the lease by a worker that died), then its unsent rows. A batch a live job holds yields nothing."""
    rows = await db.fetch(
        """
        WITH claim AS (
            UPDATE send_outbox SET claimed_at = $3::timestamptz, attempts = attempts + 1
            WHERE batch_id = $1
              AND (claimed_at IS NULL OR claimed_at < $3::timestamptz - make_interval(secs => $4::int))
            RETURNING batch_id
        ), locked AS (
            SELECT m.id FROM messages m JOIN claim ON m.batch_id = claim.batch_id
            WHERE m.accepted_at = $2 AND m.status IN ('queued', 'sending')
            ORDER BY m.id FOR UPDATE OF m
        )
        UPDATE messages m SET status = 'sending', claimed_at = $3::timestamptz, attempts = m.attempts + 1
        FROM locked
        WHERE m.id = locked.id AND m.accepted_at = $2
        RETURNING m.id, m.serial_no, m.phone, m.content, m.sdk_app_id, m.iso_code
        """,
        batch_id,
        accepted_at,
        now,
        lease_s,
    )
    claimed = (
        ClaimedMessage(
            r["id"], r["serial_no"], r["phone"], r["content"], r["sdk_app_id"], r["iso_code"] or ""
        )
        for r in rows
    )
    return sorted(claimed, key=_id)


def _id(m: ClaimedMessage) -> int:
    return m.id


async def record_submit_results(
    db: Db,
    batch_id: uuid.UUID,
    accepted_at: datetime,
    *,
    ids: Sequence[int],
    carrier_ids: Sequence[str | None],
    errors: Sequence[str],
    now: datetime,
    usage_day: date,
    last: bool = True,
) -> list[str]:
    """Store what the carrier said and, with the batch's last chunk, close its outbox row, in ONE statement.
    A report may already have moved a row past `sending`; its status stays. Numbers the carrier refused get
    their final status published and are not charged: their cost leaves the account's usage on `usage_day`
    (today, in the platform's time zone). Returns the applications that now have callbacks to deliver."""
    apps: list[str] = await db.fetchval(
        """
        WITH done AS (DELETE FROM send_outbox WHERE batch_id = $6 AND $7::bool),
        locked AS (
            SELECT id FROM messages WHERE id = ANY($1::bigint[]) AND accepted_at = $4 ORDER BY id FOR UPDATE
        ), updated AS (
            UPDATE messages m SET
                carrier_id = COALESCE(m.carrier_id, r.carrier_id),
                sent_at = $5,
                status = CASE WHEN m.status <> 'sending' THEN m.status
                              WHEN r.carrier_id IS NULL THEN 'failed' ELSE 'sent' END,
                error = CASE WHEN r.carrier_id IS NULL AND m.status = 'sending' THEN r.error ELSE m.error END,
                reported_at = CASE WHEN r.carrier_id IS NULL AND m.status = 'sending' THEN $5 ELSE m.reported_at END
            FROM locked JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS r(id, carrier_id, error) USING (id)
            WHERE m.id = locked.id AND m.accepted_at = $4
            RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
                      m.session_context, false AS delivered, m.error, m.reported_at, $8::text AS outcome,
                      m.status = 'failed' AND r.carrier_id IS NULL AND m.reported_at = $5 AS refused,
                      m.parts, m.price_minor
        ), final AS (SELECT * FROM updated WHERE refused),
        refunded AS ("""  # noqa: S608 - fixed SQL fragments, values are parameters
        + add_usage_sql("final", day_param="$9", refund=True)
        + """
        )
        """
        + publish_statuses("final")
        + f" SELECT {CALLBACK_APPS}",
        list(ids),
        list(carrier_ids),
        list(errors),
        accepted_at,
        now,
        batch_id,
        last,
        submit_failure_outcome().value,
        usage_day,
    )
    return apps


async def release_for_retry(
    db: Db, batch_id: uuid.UUID, accepted_at: datetime, ids: Sequence[int], *, retry_at: datetime
) -> None:
    """Give claimed rows back after a transient carrier failure. The outbox row waits until `retry_at`, so the
    job's own backoff, not the sweep, decides when they go again."""
    await db.execute(
        """
        WITH outbox AS (
            INSERT INTO send_outbox (batch_id, accepted_at, due_at) VALUES ($3, $2, $4)
            ON CONFLICT (batch_id) DO UPDATE SET claimed_at = NULL, due_at = EXCLUDED.due_at
        ), locked AS (
            SELECT id FROM messages WHERE id = ANY($1::bigint[]) AND accepted_at = $2 ORDER BY id FOR UPDATE
        )
        UPDATE messages m SET status = 'queued', claimed_at = NULL, retry_at = $4
        FROM locked WHERE m.id = locked.id AND m.accepted_at = $2 AND m.status = 'sending'
        """,
        list(ids),
        accepted_at,
        batch_id,
        retry_at,
    )


async def fail_messages(
    db: Db,
    batch_id: uuid.UUID,
    accepted_at: datetime,
    ids: Sequence[int],
    *,
    reason: str,
    now: datetime,
    usage_day: date,
) -> list[str]:
    """Permanent failure before the carrier took them: the rows fail with the reason (their final status,
    published like a report), their cost leaves the usage on `usage_day`, the batch is done. Returns the
    applications with callbacks to deliver."""
    apps: list[str] = await db.fetchval(
        """
        WITH done AS (DELETE FROM send_outbox WHERE batch_id = $4),
        locked AS (
            SELECT id FROM messages WHERE id = ANY($1::bigint[]) AND accepted_at = $2 ORDER BY id FOR UPDATE
        ), final AS (
            UPDATE messages m SET status = 'failed', error = $3, reported_at = $5
            FROM locked WHERE m.id = locked.id AND m.accepted_at = $2 AND m.status = 'sending'
            RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
                      m.session_context, false AS delivered, m.error, m.reported_at, $6::text AS outcome,
                      m.parts, m.price_minor
        ), refunded AS ("""  # noqa: S608 - fixed SQL fragments, values are parameters
        + add_usage_sql("final", day_param="$7", refund=True)
        + """
        )
        """
        + publish_statuses("final")
        + f" SELECT {CALLBACK_APPS}",
        list(ids),
        accepted_at,
        reason[:500],
        batch_id,
        now,
        submit_failure_outcome().value,
        usage_day,
    )
    return apps


async def close_finished_batch(db: Db, batch_id: uuid.UUID, accepted_at: datetime) -> bool:
    """Drop the outbox row of a batch none of whose rows is left to send (reports gave them all a final
    status while the batch waited for a retry), so the sweep stops offering it. A live job's rows are
    `sending`, so this never closes a batch still being worked on."""
    result: str = await db.execute(
        """
        DELETE FROM send_outbox WHERE batch_id = $1 AND NOT EXISTS (
            SELECT 1 FROM messages WHERE batch_id = $1 AND accepted_at = $2 AND status IN ('queued', 'sending')
        )
        """,
        batch_id,
        accepted_at,
    )
    return result.endswith(" 1")


@dataclass(frozen=True)
class DeliveryReport:
    serial_no: str
    carrier_id: str
    delivered: bool
    error: str
    report_time: datetime


@dataclass(frozen=True)
class Applied:
    count: int  # reports that gave a message its final status
    callback_apps: list[str]  # applications that now have status callbacks to deliver
    # (iso_code, delivered) -> messages, for the metrics: the final statuses this batch applied, by country
    outcomes: dict[tuple[str, bool], int] = field(default_factory=dict)


async def apply_reports(db: Db, reports: Sequence[DeliveryReport]) -> Applied:
    """Apply a carrier's batch of delivery reports in ONE statement; returns how many rows changed. Each serial
    gives the row's id and day, so the update is primary-key lookups in the days' partitions; the plan does not
    depend on statistics (a new day's partition has none yet). Serials we never issued are ignored. Each
    final status is published (pull queue, callback queue, statistics) by the same statement."""
    refs = [(r, ref) for r in reports if (ref := parse_serial(r.serial_no)) is not None]
    if not refs:
        return Applied(0, [])
    row = await db.fetchrow(
        """
        WITH locked AS (
            SELECT id, accepted_at FROM messages
            WHERE id = ANY($1::bigint[]) AND accepted_at >= $7 AND accepted_at < $8
            ORDER BY id FOR UPDATE
        ), final AS (
            UPDATE messages m SET
                status = CASE WHEN r.delivered THEN 'delivered' ELSE 'failed' END,
                error = r.error, reported_at = r.report_time,
                carrier_id = COALESCE(m.carrier_id, r.carrier_id)
            FROM locked
            JOIN unnest($1::bigint[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::timestamptz[],
                        $9::text[])
                 AS r(id, serial_no, carrier_id, delivered, error, report_time, outcome) USING (id)
            WHERE m.id = locked.id AND m.accepted_at = locked.accepted_at
              -- 'queued': a batch waiting for its retry after a timeout may already have reached the carrier.
              AND m.serial_no = r.serial_no AND m.status IN ('queued', 'sending', 'sent')
            RETURNING m.id, m.sdk_app_id, m.account_id, m.iso_code, m.accepted_at, m.phone, m.serial_no,
                      m.session_context, r.delivered, m.error, m.reported_at, r.outcome
        )
        """  # noqa: S608 - fixed SQL fragments, values are parameters
        + publish_statuses("final")
        + f" SELECT (SELECT count(*) FROM final) AS applied, {CALLBACK_APPS} AS apps,"  # noqa: S608 - fixed fragment
        + " (SELECT array_agg(ARRAY[iso_code, delivered::text, n::text]) FROM"
        + " (SELECT coalesce(iso_code, '') AS iso_code, delivered, count(*) AS n FROM final GROUP BY 1, 2) o) AS outcomes",
        [ref.message_id for _, ref in refs],
        [r.serial_no for r, _ in refs],
        [r.carrier_id for r, _ in refs],
        [r.delivered for r, _ in refs],
        [r.error for r, _ in refs],
        [r.report_time for r, _ in refs],
        min((ref for _, ref in refs), key=_day).day_start,
        max((ref for _, ref in refs), key=_day).day_end,
        [report_outcome(r.delivered, r.error).value for r, _ in refs],
    )
    assert row is not None
    outcomes = {(iso, delivered == "true"): int(n) for iso, delivered, n in row["outcomes"] or []}
    return Applied(row["applied"], row["apps"], outcomes)


def _day(ref: SerialRef) -> date:
    return ref.day


@dataclass(frozen=True)
class StaleBatch:
    batch_id: uuid.UUID
    accepted_at: datetime


async def find_stale_batches(db: Db, *, now: datetime, lease_s: int, limit: int = 1000) -> list[StaleBatch]:
    """Batches the outbox must push again: unclaimed past their due time (their job was lost, or a retry's
    backoff is over) or claimed longer ago than the lease (their worker died)."""
    rows = await db.fetch(
        """
        SELECT batch_id, accepted_at FROM send_outbox
        WHERE (claimed_at IS NULL AND due_at < $1::timestamptz)
           OR claimed_at < $1::timestamptz - make_interval(secs => $2::int)
        ORDER BY due_at LIMIT $3
        """,
        now,
        lease_s,
        limit,
    )
    return [StaleBatch(r["batch_id"], r["accepted_at"]) for r in rows]


async def update_usual_volumes(db: Db, *, since: datetime, until: datetime, days: int) -> int:
    """Every application's usual daily volume: its messages in [since, until) divided by `days`, in ONE
    statement (an index range per application). Returns how many applications were updated."""
    result: str = await db.execute(
        """
        UPDATE apps a SET usual_volume_updated_at = now(), usual_daily_volume = (
            SELECT count(*) FROM messages m
            WHERE m.sdk_app_id = a.sdk_app_id AND m.accepted_at >= $1 AND m.accepted_at < $2
        ) / $3
        """,
        since,
        until,
        days,
    )
    return int(result.split()[-1])
