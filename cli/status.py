"""smsctl status: the platform at a glance, for the operator on call: processes alive, queues and jobs in
progress, the last hour's messages by minute and status, outbox and callback backlogs, accounts in arrears
and suspended, and every scheduled job's next run and last result."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import click
from redis.asyncio import Redis

from cli.cron import cron_overview
from cli.processes import live_workers
from cli.runtime import emit, resolve
from core.infra.queue import queue_overview
from core.infra.settings import Settings
from core.services import operations
from core.services.platform import open_platform

API_TIMEOUT_S = 2.0


async def _api(url: str) -> str:
    try:
        timeout = aiohttp.ClientTimeout(total=API_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url + "/readyz") as resp:
            body = await resp.json()
            return str(body.get("status", resp.status))
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return f"unreachable: {type(exc).__name__}"


async def gather_status(settings: Settings) -> dict[str, Any]:
    now = datetime.now(UTC)
    # A plain Redis client, not the Platform's queue: status must answer (saying so) while Redis is down.
    redis = Redis.from_url(settings.redis_url)
    async with open_platform(settings, redis=False, db_min=1, db_max=1) as platform:
        try:
            workers, queues, api = await asyncio.gather(
                live_workers(settings.redis_url),
                queue_overview(redis, now_ms=time.time() * 1000),
                _api(settings.api_url),
            )
        finally:
            await redis.aclose()
        # One connection: its queries go one after the other.
        minutes = await operations.messages_by_minute(platform)
        pending = await operations.backlogs(platform)
        cron = await cron_overview(platform)
    return {
        "at": now.isoformat(),
        "processes": {"api": api, "workers": workers},
        "queues": queues,
        "messages_last_hour_by_minute": minutes,
        **pending,
        "cron": cron,
    }


@click.command("status")
@click.pass_obj
def status(settings: Settings) -> None:
    """The platform at a glance (JSON): processes, queues, messages per minute, backlogs, arrears, cron."""
    emit(asyncio.run(gather_status(resolve(settings).settings)))
