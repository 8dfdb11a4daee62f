"""The record of scheduled-job runs (cron_runs): start, end, result or error, schedule or manual."""

from __future__ import annotations

from typing import Any

from core.services.platform import Platform
from core.store import cron_runs
from core.store.cron_runs import LastRun

__all__ = ["LastRun", "finish_run", "last_runs", "start_run"]


async def start_run(platform: Platform, job: str, *, trigger: str) -> int:
    return await cron_runs.start_run(platform.db, job, trigger=trigger, now=platform.utc_now())


async def finish_run(platform: Platform, run_id: int, *, ok: bool, result: Any, error: str) -> None:
    await cron_runs.finish_run(platform.db, run_id, ok=ok, result=result, error=error, now=platform.utc_now())


async def last_runs(platform: Platform, jobs: list[str]) -> dict[str, LastRun]:
    return await cron_runs.last_runs(platform.db, jobs)
