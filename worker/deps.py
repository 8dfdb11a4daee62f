"""The worker's typed context: built once in on_startup, fetched by every job with get_deps(ctx)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
from arq.connections import ArqRedis

from core.infra.settings import Settings
from worker.carriers.base import Connector


@dataclass
class Deps:
    settings: Settings
    db: asyncpg.Pool
    connector: Connector
    clock: Callable[[], float] = time.time
    # The customer-callback client: one per worker process, opened in on_startup, closed in on_shutdown.
    http: aiohttp.ClientSession | None = None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def today(self) -> date:
        """The platform's day (its time zone): the day usage and charges are counted on."""
        return datetime.fromtimestamp(self.clock(), ZoneInfo(self.settings.timezone)).date()


def get_deps(ctx: dict[str, Any]) -> Deps:
    deps = ctx["deps"]
    assert isinstance(deps, Deps)
    return deps


def get_redis(ctx: dict[str, Any]) -> ArqRedis:
    redis = ctx["redis"]
    assert isinstance(redis, ArqRedis)
    return redis
