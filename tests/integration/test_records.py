"""Rule B4 against real Postgres: message records searched by account or application, number and time range,
newest first, a keyset page at a time, masked for display; and exported through a server-side cursor whose
memory does not grow with the number of rows."""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.domain.records import masked_row
from core.store.intake import ensure_partitions
from core.store.records import export_csv, search_records, stream_records
from tests.keyring import KEYRING
from tests.records_seed import SeedTenant, insert_bulk, insert_message, seed_tenant

NOW = datetime.now(UTC).replace(microsecond=0)
ALICE, BOB = "+8613800138000", "+8613900139000"


@dataclass
class World:
    db: asyncpg.Pool
    acme: SeedTenant  # two applications
    other: SeedTenant  # another account, sending to the same numbers
    ids: dict[str, int]


@pytest.fixture
async def world(db: asyncpg.Pool) -> World:
    # A day back too: "old" is 30 hours ago, before yesterday when the tests run between 00:00 and 06:00 UTC.
    await ensure_partitions(db, NOW - timedelta(days=1), days=2)
    acme = await seed_tenant(db, "Acme", apps=2)
    other = await seed_tenant(db, "Other")
    ids = {
        "old": await insert_message(db, acme, phone=ALICE, amount="1001", at=NOW - timedelta(hours=30)),
        "a1": await insert_message(db, acme, phone=ALICE, amount="1002", at=NOW - timedelta(hours=3)),
        "b1": await insert_message(db, acme, phone=BOB, amount="1003", at=NOW - timedelta(hours=2)),
        "a2": await insert_message(db, acme, phone=ALICE, amount="1004", at=NOW - timedelta(hours=1), app=1),
        "x1": await insert_message(db, other, phone=ALICE, amount="1005", at=NOW - timedelta(minutes=30)),
    }
    return World(db, acme, other, ids)


async def search(world: World, **filters: object) -> list[int]:
    args: dict[str, object] = {
        "account_id": None,
        "sdk_app_id": None,
        "phone": None,
        "since": NOW - timedelta(hours=24),
        "until": NOW,
        "limit": 100,
        "before": None,
    }
    args.update(filters)
    return [r.id for r in await search_records(world.db, KEYRING, **args)]  # type: ignore[arg-type]


async def test_search_filters_by_application_account_number_and_time_newest_first(world: World) -> None:
    ids, acme = world.ids, world.acme
    assert await search(world, sdk_app_id=acme.apps[0]) == [ids["b1"], ids["a1"]]
    assert await search(world, account_id=acme.account_id) == [ids["a2"], ids["b1"], ids["a1"]]
    assert await search(world, account_id=acme.account_id, phone=ALICE) == [ids["a2"], ids["a1"]]
    assert await search(world, sdk_app_id=acme.apps[0], phone=BOB) == [ids["b1"]]
    # [since, until): the window decides, the default day leaves the 30-hour-old record out.
    assert await search(world, sdk_app_id=acme.apps[0], since=NOW - timedelta(hours=48)) == [
        ids["b1"],
        ids["a1"],
        ids["old"],
    ]
    assert await search(world, account_id=acme.account_id, until=NOW - timedelta(hours=2)) == [ids["a1"]]
    assert await search(world, account_id=acme.account_id, since=NOW - timedelta(hours=2)) == [
        ids["a2"],
        ids["b1"],
    ]


async def test_another_accounts_records_are_never_returned(world: World) -> None:
    acme, other = world.acme, world.other
    assert await search(world, account_id=other.account_id) == [world.ids["x1"]]
    assert world.ids["x1"] not in await search(world, account_id=acme.account_id, phone=ALICE)
    # An application of another account under this account's filter: nothing, not that app's records.
    assert await search(world, account_id=acme.account_id, sdk_app_id=other.apps[0]) == []


