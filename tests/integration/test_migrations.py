"""The migration runner against a real, empty Postgres."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from core.infra.migrations import load_migrations, migrate, pending


async def test_all_migrations_apply_to_an_empty_database_once(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        applied = await migrate(conn)
        assert applied == [m.name for m in load_migrations()]
        assert await migrate(conn) == []
        assert await pending(conn) == []
    finally:
        await conn.close()


async def test_concurrent_migrators_apply_each_migration_once(database_url: str) -> None:
    conns = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        await conns[0].execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, len(load_migrations())]
    finally:
        for c in conns:
            await c.close()


async def test_message_partitions_exist_for_today_and_the_days_ahead(db: asyncpg.Pool) -> None:
    today = datetime.now(UTC).date()
    for offset in range(0, 3):
        day = today + timedelta(days=offset)
        name = f"messages_{day:%Y%m%d}"
        assert await db.fetchval("SELECT to_regclass($1) IS NOT NULL", name), name
