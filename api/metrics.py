"""GET /metrics: this API process's Prometheus metrics (core.infra.metrics), with the arq queues' depth and lag read
from Redis at scrape time. Not behind the admin token, as Prometheus expects; it holds no secrets and no
numbers, but it should still not be reachable from the internet."""

from __future__ import annotations

import structlog
from aiohttp import web

from api.context import STATE
from core.infra.metrics import exposition, read_queues

log = structlog.get_logger("api.metrics")


async def metrics(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        await read_queues(state.platform.queue)  # arq scores jobs by the real clock, not the API's
    except Exception as exc:  # Redis away: the counters are still worth a scrape; the queue gauges read NaN
        log.warning("queue metrics unavailable", error=str(exc))
    body, content_type = exposition(request.headers.get("Accept", ""))
    return web.Response(body=body, headers={"Content-Type": content_type})
