"""Request limits every dialect applies before reading a request: the per-source-IP budget (L4)."""

from __future__ import annotations

import structlog
from aiohttp import web

from api.context import ApiState
from core.domain.errors import Code, PlatformError

log = structlog.get_logger("api.limits")


async def limit_source_ip(request: web.Request, state: ApiState, now: float) -> None:
    """L4: a per-second request budget per source IP, shared by every API process through Redis."""
    limit = state.settings.ip_requests_per_second
    if limit <= 0:
        return
    ip = request.remote or ""
    if state.settings.trust_forwarded_for and request.headers.get("X-Forwarded-For"):
        ip = request.headers["X-Forwarded-For"].split(",")[0].strip()
    key = f"ip:{ip}:{int(now)}"
    try:
        async with state.platform.queue.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2)
            count, _ = await pipe.execute()
    except Exception as exc:  # Redis down: the send path refuses anyway; other actions need not
        log.warning("source IP limit unavailable", error=str(exc))
        return
    if int(count) > limit:
        raise PlatformError(Code.IP_LIMIT)
