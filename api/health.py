"""Health for load balancers and orchestrators: /healthz says the process answers; /readyz says it can do its
work: Postgres and Redis reachable within a short timeout and the schema's migrations all applied."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiohttp import web

from api.context import STATE
from core.infra.migrations import pending

CHECK_TIMEOUT_S = 2.0
log = structlog.get_logger("api.health")


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            missing = await pending(state.platform.db)
        checks["postgres"] = "ok"
        checks["migrations"] = "current" if not missing else {"pending": missing}
    except Exception as exc:  # unreachable, timed out, or refused: not ready, and why
        checks["postgres"] = f"unavailable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await state.platform.queue.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    ready = checks["postgres"] == "ok" and checks["redis"] == "ok" and checks["migrations"] == "current"
    if not ready:
        log.warning("not ready", **{k: str(v) for k, v in checks.items()})
    return web.json_response(
        {"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503
    )
