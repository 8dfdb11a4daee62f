"""The floor: the unavoidable I/O for N messages on the same Postgres, Redis and simulator, with the same
concurrency and none of the platform's logic. Per 200 messages: COPY the rows, push one queue item, one
simulator call, update the rows by id twice (sent, delivered)."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from datetime import UTC, datetime

import aiohttp
import asyncpg
from redis.asyncio import Redis

from core.infra.postgres import create_pool

COLUMNS = (
    "id", "accepted_at", "serial_no", "batch_id", "account_id", "sdk_app_id", "phone", "iso_code", "sign_name",
    "template_id", "content", "parts", "price_minor", "session_context", "status", "phone_hash",
)  # fmt: skip
CONTENT = "【Bench】Your code is 123456, valid for 5 minutes."
FLOOR_APP = "floor"
# Ids far above the platform's sequence, so floor rows never collide with real ones.
FIRST_ID = 10**15


async def run_floor(
    *,
    database_url: str,
    redis_url: str,
    simulator_url: str,
    token: str,
    messages: int,
    clients: int,
    batch: int = 200,
) -> dict[str, float]:
    pool = await create_pool(database_url, min_size=clients, max_size=clients)  # configured as the platform's
    redis = Redis.from_url(redis_url)
    now = datetime.now(UTC)
    batches = [(start, min(batch, messages - start)) for start in range(0, messages, batch)]
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for item in batches:
        queue.put_nowait(item)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

            async def one_client() -> None:
                while not queue.empty():
                    start, size = queue.get_nowait()
                    await _one_batch(pool, redis, http, simulator_url, headers, now, start, size)

            started = time.perf_counter()
            await asyncio.gather(*(one_client() for _ in range(clients)))
            seconds = time.perf_counter() - started
    finally:
        await redis.delete("bench:floor")
        await redis.aclose()
        await pool.execute("DELETE FROM messages WHERE sdk_app_id = $1 AND accepted_at = $2", FLOOR_APP, now)
        await pool.close()
    return {"messages": messages, "seconds": round(seconds, 3), "msgs_per_s": round(messages / seconds, 1)}


async def _one_batch(
    pool: asyncpg.Pool,
    redis: Redis,
    http: aiohttp.ClientSession,
    simulator_url: str,
    headers: dict[str, str],
    now: datetime,
    start: int,
    size: int,
) -> None:
    ids = list(range(FIRST_ID + start, FIRST_ID + start + size))
    batch_id = uuid.uuid4()
    # Each row with a 32-byte hash: the index entries a platform row has (sealing the number is logic, not I/O).
    rows = [
        (i, now, f"floor:{i}", batch_id, 0, FLOOR_APP, f"+86139{i % 10**8:08d}", "CN", "Bench", 0, CONTENT, 1, 4, "",
         "queued", hashlib.sha256(str(i).encode()).digest())
        for i in ids
    ]  # fmt: skip
    async with pool.acquire() as conn:
        await conn.copy_records_to_table("messages", records=rows, columns=COLUMNS)
    await redis.lpush("bench:floor", str(batch_id))  # type: ignore[misc]  # redis-py types it sync-or-async
    body = {"messages": [{"ref": r[2], "phone": r[6], "content": CONTENT, "sender_id": ""} for r in rows]}
    async with http.post(simulator_url + "/submit", json=body, headers=headers) as resp:
        resp.raise_for_status()
        results = (await resp.json())["results"]
    carrier_ids = [r["carrier_id"] for r in results]
    await pool.execute(
        "UPDATE messages m SET status = 'sent', carrier_id = r.cid FROM unnest($1::bigint[], $2::text[]) r(id, cid)"
        " WHERE m.id = r.id AND m.accepted_at = $3",
        ids,
        carrier_ids,
        now,
    )
    await pool.execute(
        "UPDATE messages SET status = 'delivered' WHERE id = ANY($1::bigint[]) AND accepted_at = $2", ids, now
    )
