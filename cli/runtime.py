"""Resolving where Postgres and Redis are: the configured URLs, or embedded servers under the data dir."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from core.embedded import EmbeddedPostgres, EmbeddedRedis, ensure_database
from core.settings import Settings

DATABASE = "sms"


@dataclass
class Runtime:
    settings: Settings
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    owned: list[str] = field(default_factory=list)

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
