"""A worker recording its batches and the carrier webhook applying reports that span those batches update the
same rows at the same time. They must never deadlock (they did, under the benchmark's load, before every
multi-row update locked its rows in id order)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg

from core.domain.serial import format_serial
from core.store.messages import DeliveryReport, apply_reports, record_submit_results

BATCHES = 6
SIZE = 200
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
            (i, now, format_serial(now, i), batch_id, 1, "app", f"+86138{i % 10**8:08d}", "CN", 1, "x", 1, 4,
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
