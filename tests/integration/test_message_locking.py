"""A worker recording its batches and the carrier webhook applying reports that span those batches update the
same rows at the same time. They must never deadlock (they did, under the benchmark's load, before every
multi-row update locked its rows in id order)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from arq import create_pool as create_arq_pool
from arq.constants import in_progress_key_prefix
from redis.asyncio import Redis

from core.domain.serial import format_serial
from core.domain.unknown_outcomes import BadOperatorRequest
from core.infra.queue import health_check_key, redis_settings, worker_identity
from core.infra.settings import Settings
from core.services import unknown_outcomes
from core.services.platform import Platform as Services
from core.services.upkeep import sweep_outbox
from core.store.admin import create_account
from core.store.messages import DeliveryReport, apply_reports, claim_batch, record_submit_results
from core.store.sealed_numbers import CONTENT, PHONE
from tests.keyring import KEYRING

BATCHES = 6
SIZE = 200
# Numbers and texts are sealed at rest: the rows written here are sealed as intake seals them.
SEALED_X = KEYRING.seal("x", CONTENT)


def _sealed_phone(i: int) -> str:
    return KEYRING.seal(f"+86138{i % 10**8:08d}", PHONE)


COLUMNS = ("id", "accepted_at", "serial_no", "batch_id", "account_id", "sdk_app_id", "phone", "iso_code",
           "template_id", "content", "parts", "price_minor", "status")  # fmt: skip


async def _rows(db: asyncpg.Pool, round_no: int, now: datetime) -> list[tuple[uuid.UUID, list[int]]]:
    batches = []
    records = []
    for b in range(BATCHES):
        batch_id = uuid.uuid4()
        # Interleaved ids: each batch's rows are spread among the others', as concurrent inserts leave them.
        ids = [1_000_000 * (round_no + 1) + i * BATCHES + b for i in range(SIZE)]
        batches.append((batch_id, ids))
        records += [
            (i, now, format_serial(now, i), batch_id, 1, "app", _sealed_phone(i), "CN", 1, SEALED_X, 1, 4,
             "sending")
            for i in ids
        ]  # fmt: skip
    async with db.acquire() as conn:
        await conn.copy_records_to_table("messages", records=records, columns=COLUMNS)
    return batches


async def test_recording_batches_and_applying_reports_concurrently_never_deadlocks(db: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    for round_no in range(15):
        batches = await _rows(db, round_no, now)
        every_id = sorted(i for _, ids in batches for i in ids)
        # Reports arrive in the reverse order of the ids, in two overlapping halves.
        reports = [DeliveryReport(format_serial(now, i), f"C{i}", True, "", now) for i in reversed(every_id)]
        records = [
            record_submit_results(
                db,
                batch_id,
                now,
                ids=ids,
                carrier_ids=[f"C{i}" for i in ids],
                errors=[""] * len(ids),
                now=now,
                usage_day=now.date(),
            )
            for batch_id, ids in batches
        ]
        results = await asyncio.gather(
            apply_reports(db, reports[: len(reports) // 2 + 300]),
            apply_reports(db, reports[len(reports) // 2 - 300 :]),
            *records,
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        assert failures == []
        statuses = await db.fetch(
            "SELECT DISTINCT status FROM messages WHERE id = ANY($1::bigint[]) AND accepted_at = $2",
            every_id,
            now,
        )
        assert [r["status"] for r in statuses] == ["delivered"]


# Issue 14, finding 5: who holds a claim, and what the sweep does with a dead worker's batch.

LEASE_S = Settings().claim_lease_s


@asynccontextmanager
async def _services(db: asyncpg.Pool, redis_url: str, at: datetime) -> AsyncIterator[Services]:
    redis = await create_arq_pool(redis_settings(redis_url))
    try:
        yield Services(Settings(redis_url=redis_url), db, redis, lambda: at.timestamp())
    finally:
        await redis.aclose()


async def _claimed_batch(
    db: asyncpg.Pool,
    worker_id: str | None,
    now: datetime,
    size: int = 5,
    account_id: int = 1,
    job_id: str | None = None,
) -> list[int]:
    """A request's batch (outbox row and `queued` rows), claimed by `worker_id` in `job_id` at `now`."""
    batch_id = uuid.uuid4()
    ids = [
        r["id"]
        for r in await db.fetch("SELECT nextval('message_id_seq') AS id FROM generate_series(1, $1)", size)
    ]
    records = [
        (i, now, format_serial(now, i), batch_id, account_id, "app", _sealed_phone(i), "CN", 1, SEALED_X, 1, 4,
         "queued")
        for i in ids
    ]  # fmt: skip
    async with db.acquire() as conn:
        await conn.copy_records_to_table("messages", records=records, columns=COLUMNS)
    await db.execute(
        "INSERT INTO send_outbox (batch_id, accepted_at, due_at) VALUES ($1, $2, $2)", batch_id, now
    )
    claimed = await claim_batch(db, KEYRING, batch_id, now, now=now, worker_id=worker_id, job_id=job_id)
    assert [m.ref for m in claimed] == [format_serial(now, i) for i in ids]
    return [m.id for m in claimed]


async def _statuses(db: asyncpg.Pool, ids: list[int]) -> list[str]:
    rows = await db.fetch("SELECT status FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id", ids)
    return [r["status"] for r in rows]


