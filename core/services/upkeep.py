"""Scheduled upkeep: the outbox sweep (re-enqueue batches whose job was lost; take over, or mark unknown, those
whose worker or job died), message partitions created ahead of time, the usual daily volumes behind the
volume alarm, and the purge of old cron-run records. Each looks at what is not done yet, so missed runs catch
up."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog

from core.infra.queue import enqueue_send_batch, live_claims
from core.services.platform import Platform
from core.store.cron_runs import purge_runs
from core.store.intake import ensure_partitions
from core.store.messages import (
    StaleBatch,
    find_stale_batches,
    mark_unknown_outcomes,
    release_dead_claims,
)
from core.store.messages import update_usual_volumes as update_usual_volumes_in_db

log = structlog.get_logger("core.services.upkeep")
USUAL_VOLUME_DAYS = 7
CRON_RUNS_RETENTION_DAYS = 14


async def sweep_outbox(platform: Platform, *, resubmit: bool) -> int:
    """Push again what the outbox holds past its time; returns how many batches were re-enqueued.

    A batch unclaimed past its due time lost its job: enqueue it again. A batch claimed past the lease is
    taken over only when its claim is dead: the worker holding it is gone (no health key) or its job ended
    without recording the outcome (no in-progress key; it failed or was cancelled mid-call). A live job keeps
    its batch however slow the carrier. A dead claim's batch may have reached the carrier: with `resubmit`
    (the connector's carrier dedupes on our serial) it is freed and enqueued again; otherwise its messages
    become `unknown`, never resent automatically, listed for an operator and settled by a late report."""
    settings = platform.settings
    now = platform.utc_now()
    stale = await find_stale_batches(platform.db, now=now, lease_s=settings.claim_lease_s)
    lost = [b for b in stale if not b.claimed]
    claimed = [b for b in stale if b.claimed]
    alive = await live_claims(platform.queue, [(b.claimed_by, b.claimed_job) for b in claimed])
    dead = [b for b, live in zip(claimed, alive, strict=True) if not live]
    if len(dead) < len(claimed):
        log.info("outbox sweep left live jobs' slow batches alone", batches=len(claimed) - len(dead))
    if dead and resubmit:
        lost += await release_dead_claims(platform.db, dead, now=now, lease_s=settings.claim_lease_s)
    elif dead:
        marked = await mark_unknown_outcomes(platform.db, dead, now=now, lease_s=settings.claim_lease_s)
        log.warning(
            "dead claims' batches have unknown outcomes: not resent, listed for an operator",
            batches=marked.batches,
            messages=marked.messages,
        )
    await _enqueue(platform, lost, now.timestamp())
    return len(lost)


async def _enqueue(platform: Platform, batches: list[StaleBatch], now_s: float) -> None:
    # A fresh job id per sweep minute: the original job id may still be held by a finished or dead job.
    attempt = f"sweep{int(now_s) // 60}"
    for batch in batches:
        await enqueue_send_batch(platform.queue, batch.batch_id, batch.accepted_at, attempt=attempt)
    if batches:
        log.warning("outbox sweep re-enqueued batches", batches=len(batches))


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
