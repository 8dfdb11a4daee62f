"""The API process: create_app(settings) wires the dialects, the carrier webhook and health onto one app."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from arq import create_pool

from api import health, metrics
from api.admin import setup_admin
from api.carrier import webhooks as carrier_webhooks
from api.context import STATE, ApiState
from api.legacy_v5.handlers import setup_legacy_v5
from api.tencent_v3 import dispatch as tencent_v3
from core.infra.gate import Gate
from core.infra.postgres import create_pool as create_db_pool
from core.infra.queue import redis_settings
from core.infra.settings import Settings


async def _open_pools(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    state.db = await create_db_pool(
        state.settings.database_url, min_size=state.settings.db_pool_min, max_size=state.settings.db_pool_max
    )
    try:
        state.redis = await create_pool(redis_settings(state.settings.redis_url))
        state.gate = Gate(state.redis, state.settings.gate_hash_key)
        try:
            yield
        finally:
            await state.redis.aclose()
    finally:
        await state.db.close()


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> web.Application:
    # Oversized bodies surface as HTTPRequestEntityTooLarge, answered in each dialect's own shape.
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[STATE] = ApiState(settings=settings, clock=clock)
    app.cleanup_ctx.append(_open_pools)
    app.router.add_post("/", tencent_v3.handle)
    app.router.add_get("/", tencent_v3.handle)
    app.router.add_post("/carrier/reports", carrier_webhooks.reports)
    app.router.add_post("/carrier/replies", carrier_webhooks.replies)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics.metrics)
    setup_admin(app)
    setup_legacy_v5(app)
    return app
