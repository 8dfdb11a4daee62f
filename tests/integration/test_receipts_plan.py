"""UCloud's GetUSMSSendReceipt reads up to 100 sessions, each a range of 256 batch ids: the range must be the
batch index's condition in every partition (one short index range a session), never a filter over a scan."""

from __future__ import annotations

import uuid

import asyncpg

from core.domain.serial import session_last, session_of
from core.store.queries import QUERIES


async def test_each_session_is_one_range_of_the_batch_index(db: asyncpg.Pool) -> None:
    query = QUERIES["receipts_by_sessions"]
    sessions = [session_of(uuid.uuid4()) for _ in range(100)]
    values = {"firsts": sessions, "lasts": [session_last(s) for s in sessions], "account_id": 1}
    async with db.acquire() as conn:
        plan = "\n".join(
            r[0] for r in await conn.fetch("EXPLAIN " + query.sql, *(values[p] for p in query.params))
        )
    scans = [line for line in plan.splitlines() if "Scan" in line and "messages_" in line]
    assert scans and all("batch_id_idx" in line for line in scans), plan
    assert plan.count("Index Cond: ((batch_id >= s.first_id) AND (batch_id <= s.last_id))") == len(scans), (
        plan
    )
