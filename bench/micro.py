"""Micro-benchmarks of single hot statements, on a throwaway embedded Postgres (the figures quoted in
bench/REPORT.md's notes):

    .venv/bin/python -m bench.micro apply-reports [--reports 100000]
    .venv/bin/python -m bench.micro insert-batch [--batches 500]

apply-reports: `apply_reports` over `sent` messages in 1,000-report batches, two at a time.
insert-batch: `insert_batch` of 200 mainland numbers for one account, four connections at a time."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from core.domain.phone import Phone
from core.domain.sending import RequestCounts
from core.infra.crypto import DEV_MASTER_KEY, Keyring
from core.infra.embedded import EmbeddedPostgres
from core.infra.migrations import migrate
from core.store import admin
from core.store.intake import ensure_partitions, insert_batch
from core.store.messages import DeliveryReport, apply_reports

REPORT_BATCH = 1000
# The micro benchmarks seal the keys they create under the development key: nothing opens them.
KEYRING = Keyring.parse(DEV_MASTER_KEY)
NUMBERS = 200


async def _setup(url: str) -> tuple[asyncpg.Pool, int, str]:
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    pool = await asyncpg.create_pool(url, min_size=4, max_size=4)
    assert pool is not None
    acct = await admin.create_account(pool, KEYRING, name="micro", kind="organization", balance_minor=0)
    app = await admin.create_app(pool, KEYRING, account_id=acct.account_id, name="micro")
    await ensure_partitions(pool, datetime.now(UTC), days=1)
    return pool, acct.account_id, app.sdk_app_id


async def apply_reports_bench(url: str, reports: int) -> str:
    pool, account_id, sdk_app_id = await _setup(url)
    now = datetime.now(UTC)
    await pool.execute(
        """
        INSERT INTO messages (id, accepted_at, serial_no, batch_id, account_id, sdk_app_id, phone, iso_code,
                              template_id, content, parts, price_minor, status, carrier_id)
        SELECT g, $1, to_char($1 AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || g, gen_random_uuid(), $2, $3,
               '+86138' || lpad(g::text, 8, '0'), 'CN', 1, 'hello', 1, 45, 'sent', 'c' || g
        FROM generate_series(1, $4) g
        """,
        now,
        account_id,
        sdk_app_id,
        reports,
    )
    await pool.execute("VACUUM ANALYZE messages")
    day = now.strftime("%Y%m%d")
    batches = [
        [DeliveryReport(f"{day}:{i}", f"c{i}", True, "", now) for i in range(start, start + REPORT_BATCH)]
        for start in range(1, reports + 1, REPORT_BATCH)
    ]

    async def run(share: list[list[DeliveryReport]]) -> None:
        for batch in share:
            await apply_reports(pool, batch)

    started = time.perf_counter()
    await asyncio.gather(run(batches[0::2]), run(batches[1::2]))
    elapsed = time.perf_counter() - started
    await pool.close()
    return f"apply_reports: {reports} reports in {elapsed:.2f} s, {elapsed / reports * 1e6:.1f} us per report"


async def insert_batch_bench(url: str, batches: int) -> str:
    pool, account_id, sdk_app_id = await _setup(url)
    phones = [Phone(f"+86138{i:08d}", "86", f"138{i:08d}", "CN") for i in range(NUMBERS)]
    counts = RequestCounts(("CN",), (NUMBERS,), (NUMBERS,), (NUMBERS,))

    async def run(n: int) -> None:
        for _ in range(n):
            now = datetime.now(UTC)
            await insert_batch(
                pool, KEYRING, account_id=account_id, sdk_app_id=sdk_app_id, sign_name="S", template_id=1,
                content="hello", parts=1, session_contexts=[""] * len(phones), phones=phones, now=now, stale_after_s=60,
                counts=counts, usage_day=now.date(),
            )  # fmt: skip

    await run(20)  # warm up: plans, partitions
    started = time.perf_counter()
    await asyncio.gather(*(run(batches // 4) for _ in range(4)))
    elapsed = time.perf_counter() - started
    await pool.close()
    done = batches // 4 * 4
    return f"insert_batch: {done} batches of {NUMBERS} in {elapsed:.2f} s, {elapsed / done * 1000:.2f} ms per batch"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.micro", description=__doc__.split("\n\n")[0])
    parser.add_argument("which", choices=["apply-reports", "insert-batch"])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsmicro") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", cleanup="stop")
        if args.which == "apply-reports":
            print(asyncio.run(apply_reports_bench(server.url(), args.reports)))
        else:
            print(asyncio.run(insert_batch_bench(server.url(), args.batches)))


if __name__ == "__main__":
    main()
