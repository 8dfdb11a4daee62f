"""Scheduled jobs that record every run in Postgres (cron_runs): start, end, result or error, and whether the
schedule or an operator started it. A failure to record never stops the job itself."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from arq.typing import WorkerCoroutine

from core.services.cron_runs import finish_run, start_run
from core.services.platform import Platform
from worker.deps import get_deps

CronFunction = Callable[[dict[str, Any]], Awaitable[Any]]
MANUAL = "cron_trigger_manual"  # set in ctx by `smsctl cron run`
log = structlog.get_logger("worker.cron")


def recorded(job: CronFunction) -> WorkerCoroutine:
    name = job.__name__

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *_args: Any, **_kwargs: Any) -> Any:
        platform = get_deps(ctx).platform
        trigger = "manual" if ctx.get(MANUAL) else "schedule"
        run_id: int | None = None
        try:
            run_id = await start_run(platform, name, trigger=trigger)
        except Exception as exc:  # Postgres away: the job will most likely fail too, and say so
            log.warning("cron run not recorded", job=name, error=str(exc))
        try:
            result = await job(ctx)
        except Exception as exc:
            if run_id is not None:
                await _finish(platform, run_id, ok=False, result=None, error=f"{type(exc).__name__}: {exc}")
            raise
        if run_id is not None:
            await _finish(platform, run_id, ok=True, result=result, error="")
        return result

    return run


async def _finish(platform: Platform, run_id: int, *, ok: bool, result: Any, error: str) -> None:
    try:
        await finish_run(platform, run_id, ok=ok, result=result, error=error)
    except Exception as exc:
        log.warning("cron run end not recorded", run_id=run_id, error=str(exc))
