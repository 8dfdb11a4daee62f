"""Scheduled upkeep: the outbox sweep (re-enqueue batches whose job was lost or whose worker died), message
partitions created ahead of time, the usual daily volumes behind the volume alarm, and the purge of old
cron-run records. Each looks at what is not done yet, so missed runs catch up."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog

from core.infra.queue import enqueue_send_batch
from core.services.platform import Platform
from core.store.cron_runs import purge_runs
from core.store.intake import ensure_partitions
from core.store.messages import find_stale_batches
from core.store.messages import update_usual_volumes as update_usual_volumes_in_db

log = structlog.get_logger("core.services.upkeep")
USUAL_VOLUME_DAYS = 7
CRON_RUNS_RETENTION_DAYS = 14


async def sweep_outbox(platform: Platform) -> int:
    now = platform.utc_now()
    stale = await find_stale_batches(platform.db, now=now, lease_s=platform.settings.claim_lease_s)
    # A fresh job id per sweep minute: the original job id may still be held by a finished or dead job.
    attempt = f"sweep{int(now.timestamp()) // 60}"
    for batch in stale:
        await enqueue_send_batch(platform.queue, batch.batch_id, batch.accepted_at, attempt=attempt)
    if stale:
        log.warning("outbox sweep re-enqueued batches", batches=len(stale))
    return len(stale)


async def create_partitions(platform: Platform) -> int:
    created = await ensure_partitions(
        platform.db, platform.utc_now(), days=platform.settings.partitions_ahead_days
    )
    if created:
        log.info("created message partitions", created=created)
    return created


async def update_usual_volumes(platform: Platform) -> int:
    """The usual daily volume behind the volume alarm (L4): the mean of the last 7 full platform days."""
    local_now = platform.utc_now().astimezone(ZoneInfo(platform.settings.timezone))
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    updated = await update_usual_volumes_in_db(
        platform.db,
        since=midnight - timedelta(days=USUAL_VOLUME_DAYS),
        until=midnight,
        days=USUAL_VOLUME_DAYS,
    )
    log.info("usual daily volumes updated", apps=updated)
    return updated


async def purge_history(platform: Platform) -> int:
    """Drop the record of scheduled-job runs older than two weeks."""
    return await purge_runs(platform.db, before=platform.utc_now() - timedelta(days=CRON_RUNS_RETENTION_DAYS))