async def test_a_live_job_keeps_its_batch_past_the_lease_and_a_dead_ones_becomes_unknown(
    db: asyncpg.Pool, redis_url: str
) -> None:
    """A claim names its worker and job; past the lease the sweep checks the worker's health key and the job's
    in-progress key. Both there: the batch stays, however slow the carrier. The job ended without recording
    (failed or cancelled mid-call, worker alive) or the worker died: with a carrier that does not dedupe the
    messages become `unknown`, are listed, and nothing is enqueued again, then or later."""
    now = datetime.now(UTC)
    worker = worker_identity("main")
    slow = await _claimed_batch(db, worker, now, job_id="send:slow")
    ended = await _claimed_batch(db, worker, now, job_id="send:ended")
    redis = Redis.from_url(redis_url)
    try:
        # As the live worker and its two running jobs keep them.
        await redis.psetex(health_check_key(worker), 60_000, b"j_ongoing=2")
        for job in ("send:slow", "send:ended"):
            await redis.psetex(in_progress_key_prefix + job, 60_000, b"1")
        async with _services(db, redis_url, now + timedelta(seconds=LEASE_S + 1)) as later:
            assert await sweep_outbox(later, resubmit=False) == 0
            assert await _statuses(db, slow + ended) == ["sending"] * 10
            assert await db.fetchval("SELECT count(*) FROM send_outbox WHERE claimed_by = $1", worker) == 2

            await redis.delete(in_progress_key_prefix + "send:ended")  # that job ended, its worker lives
            assert await sweep_outbox(later, resubmit=False) == 0
            assert await _statuses(db, slow + ended) == ["sending"] * 5 + ["unknown"] * 5

            await redis.delete(health_check_key(worker))  # the worker died: its key expired
            assert await sweep_outbox(later, resubmit=False) == 0
            assert await _statuses(db, slow) == ["unknown"] * 5
            assert await db.fetchval("SELECT count(*) FROM send_outbox") == 0
            listed = await unknown_outcomes.list_unknown(later)
            assert [u.message_id for u in listed] == sorted(slow + ended)
            assert {u.worker_id for u in listed} == {worker}
            assert await sweep_outbox(later, resubmit=False) == 0
            assert await later.queue.queued_jobs() == []
    finally:
        await redis.aclose()


async def test_a_deduping_connector_gets_a_dead_workers_batch_back_to_resubmit(
    db: asyncpg.Pool, redis_url: str
) -> None:
    """With a carrier that dedupes on our serial, a dead worker's batch is freed and enqueued again (not
    before the lease), and the next job claims the same rows under the same serials."""
    now = datetime.now(UTC)
    ids = await _claimed_batch(db, worker_identity("main"), now)  # no health key: the worker is dead
    async with _services(db, redis_url, now + timedelta(seconds=10)) as soon:
        assert await sweep_outbox(soon, resubmit=True) == 0
    async with _services(db, redis_url, now + timedelta(seconds=LEASE_S + 1)) as later:
        assert await sweep_outbox(later, resubmit=True) == 1
        assert [j.function for j in await later.queue.queued_jobs()] == ["send_batch"]
    batch_id = await db.fetchval("SELECT batch_id FROM send_outbox WHERE claimed_at IS NULL")
    again = await claim_batch(
        db, KEYRING, batch_id, now, now=now + timedelta(seconds=LEASE_S + 2), worker_id="w2"
    )
    assert [m.id for m in again] == ids
    assert [m.ref for m in again] == [format_serial(now, i) for i in ids]


async def test_unknown_messages_are_settled_by_a_late_report_or_an_operator(
    db: asyncpg.Pool, redis_url: str
) -> None:
    """A late report settles an `unknown` message like any other. The operator's fail reports it failed
    (pull queue) and takes its cost out of the usage; the operator's resend requeues it in a new batch, under
    its serial or, when asked, a fresh carrier reference. An `unknown` message itself stays charged."""
    now = datetime.now(UTC)
    account = await create_account(db, KEYRING, name="unknown", kind="organization")
    ids = await _claimed_batch(db, "dead-worker", now, account_id=account.account_id)
    serials = [format_serial(now, i) for i in ids]
    async with _services(db, redis_url, now + timedelta(seconds=LEASE_S + 1)) as later:
        await sweep_outbox(later, resubmit=False)
        assert await db.fetchval("SELECT count(*) FROM usage_daily") == 0  # nothing refunded

        applied = await apply_reports(db, [DeliveryReport(serials[0], "C0", True, "", now)])
        assert applied.count == 1

        failed = await unknown_outcomes.fail(later, [serials[1], serials[0]], reason="lost")
        assert (failed.settled, failed.skipped) == ([serials[1]], [serials[0]])
        usage = await db.fetchval(
            "SELECT sum(amount_minor) FROM usage_daily WHERE account_id = $1", account.account_id
        )
        assert usage == -4  # one part at 4: refunded
        pulled = await db.fetchval(
            "SELECT count(*) FROM pull_queue WHERE ref_id = ANY($1::bigint[])", ids[:2]
        )
        assert pulled == 2  # the report's status and the operator's

        same = await unknown_outcomes.resend(later, [serials[2]])
        fresh = await unknown_outcomes.resend(later, [serials[3]], fresh_ref=True)
        assert (same.settled, fresh.settled) == ([serials[2]], [serials[3]])
        with pytest.raises(BadOperatorRequest):
            await unknown_outcomes.resend(later, ["20260101:x"])
        assert await _statuses(db, ids) == ["delivered", "failed", "queued", "queued", "unknown"]
        assert [u.serial_no for u in await unknown_outcomes.list_unknown(later)] == [serials[4]]

        refs = []
        for job in await later.queue.queued_jobs():
            batch_id, accepted_at = job.args
            claimed = await claim_batch(
                db, KEYRING, uuid.UUID(batch_id), datetime.fromisoformat(accepted_at), now=now, worker_id="w2"
            )
            refs += [m.ref for m in claimed]
        assert sorted(refs) == sorted([serials[2], serials[3] + "~1"])