async def test_records_are_masked_for_display(world: World) -> None:
    [record] = await search_records(
        world.db,
        KEYRING,
        account_id=None,
        sdk_app_id=world.acme.apps[1],
        phone=None,
        since=NOW - timedelta(hours=24),
        until=NOW,
        limit=10,
        before=None,
    )
    row = masked_row(record)
    assert row["phone"] == "+86138****8000"
    assert row["content"] == "【Bank】Dear customer, your top-up payment of 1**4 USD has been credited"
    assert row["serial_no"] == f"{(NOW - timedelta(hours=1)):%Y%m%d}:{world.ids['a2']}"
    assert ALICE not in str(row) and "1004" not in str(row)


async def test_pages_cover_every_record_once_even_when_times_are_equal(db: asyncpg.Pool) -> None:
    await ensure_partitions(db, NOW, days=1)
    tenant = await seed_tenant(db, "Pages")
    expected = []
    for i in range(23):  # a batch's messages share their acceptance time: ties broken by id
        at = NOW - timedelta(minutes=i // 5)
        expected.append((at, await insert_message(db, tenant, phone=ALICE, amount=str(1000 + i), at=at)))
    expected.sort(reverse=True)
    seen: list[tuple[datetime, int]] = []
    before = None
    while True:
        page = await search_records(
            db,
            KEYRING,
            account_id=tenant.account_id,
            sdk_app_id=None,
            phone=None,
            since=NOW - timedelta(hours=1),
            until=NOW + timedelta(seconds=1),
            limit=4,
            before=before,
        )
        if not page:
            break
        seen.extend(r.position for r in page)
        before = page[-1].position
    assert seen == expected


async def test_a_stream_yields_chunks_in_order_and_releases_its_snapshot_when_closed(world: World) -> None:
    async with world.db.acquire() as conn:
        chunks = stream_records(
            conn,
            KEYRING,
            account_id=world.acme.account_id,
            sdk_app_id=None,
            phone=None,
            since=NOW - timedelta(hours=48),
            until=NOW,
            chunk_rows=3,
        )
        first = await anext(chunks)
        assert [r.id for r in first] == [world.ids["a2"], world.ids["b1"], world.ids["a1"]]
        await chunks.aclose()  # stopped early: the read-only transaction ends, the connection is usable
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT 1") == 1


async def _export_peak(db: asyncpg.Pool, tenant: SeedTenant) -> tuple[int, int, int]:
    """Rows exported, bytes written and the Python heap's peak while exporting the tenant's records."""
    written = 0

    async def write(text: str) -> None:
        nonlocal written
        written += len(text)

    async with db.acquire() as conn:
        tracemalloc.start()
        try:
            rows = await export_csv(
                conn,
                KEYRING,
                write,
                account_id=None,
                sdk_app_id=tenant.apps[0],
                phone=None,
                since=NOW - timedelta(hours=1),
                until=NOW,
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return rows, written, peak


async def test_an_export_streams_100000_rows_in_bounded_memory(db: asyncpg.Pool) -> None:
    await ensure_partitions(db, NOW, days=1)
    small, large = await seed_tenant(db, "Small"), await seed_tenant(db, "Large")
    await insert_bulk(db, small, count=2_000, newest=NOW - timedelta(seconds=1))
    await insert_bulk(db, large, count=100_000, newest=NOW - timedelta(seconds=1))
    await _export_peak(db, small)  # warm up: prepared statements, regex cache

    small_rows, _, small_peak = await _export_peak(db, small)
    large_rows, large_bytes, large_peak = await _export_peak(db, large)

    assert (small_rows, large_rows) == (2_000, 100_000)
    assert large_bytes > 10_000_000  # the whole file went through `write`...
    # ...but the heap held about one chunk at a time: 50 times the rows, not 50 times the memory. (Measured
    # here: about 2.3 MB for either; loading the 100,000 records at once peaks at about 120 MB.)
    assert large_peak < 2 * small_peak + 512 * 1024, (small_peak, large_peak)
