"""Scheduled upkeep: the outbox sweep (re-enqueue batches whose job was lost or whose worker died) and the
creation of message partitions ahead of time. Both look at what is not done yet, so missed runs catch up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from core.infra.queue import enqueue_send_batch
from core.store.cron_runs import purge_runs
from core.store.intake import ensure_partitions
from core.store.messages import find_stale_batches
from core.store.messages import update_usual_volumes as update_usual_volumes_in_db
from worker.deps import get_deps, get_redis

log = structlog.get_logger("worker.upkeep")
USUAL_VOLUME_DAYS = 7


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    deps = get_deps(ctx)
    now = deps.now()
    stale = await find_stale_batches(deps.db, now=now, lease_s=deps.settings.claim_lease_s)
    redis = get_redis(ctx)
    # A fresh job id per sweep minute: the original job id may still be held by a finished or dead job.
    attempt = f"sweep{int(now.timestamp()) // 60}"
    for batch in stale:
        await enqueue_send_batch(redis, batch.batch_id, batch.accepted_at, attempt=attempt)
    if stale:
        log.warning("outbox sweep re-enqueued batches", batches=len(stale))
    return len(stale)


async def create_partitions(ctx: dict[str, Any]) -> int:
    deps = get_deps(ctx)
    created = await ensure_partitions(deps.db, deps.now(), days=deps.settings.partitions_ahead_days)
    if created:
        log.info("created message partitions", created=created)
    return created


async def update_usual_volumes(ctx: dict[str, Any]) -> int:
    """The usual daily volume behind the volume alarm (L4): the mean of the last 7 full platform days."""
    deps = get_deps(ctx)
    local_now = deps.now().astimezone(ZoneInfo(deps.settings.timezone))
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    updated = await update_usual_volumes_in_db(
        deps.db, since=midnight - timedelta(days=USUAL_VOLUME_DAYS), until=midnight, days=USUAL_VOLUME_DAYS
    )
    log.info("usual daily volumes updated", apps=updated)
    return updated


CRON_RUNS_RETENTION_DAYS = 14


async def purge_history(ctx: dict[str, Any]) -> int:
    """Daily: drop the record of scheduled-job runs older than two weeks."""
    deps = get_deps(ctx)
    return await purge_runs(deps.db, before=deps.now() - timedelta(days=CRON_RUNS_RETENTION_DAYS))
