"""The asyncpg pool shared by a process."""

from __future__ import annotations

import asyncpg


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        # Statements are prepared per connection and reused; the platform's SQL is a fixed set.
        max_inactive_connection_lifetime=300,
    )
    assert pool is not None
    return pool
