"""Customer callback jobs (core.services.callbacks does the work): deliver_callbacks runs on the callback
queue, one application at a time; the sweep (cron) restarts delivery whenever items are due; a daily cron
purges pull-queue items nobody pulled."""

from __future__ import annotations

from typing import Any

from core.services import callbacks
from worker.deps import get_deps


async def deliver_callbacks(ctx: dict[str, Any], sdk_app_id: str) -> dict[str, int]:
    deps = get_deps(ctx)
    assert deps.http is not None, "the worker opens the callback session on startup"
    return await callbacks.deliver(deps.platform, deps.http, sdk_app_id, job_id=ctx.get("job_id"))


async def sweep_callbacks(ctx: dict[str, Any]) -> int:
    """Cron: start delivery for every application whose queue head is due (retries whose wait is over,
    and anything an enqueue missed while that application's job was running)."""
    return await callbacks.sweep(get_deps(ctx).platform)


async def purge_pull_queue(ctx: dict[str, Any]) -> int:
    """Cron (daily): drop pull-queue items older than the retention period."""
    return await callbacks.purge_pull_queue(get_deps(ctx).platform)
