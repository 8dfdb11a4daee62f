"""Job metrics: every job the workers run is wrapped once, in worker.main, to count its runs by result and
time them (core.infra.metrics JOBS, JOB_SECONDS). Only in-process counters: nothing is added to the job's I/O."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from typing import Any

from arq import Retry
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import RetryJob

from core.infra.metrics import JOB_SECONDS, JOBS


def measured(job: WorkerCoroutine) -> WorkerCoroutine:
    """The job, counted by result (ok, retry, cancelled, error) under its function's name."""
    name = getattr(job, "__name__", job.__qualname__)

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = "error"
        try:
            value = await job(ctx, *args, **kwargs)
            result = "ok"
            return value
        except (Retry, RetryJob):
            result = "retry"
            raise
        except asyncio.CancelledError:  # a timeout, or a shutdown past its grace period
            result = "cancelled"
            raise
        finally:
            JOBS.labels(name, result).inc()
            JOB_SECONDS.labels(name).observe(time.perf_counter() - started)

    return run


def measured_cron(job: CronJob) -> CronJob:
    """The same cron job (name, schedule, options) with its coroutine measured."""
    return dataclasses.replace(job, coroutine=measured(job.coroutine))
