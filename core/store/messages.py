"""Message state changes after intake, each ONE statement per batch: claim, record carrier results, release
for retry, fail, apply delivery reports, and the outbox sweep (sql/queries/messages.sql).

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
from core.domain.serial import SerialRef, carrier_ref, parse_serial, serial_of_ref
from core.infra.crypto import Keyring
from core.store import queries
from core.store.sealed_numbers import open_content, open_number

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    serial_no: str
    phone: str
    content: str
    sdk_app_id: str
    iso_code: str = ""
    # What the carrier gets as the message's reference: the serial, or a fresh one after an operator's resend.
    ref: str = ""


async def claim_batch(
    db: Db,
    keyring: Keyring,
    batch_id: uuid.UUID,
    accepted_at: datetime,
    *,
    now: datetime,
    worker_id: str | None,
    job_id: str | None = None,
) -> list[ClaimedMessage]:
    """Take the batch for this job, in ONE statement: its outbox row first (only when no job holds it; the
    sweep frees a dead claim), recorded as held by `worker_id` and `job_id` (None: no health key or no arq
    job, whose claim only the lease ends), then its unsent rows. A batch another job holds yields nothing.
    The claimed rows' numbers and content are opened: they go to the carrier."""
    rows = await queries.fetch(
        db,
        "claim_batch",
        batch_id=batch_id,
        accepted_at=accepted_at,
        now=now,
        worker_id=worker_id,
        job_id=job_id,
    )
    # A batch's rows share one sealed text (insert_batch seals it once): open each distinct one once.
    texts = {sealed: open_content(keyring, sealed) for sealed in {r["content"] for r in rows}}
    claimed = (
        ClaimedMessage(
            r["id"],
            r["serial_no"],
            open_number(keyring, r["phone"]),
            texts[r["content"]],
            r["sdk_app_id"],
            r["iso_code"] or "",
            carrier_ref(r["serial_no"], r["ref_generation"]),
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
    apps: list[str] = await queries.fetchval(
        db,
        "record_submit_results",
        ids=list(ids),
        carrier_ids=list(carrier_ids),
        errors=list(errors),
        accepted_at=accepted_at,
        now=now,
        batch_id=batch_id,
        last=last,
        outcome=submit_failure_outcome().value,
        usage_day=usage_day,
    )
    return apps


async def release_for_retry(
    db: Db, batch_id: uuid.UUID, accepted_at: datetime, ids: Sequence[int], *, retry_at: datetime
) -> None:
    """Give claimed rows back after a transient carrier failure. The outbox row waits until `retry_at`, so the
    job's own backoff, not the sweep, decides when they go again."""
    await queries.execute(
        db,
        "release_for_retry",
        ids=list(ids),
        accepted_at=accepted_at,
        batch_id=batch_id,
        retry_at=retry_at,
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
    apps: list[str] = await queries.fetchval(
        db,
        "fail_messages",
        ids=list(ids),
        accepted_at=accepted_at,
        reason=reason[:500],
        batch_id=batch_id,
        now=now,
        outcome=submit_failure_outcome().value,
        usage_day=usage_day,
    )
    return apps


async def mark_submit_unknown(
    db: Db,
    batch_id: uuid.UUID,
    accepted_at: datetime,
    ids: Sequence[int],
    *,
    now: datetime,
    worker_id: str | None,
    last: bool,
) -> int:
    """A failed carrier call that may have reached a carrier that does not dedupe: the rows become `unknown`,
    listed for an operator, and with the batch's last chunk its outbox row closes; ONE statement. Returns how
    many rows were marked."""
    result = await queries.execute(
        db,
        "mark_submit_unknown",
        batch_id=batch_id,
        accepted_at=accepted_at,
        ids=list(ids),
        now=now,
        worker_id=worker_id,
        last=last,
    )
    return int(result.split()[-1])


async def close_finished_batch(db: Db, batch_id: uuid.UUID, accepted_at: datetime) -> bool:
    """Drop the outbox row of a batch none of whose rows is left to send (reports gave them all a final
    status while the batch waited for a retry), so the sweep stops offering it. A live job's rows are
    `sending`, so this never closes a batch still being worked on."""
    result = await queries.execute(db, "close_finished_batch", batch_id=batch_id, accepted_at=accepted_at)
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
    # A report names the reference the carrier got: the serial, or `<serial>~<n>` after a fresh-reference
    # resend; either settles the message.
    refs = [(r, ref) for r in reports if (ref := parse_serial(serial_of_ref(r.serial_no))) is not None]
    if not refs:
        return Applied(0, [])
    row = await queries.fetchrow(
        db,
        "apply_reports",
        ids=[ref.message_id for _, ref in refs],
        serials=[serial_of_ref(r.serial_no) for r, _ in refs],
        carrier_ids=[r.carrier_id for r, _ in refs],
        delivered=[r.delivered for r, _ in refs],
        errors=[r.error for r, _ in refs],
        report_times=[r.report_time for r, _ in refs],
        first_day=min((ref for _, ref in refs), key=_day).day_start,
        end_day=max((ref for _, ref in refs), key=_day).day_end,
        outcomes=[report_outcome(r.delivered, r.error).value for r, _ in refs],
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
    # Claimed past the lease (by worker `claimed_by` in job `claimed_job`; None where the claim named none),
    # or unclaimed past due.
    claimed: bool = False
    claimed_by: str | None = None
    claimed_job: str | None = None


async def find_stale_batches(db: Db, *, now: datetime, lease_s: int, limit: int = 1000) -> list[StaleBatch]:
    """Batches the outbox must look at again: unclaimed past their due time (their job was lost, or a retry's
    backoff is over), or claimed longer ago than the lease, with the worker and job that claimed them (taken
    over only once that worker's health key or that job's in-progress key is gone)."""
    rows = await queries.fetch(db, "find_stale_batches", now=now, lease_s=lease_s, limit=limit)
    return [
        StaleBatch(r["batch_id"], r["accepted_at"], r["claimed"], r["claimed_by"], r["claimed_job"])
        for r in rows
    ]


async def release_dead_claims(
    db: Db, dead: Sequence[StaleBatch], *, now: datetime, lease_s: int
) -> list[StaleBatch]:
    """Free the dead claims on these batches in ONE statement, so a new job claims and resubmits them (for a
    carrier that dedupes on our serial). A batch claimed again meanwhile stays. Returns those freed."""
    rows = await queries.fetch(
        db,
        "release_dead_claims",
        batch_ids=[b.batch_id for b in dead],
        workers=[b.claimed_by for b in dead],
        jobs=[b.claimed_job for b in dead],
        now=now,
        lease_s=lease_s,
    )
    return [StaleBatch(r["batch_id"], r["accepted_at"]) for r in rows]


@dataclass(frozen=True)
class Marked:
    batches: int
    messages: int


async def mark_unknown_outcomes(db: Db, dead: Sequence[StaleBatch], *, now: datetime, lease_s: int) -> Marked:
    """Batches with dead claims, for a carrier that cannot dedupe, in ONE statement: their claimed rows become
    `unknown` (never resent automatically), are listed for an operator, and the outbox rows close."""
    row = await queries.fetchrow(
        db,
        "mark_unknown_outcomes",
        batch_ids=[b.batch_id for b in dead],
        workers=[b.claimed_by for b in dead],
        jobs=[b.claimed_job for b in dead],
        now=now,
        lease_s=lease_s,
    )
    assert row is not None
    return Marked(row["batches"], row["messages"])


async def update_usual_volumes(db: Db, *, since: datetime, until: datetime, days: int) -> int:
    """Every application's usual daily volume: its messages in [since, until) divided by `days`, in ONE
    statement (an index range per application). Returns how many applications were updated."""
    result = await queries.execute(db, "update_usual_volumes", since=since, until=until, days=days)
    return int(result.split()[-1])
