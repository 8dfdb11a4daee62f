"""smsctl cron list | run NAME: the scheduled jobs, when each runs next and how its last run went (from
cron_runs); and running one now. Every job is idempotent, so running one by hand is always safe."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import click
from arq.connections import create_pool as create_redis
from arq.cron import CronJob, next_cron

from cli.runtime import emit, resolve, with_platform
from core.infra.queue import redis_settings
from core.infra.settings import Settings
from core.services.cron_runs import last_runs
from core.services.platform import Platform


def _jobs() -> list[CronJob]:
    from worker.main import cron_jobs  # the worker's own schedule, not a copy

    return cron_jobs()


def _name(job: CronJob) -> str:
    """The job's function name: what cron_runs records and `cron run` takes (arq prefixes "cron:")."""
    return job.name.removeprefix("cron:")


def _schedule(job: CronJob) -> dict[str, Any]:
    fields = ("month", "day", "weekday", "hour", "minute", "second")
    return {f: sorted(v) if isinstance(v, set) else v for f in fields if (v := getattr(job, f)) is not None}


@click.group()
def cron() -> None:
    """The scheduled jobs the workers run."""


async def cron_overview(platform: Platform) -> list[dict[str, Any]]:
    """Each scheduled job: its schedule (worker local time), next run, and its last run."""
    jobs = _jobs()
    runs = await last_runs(platform, [_name(j) for j in jobs])
    now = datetime.now().astimezone()
    return [
        {
            "job": _name(job),
            "schedule": _schedule(job),
            "next_run": next_cron(
                now.replace(tzinfo=None), month=job.month, day=job.day, weekday=job.weekday,
                hour=job.hour, minute=job.minute, second=job.second, microsecond=job.microsecond,
            ).replace(tzinfo=now.tzinfo, microsecond=0).isoformat(),
            "last_run": runs[_name(job)].to_json() if _name(job) in runs else None,
        }
        for job in jobs
    ]  # fmt: skip


@cron.command("list")
@click.pass_obj
def cron_list(settings: Settings) -> None:
    """Each job: its schedule (worker local time), next run, and its last run's start, end, result."""
    emit(with_platform(settings, cron_overview))


@cron.command("run")
@click.argument("name")
@click.pass_obj
def cron_run(settings: Settings, name: str) -> None:
    """Run the job NAME once now, as the worker would; the run is recorded as manual."""
    jobs = {_name(j): j for j in _jobs()}
    if name not in jobs:
        raise click.BadParameter(f"no such job; the jobs are: {', '.join(sorted(jobs))}", param_hint="NAME")
    runtime = resolve(settings)

    async def run() -> Any:
        from worker.jobs.recorded import MANUAL
        from worker.main import http_connector, lifecycle

        on_startup, on_shutdown = lifecycle(runtime.settings, time.time, http_connector)
        ctx: dict[str, Any] = {
            MANUAL: True,
            "redis": await create_redis(redis_settings(runtime.settings.redis_url)),
        }
        try:
            await on_startup(ctx)
            return await jobs[name].coroutine(ctx)
        finally:
            await on_shutdown(ctx)
            await ctx["redis"].aclose()

    emit({"job": name, "result": asyncio.run(run())})
