"""Message state changes after intake, each ONE statement per batch: claim, record carrier results, release
for retry, fail, apply delivery reports, and the outbox sweep. Also the operator's record listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    serial_no: str
    phone: str
    content: str


async def claim_batch(
    db: Db, batch_id: uuid.UUID, accepted_at: datetime, *, now: datetime, lease_s: int
) -> list[ClaimedMessage]:
    """Take the batch's unsent rows for this job. A row already claimed by a live job is left alone; one whose
    claim is older than the lease belonged to a worker that died and is taken over."""
    rows = await db.fetch(
        """
        UPDATE messages SET status = 'sending', claimed_at = $3::timestamptz, attempts = attempts + 1, retry_at = NULL
        WHERE batch_id = $1 AND accepted_at = $2
          AND (status = 'queued' OR (status = 'sending' AND claimed_at < $3::timestamptz - make_interval(secs => $4::int)))
        RETURNING id, serial_no, phone, content
        """,
        batch_id,
        accepted_at,
        now,
        lease_s,
    )
    return sorted((ClaimedMessage(r["id"], r["serial_no"], r["phone"], r["content"]) for r in rows), key=_id)


def _id(m: ClaimedMessage) -> int:
    return m.id


async def record_submit_results(
    db: Db,
    accepted_at: datetime,
    *,
    ids: Sequence[int],
    carrier_ids: Sequence[str | None],
    errors: Sequence[str],
    now: datetime,
) -> None:
    """Store what the carrier said. A report may already have moved a row past `sending`; keep its status."""
    await db.execute(
        """
        UPDATE messages m SET
            carrier_id = COALESCE(m.carrier_id, r.carrier_id),
            sent_at = $5,
            status = CASE WHEN m.status <> 'sending' THEN m.status
                          WHEN r.carrier_id IS NULL THEN 'failed' ELSE 'sent' END,
            error = CASE WHEN r.carrier_id IS NULL AND m.status = 'sending' THEN r.error ELSE m.error END
        FROM unnest($1::bigint[], $2::text[], $3::text[]) AS r(id, carrier_id, error)
        WHERE m.id = r.id AND m.accepted_at = $4
        """,
        list(ids),
        list(carrier_ids),
        list(errors),
        accepted_at,
        now,
    )


async def release_for_retry(db: Db, accepted_at: datetime, ids: Sequence[int], *, retry_at: datetime) -> None:
    """Give claimed rows back to the outbox after a transient carrier failure; the sweep leaves them until
    `retry_at` so the job's own backoff decides when they go again."""
    await db.execute(
        "UPDATE messages SET status = 'queued', claimed_at = NULL, retry_at = $3"
        " WHERE id = ANY($1::bigint[]) AND accepted_at = $2 AND status = 'sending'",
        list(ids),
        accepted_at,
        retry_at,
    )


async def fail_messages(db: Db, accepted_at: datetime, ids: Sequence[int], *, reason: str) -> None:
    await db.execute(
        "UPDATE messages SET status = 'failed', error = $3"
        " WHERE id = ANY($1::bigint[]) AND accepted_at = $2 AND status = 'sending'",
        list(ids),
        accepted_at,
        reason,
    )


@dataclass(frozen=True)
class DeliveryReport:
    serial_no: str
    carrier_id: str
    delivered: bool
    error: str
    report_time: datetime


async def apply_reports(db: Db, reports: Sequence[DeliveryReport]) -> int:
    """Apply a carrier's batch of delivery reports in ONE statement; returns how many rows changed. The
    serial numbers' days bound the scan to their partitions."""
    if not reports:
        return 0
    days = sorted({d for r in reports if (d := _serial_day(r.serial_no)) is not None})
    if not days:
        return 0
    first = datetime.strptime(str(days[0]), "%Y%m%d").replace(tzinfo=UTC)
    last = datetime.strptime(str(days[-1]), "%Y%m%d").replace(tzinfo=UTC) + timedelta(days=1)
    result: str = await db.execute(
        """
        UPDATE messages m SET
            status = CASE WHEN r.delivered THEN 'delivered' ELSE 'failed' END,
            error = r.error, reported_at = r.report_time,
            carrier_id = COALESCE(m.carrier_id, r.carrier_id)
        FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::timestamptz[])
             AS r(serial_no, carrier_id, delivered, error, report_time)
        WHERE m.serial_no = r.serial_no AND m.accepted_at >= $6 AND m.accepted_at < $7
          AND m.status IN ('sending', 'sent')
        """,
        [r.serial_no for r in reports],
        [r.carrier_id for r in reports],
        [r.delivered for r in reports],
        [r.error for r in reports],
        [r.report_time for r in reports],
        first,
        last,
    )
    return int(result.split()[-1])


def _serial_day(serial_no: str) -> int | None:
    day, _, _ = serial_no.partition(":")
    return int(day) if len(day) == 8 and day.isdigit() else None


@dataclass(frozen=True)
class StaleBatch:
    batch_id: uuid.UUID
    accepted_at: datetime


async def find_stale_batches(
    db: Db, *, now: datetime, stale_after_s: int, lease_s: int, limit: int = 1000
) -> list[StaleBatch]:
    """Batches the outbox must push again: rows still `queued` long after acceptance (their job was lost)
    and not waiting on a retry, or `sending` rows whose claim outlived the lease (their worker died)."""
    rows = await db.fetch(
        """
        SELECT DISTINCT batch_id, accepted_at FROM messages
        WHERE status IN ('queued', 'sending')
          AND accepted_at < $1::timestamptz - make_interval(secs => $2::int)
          AND ((status = 'queued' AND (retry_at IS NULL OR retry_at < $1::timestamptz))
               OR (status = 'sending' AND claimed_at < $1::timestamptz - make_interval(secs => $3::int)))
        LIMIT $4
        """,
        now,
        stale_after_s,
        lease_s,
        limit,
    )
    return [StaleBatch(r["batch_id"], r["accepted_at"]) for r in rows]


@dataclass(frozen=True)
class MessageRecord:
    serial_no: str
    phone: str
    iso_code: str
    status: str
    fee: int
    price_minor: int
    error: str
    carrier_id: str | None
    template_id: int
    sign_name: str
    accepted_at: datetime
    sent_at: datetime | None
    reported_at: datetime | None


async def list_messages(
    db: Db, sdk_app_id: str, *, phone: str | None = None, limit: int = 50
) -> list[MessageRecord]:
    rows = await db.fetch(
        """
        SELECT serial_no, phone, iso_code, status, parts, price_minor, error, carrier_id, template_id,
               sign_name, accepted_at, sent_at, reported_at
        FROM messages WHERE sdk_app_id = $1 AND ($2::text IS NULL OR phone = $2)
        ORDER BY accepted_at DESC, id DESC LIMIT $3
        """,
        sdk_app_id,
        phone,
        limit,
    )
    return [
        MessageRecord(
            r["serial_no"], r["phone"], r["iso_code"], r["status"], r["parts"], r["price_minor"], r["error"],
            r["carrier_id"], r["template_id"], r["sign_name"], r["accepted_at"], r["sent_at"], r["reported_at"],
        )
        for r in rows
    ]  # fmt: skip
