"""Resolving where Postgres and Redis are: the configured URLs, or embedded servers under the data dir."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import click

from core.infra.embedded import EmbeddedPostgres, EmbeddedRedis, ensure_database
from core.infra.settings import Settings
from core.services.platform import Platform, open_platform

DATABASE = "sms"
T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    owned: list[str] = field(default_factory=list)

    def revive(self) -> list[str]:
        """Start again each embedded server that has died; the names of those it started."""
        revived = []
        if self.postgres is not None and self.postgres.revive():
            revived.append("postgres")
        if self.redis is not None and self.redis.revive():
            revived.append("redis")
        return revived

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()


def resolve(settings: Settings, *, need_redis: bool = True) -> Runtime:
    """Fill in DATABASE_URL / REDIS_URL, starting (or reusing) embedded servers when they are not set."""
    runtime = Runtime(settings)
    database_url, redis_url = settings.database_url, settings.redis_url
    if not database_url:
        runtime.postgres = EmbeddedPostgres(settings.data_dir.resolve() / "pg")
        ensure_database(runtime.postgres.url("postgres"), DATABASE)
        database_url = runtime.postgres.url(DATABASE)
    if not redis_url and need_redis:
        runtime.redis = EmbeddedRedis(settings.data_dir.resolve() / "redis")
        redis_url = runtime.redis.url
    runtime.settings = dataclasses.replace(settings, database_url=database_url, redis_url=redis_url)
    return runtime


def emit(value: Any) -> None:
    """Every smsctl command prints JSON."""
    click.echo(json.dumps(value, ensure_ascii=False, default=str, indent=2))


def with_db(settings: Settings, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `action` on one connection to the configured (or embedded) database."""
    runtime = resolve(settings, need_redis=False)

    async def run() -> T:
        conn = await asyncpg.connect(runtime.settings.database_url)
        try:
            return await action(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def with_pool(settings: Settings, action: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run `action` with a small pool (review transitions load, then write in a transaction)."""
    runtime = resolve(settings, need_redis=False)

    async def run() -> T:
        pool = await asyncpg.create_pool(runtime.settings.database_url, min_size=1, max_size=2)
        assert pool is not None
        try:
            return await action(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def with_platform(
    settings: Settings, action: Callable[[Platform], Awaitable[T]], *, redis: bool = False
) -> T:
    """Run `action` with the core services' Platform over the configured (or embedded) servers: a small
    Postgres pool, and Redis only when the command needs the queue or the gate."""
    runtime = resolve(settings, need_redis=redis)

    async def run() -> T:
        async with open_platform(runtime.settings, redis=redis, db_min=1, db_max=2) as platform:
            return await action(platform)

    return asyncio.run(run())
