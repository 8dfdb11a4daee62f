"""The arq workers: the main one (send batches, alarms, cron upkeep) with settings tuned for throughput, and
the callback worker on its own queue, so customer endpoints never hold the send path's job slots. Both build
the same typed deps on startup."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq import cron
from arq.cron import CronJob
from arq.worker import Worker, func

from core.infra.crypto import Keyring
from core.infra.outbound import GuardedClient
from core.infra.postgres import create_pool
from core.infra.queue import (
    CALLBACK_QUEUE,
    DELIVER_CALLBACKS,
    SEND_BATCH,
    health_check_key,
    redis_settings,
    worker_identity,
)
from core.infra.settings import Settings
from core.services.connectors import Connector
from core.services.platform import Platform
from worker.carriers.http import HttpConnector
from worker.deps import Deps, get_deps
from worker.jobs.alarms import raise_alarm
from worker.jobs.billing import arrears_watch, daily_deduction
from worker.jobs.callbacks import deliver_callbacks, purge_pull_queue, sweep_callbacks
from worker.jobs.measured import measured, measured_cron
from worker.jobs.recorded import recorded
from worker.jobs.send import send_batch
from worker.jobs.upkeep import create_partitions, purge_history, sweep_outbox, update_usual_volumes


def http_connector(settings: Settings) -> Connector:
    return HttpConnector(
        settings.carrier_url,
        settings.carrier_webhook_token,
        pool_size=settings.carrier_pool_size,
        idle_timeout_s=settings.carrier_idle_timeout_s,
        timeout_s=settings.carrier_timeout_s,
        dedupes_on_ref=settings.carrier_dedupes_on_serial,
    )


Lifecycle = Callable[[dict[str, Any]], Awaitable[None]]


def lifecycle(
    settings: Settings,
    clock: Callable[[], float],
    connector_factory: Callable[[Settings], Connector],
    worker_id: str | None = None,
) -> tuple[Lifecycle, Lifecycle]:
    """Startup and shutdown of a worker process; `worker_id` names it in the claims it makes (None for a job
    run by hand, which keeps no health key)."""

    async def on_startup(ctx: dict[str, Any]) -> None:
        # A malformed master key stops the worker here, naming the setting, not at its first callback.
        Keyring.parse(settings.master_key)
        # The Platform shares the worker's own Redis connection (arq opens it before on_startup).
        db = await create_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)
        ctx["deps"] = Deps(
            platform=Platform(settings, db, ctx["redis"], clock),
            connector=connector_factory(settings),
            http=GuardedClient(private_networks=settings.callback_private_networks),
            worker_id=worker_id,
        )

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if "deps" in ctx:
            deps = get_deps(ctx)
            await deps.connector.close()
            if deps.http is not None:
                await deps.http.close()
            await deps.platform.db.close()

    return on_startup, on_shutdown


def cron_jobs() -> list[CronJob]:
    """Every scheduled job, each recording its runs in cron_runs. All are idempotent and look at what is not
    done yet, so a missed run catches up and `smsctl cron run NAME` may run one at any time."""
    return [
        cron(recorded(sweep_outbox), second=7, unique=True, run_at_startup=False),  # every minute
        cron(recorded(create_partitions), hour={0, 12}, minute=5, second=0, unique=True),
        cron(
            recorded(update_usual_volumes),
            hour={0, 6, 12, 18},
            minute=20,
            second=0,
            unique=True,
            run_at_startup=True,
        ),
        cron(recorded(sweep_callbacks), second={0, 10, 20, 30, 40, 50}, unique=True, run_at_startup=False),
        cron(recorded(purge_pull_queue), hour=3, minute=40, second=0, unique=True),  # daily
        cron(recorded(purge_history), hour=3, minute=50, second=0, unique=True),  # daily
        # Every 10 minutes: charges whatever days are due (the billing time, catch-up).
        cron(
            recorded(daily_deduction),
            minute=set(range(0, 60, 10)),
            second=30,
            unique=True,
            run_at_startup=True,
        ),
        cron(recorded(arrears_watch), second=45, unique=True),  # every minute
    ]


def build_worker(
    settings: Settings,
    *,
    burst: bool = False,
    clock: Callable[[], float] = time.time,
    connector_factory: Callable[[Settings], Connector] = http_connector,
    with_cron: bool = True,
    **overrides: Any,
) -> Worker:
    # The claims this process makes name it, and its health key says it is alive (see the outbox sweep).
    worker_id = worker_identity("main")
    startup, on_shutdown = lifecycle(settings, clock, connector_factory, worker_id)

    async def on_startup(ctx: dict[str, Any]) -> None:
        await startup(ctx)
        await create_partitions(ctx)

    jobs = [measured_cron(job) for job in cron_jobs()] if with_cron else []
    options: dict[str, Any] = {
        "functions": [measured(send_batch), measured(raise_alarm)],
        "cron_jobs": jobs,
        "redis_settings": redis_settings(settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        # The defaults (poll 0.5 s, 10 jobs) cap a worker near 20 carrier-bound jobs per second.
        "max_jobs": settings.worker_max_jobs,
        "poll_delay": settings.worker_poll_delay_s,
        "job_timeout": settings.job_timeout_s,
        "max_tries": settings.send_max_tries,
        "keep_result": 3600,
        "burst": burst,
        "handle_signals": not burst,
        "health_check_interval": settings.worker_health_interval_s,
        "health_check_key": health_check_key(worker_id),
        **overrides,
    }
    assert send_batch.__name__ == SEND_BATCH
    return Worker(**options)


def build_callback_worker(
    settings: Settings,
    *,
    burst: bool = False,
    clock: Callable[[], float] = time.time,
    **overrides: Any,
) -> Worker:
    """The worker of the callback queue: at most callback_max_jobs deliveries at a time, each one
    application's queue in order. It does not handle signals: its process stops it with the main worker."""
    worker_id = worker_identity("callbacks")
    on_startup, on_shutdown = lifecycle(settings, clock, http_connector, worker_id)
    options: dict[str, Any] = {
        # keep_result=0: a finished delivery job frees its job id at once, so the next enqueue for the
        # application is not dropped for an hour.
        "functions": [func(measured(deliver_callbacks), keep_result=0)],
        "queue_name": CALLBACK_QUEUE,
        "redis_settings": redis_settings(settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_jobs": settings.callback_max_jobs,
        "poll_delay": settings.worker_poll_delay_s,
        "job_timeout": settings.job_timeout_s,
        "max_tries": 3,  # a job that fails (Postgres away) is retried; the sweep restarts it anyway
        "keep_result": 0,
        "burst": burst,
        "handle_signals": False,
        "health_check_interval": settings.worker_health_interval_s,
        "health_check_key": health_check_key(worker_id),
        **overrides,
    }
    assert deliver_callbacks.__name__ == DELIVER_CALLBACKS
    return Worker(**options)
