"""The Platform: what every service needs (settings, clock, Postgres pool, Redis with the arq queue and the
per-number gate), built once per process (the API's cleanup context, the worker's startup, a CLI command)
and handed to each service call. Front doors hold one and never open their own connections."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

import asyncpg
from arq import create_pool as create_redis_pool
from arq.connections import ArqRedis

from core.infra.crypto import Keyring
from core.infra.gate import Gate
from core.infra.postgres import create_pool
from core.infra.queue import redis_settings
from core.infra.replays import ReplayGuard
from core.infra.settings import Settings

Clock = Callable[[], float]


@dataclass(frozen=True)
class Platform:
    settings: Settings
    db: asyncpg.Pool
    # The arq queue's connection; the gate runs its Lua on the same one. None for a process that needs only
    # Postgres (most smsctl commands), so that they never start an embedded Redis.
    redis: ArqRedis | None
    clock: Clock = time.time

    @property
    def queue(self) -> ArqRedis:
        assert self.redis is not None, "this process was built without Redis"
        return self.redis

    @cached_property
    def keyring(self) -> Keyring:
        return Keyring.parse(self.settings.master_key)

    @cached_property
    def gate(self) -> Gate:
        return Gate(self.queue, self.settings.gate_hash_key)

    @cached_property
    def replays(self) -> ReplayGuard:
        """What the front doors remember of signed requests, so that none runs twice (on the queue's Redis)."""
        return ReplayGuard(self.queue)

    def now(self) -> float:
        return self.clock()

    def utc_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def today(self) -> date:
        """The platform's day (its time zone): the day usage and charges are counted on."""
        return datetime.fromtimestamp(self.clock(), ZoneInfo(self.settings.timezone)).date()


@asynccontextmanager
async def open_platform(
    settings: Settings,
    *,
    clock: Clock = time.time,
    db_min: int | None = None,
    db_max: int | None = None,
    redis: bool = True,
) -> AsyncIterator[Platform]:
    """Open the pools, yield the Platform, close them (in reverse order) however the block ends. A malformed
    master key stops the process here, naming the setting, not at its first signed request."""
    Keyring.parse(settings.master_key)
    db = await create_pool(
        settings.database_url,
        min_size=settings.db_pool_min if db_min is None else db_min,
        max_size=settings.db_pool_max if db_max is None else db_max,
    )
    try:
        queue = await create_redis_pool(redis_settings(settings.redis_url)) if redis else None
        try:
            yield Platform(settings, db, queue, clock)
        finally:
            if queue is not None:
                await queue.aclose()
    finally:
        await db.close()
