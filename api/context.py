"""Typed keys for what an API process holds: settings, the Postgres pool, the arq Redis pool, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from aiohttp import web
from arq.connections import ArqRedis

from core.infra.gate import Gate
from core.infra.settings import Settings


@dataclass
class ApiState:
    settings: Settings
    clock: Callable[[], float]
    db: asyncpg.Pool | None = None
    redis: ArqRedis | None = None
    gate: Gate | None = None

    def pool(self) -> asyncpg.Pool:
        assert self.db is not None, "the database pool is opened in cleanup_ctx"
        return self.db

    def limits(self) -> Gate:
        assert self.gate is not None, "the gate is created with the redis pool"
        return self.gate

    def queue(self) -> ArqRedis:
        assert self.redis is not None, "the redis pool is opened in cleanup_ctx"
        return self.redis


STATE = web.AppKey("state", ApiState)
