"""The asyncpg pool shared by a process."""

from __future__ import annotations

import asyncpg


async def _reset(conn: asyncpg.Connection) -> None:
    # The platform keeps no session state on pooled connections (no SET, LISTEN, cursors or advisory locks),
    # so asyncpg's default reset query on every release would be one wasted round trip (four statements) per
    # query. Only a transaction left open by an interrupted caller needs undoing.
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        max_inactive_connection_lifetime=300,
        reset=_reset,
    )
    assert pool is not None
    return pool
