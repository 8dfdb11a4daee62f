"""Scheduled jobs that record every run in Postgres (cron_runs): start, end, result or error, and whether the
schedule or an operator started it. A failure to record never stops the job itself. Each run is also one log
line: at info when it did something, at debug when it found nothing to do (an idle stack stays quiet)."""

from __future__ import annotations

import functools
import logging
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
        level = logging.DEBUG if did_nothing(result) else logging.INFO
        log.log(level, "cron run", job=name, trigger=trigger, result=result)
        return result

    return run


def did_nothing(result: Any) -> bool:
    """A cron result that reports no work: None, zero, empty, or a mapping of such values."""
    if isinstance(result, dict):
        return all(did_nothing(value) for value in result.values())
    return not result


async def _finish(platform: Platform, run_id: int, *, ok: bool, result: Any, error: str) -> None:
    try:
        await finish_run(platform, run_id, ok=ok, result=result, error=error)
    except Exception as exc:
        log.warning("cron run end not recorded", run_id=run_id, error=str(exc))
