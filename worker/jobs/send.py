"""send_batch: claim a batch's rows, submit them to the carrier in calls of up to 200, record the outcome.
Safe to run more than once: only claimed rows are sent, and the carrier dedupes on our serial number."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from arq import Retry

from core.infra.metrics import CARRIER_CALL_SECONDS, CARRIER_ERRORS, count_messages
from core.infra.queue import enqueue_callbacks
from core.store.messages import (
    ClaimedMessage,
    claim_batch,
    close_finished_batch,
    fail_messages,
    record_submit_results,
    release_for_retry,
)
from worker.carriers.base import OutboundMessage, PermanentCarrierError, TransientCarrierError
from worker.deps import Deps, get_deps, get_redis

CARRIER_BATCH = 200
log = structlog.get_logger("worker.send")


def retry_delay(job_try: int, *, base_s: float, max_s: float) -> float:
    """Exponential backoff: base, 2*base, 4*base, ... capped."""
    return float(min(base_s * 2 ** max(job_try - 1, 0), max_s))


async def send_batch(ctx: dict[str, Any], batch_id: str, accepted_at: str) -> dict[str, int]:
    deps = get_deps(ctx)
    job_try: int = ctx.get("job_try", 1)
    bound = log.bind(job_id=ctx.get("job_id"), batch_id=batch_id, job_try=job_try)
    batch = uuid.UUID(batch_id)
    accepted = datetime.fromisoformat(accepted_at)
    claimed = await claim_batch(deps.db, batch, accepted, now=deps.now(), lease_s=deps.settings.claim_lease_s)
    if claimed:
        bound = bound.bind(app=claimed[0].sdk_app_id)  # a batch is one request, so one application
    elif await close_finished_batch(deps.db, batch, accepted):
        bound.info("batch finished before its retry: outbox row closed")
    counts = {"claimed": len(claimed), "sent": 0, "refused": 0, "failed": 0}
    callback_apps: list[str] = []  # final statuses published by this job that have callbacks to deliver
    for start in range(0, len(claimed), CARRIER_BATCH):
        chunk = claimed[start : start + CARRIER_BATCH]
        try:
            last = start + CARRIER_BATCH >= len(claimed)
            sent, refused, apps = await _submit(deps, batch, accepted, chunk, last=last)
            callback_apps += apps
        except TransientCarrierError as exc:
            rest = [m.id for m in claimed[start:]]
            if job_try >= deps.settings.send_max_tries:
                callback_apps += await fail_messages(
                    deps.db,
                    batch,
                    accepted,
                    rest,
                    reason=f"carrier unavailable: {exc}",
                    now=deps.now(),
                    usage_day=deps.today(),
                )
                counts["failed"] += len(rest)
                count_messages("failed", (m.iso_code for m in claimed[start:]))
                bound.warning("send gave up", reason=str(exc), **counts)
                await _start_callbacks(ctx, callback_apps)
                return counts
            delay = retry_delay(
                job_try, base_s=deps.settings.send_retry_base_s, max_s=deps.settings.send_retry_max_s
            )
            await release_for_retry(
                deps.db, batch, accepted, rest, retry_at=deps.now() + timedelta(seconds=delay)
            )
            bound.warning("carrier call failed, retrying", reason=str(exc), retry_in_s=delay)
            raise Retry(defer=delay) from exc
        except PermanentCarrierError as exc:
            callback_apps += await fail_messages(
                deps.db,
                batch,
                accepted,
                [m.id for m in chunk],
                reason=str(exc),
                now=deps.now(),
                usage_day=deps.today(),
            )
            counts["failed"] += len(chunk)
            count_messages("failed", (m.iso_code for m in chunk))
            continue
        counts["sent"] += sent
        counts["refused"] += refused
    bound.info("batch sent", **counts)
    await _start_callbacks(ctx, callback_apps)
    return counts


async def _start_callbacks(ctx: dict[str, Any], sdk_app_ids: list[str]) -> None:
    if not sdk_app_ids:
        return
    try:
        await enqueue_callbacks(get_redis(ctx), sdk_app_ids)
    except Exception as exc:  # the callback sweep finds them
        log.warning("callback delivery not started", error=str(exc))


async def _submit(
    deps: Deps, batch_id: uuid.UUID, accepted_at: datetime, chunk: list[ClaimedMessage], *, last: bool
) -> tuple[int, int, list[str]]:
    connector = deps.connector.name
    started = time.perf_counter()
    try:
        results = await deps.connector.submit(
            [OutboundMessage(ref=m.serial_no, phone=m.phone, content=m.content) for m in chunk]
        )
    except Exception as exc:
        kind = (
            "transient"
            if isinstance(exc, TransientCarrierError)
            else "permanent"
            if isinstance(exc, PermanentCarrierError)
            else "other"
        )
        CARRIER_ERRORS.labels(connector, kind).inc()
        raise
    finally:
        CARRIER_CALL_SECONDS.labels(connector).observe(time.perf_counter() - started)
    by_ref = {r.ref: r for r in results}
    carrier_ids = [by_ref[m.serial_no].carrier_id if m.serial_no in by_ref else None for m in chunk]
    errors = [by_ref[m.serial_no].error if m.serial_no in by_ref else "no result from carrier" for m in chunk]
    apps = await record_submit_results(
        deps.db,
        batch_id,
        accepted_at,
        ids=[m.id for m in chunk],
        carrier_ids=carrier_ids,
        errors=errors,
        now=deps.now(),
        usage_day=deps.today(),
        last=last,
    )
    refused = sum(1 for c in carrier_ids if c is None)
    count_messages("sent", (m.iso_code for m, c in zip(chunk, carrier_ids, strict=True) if c is not None))
    count_messages("failed", (m.iso_code for m, c in zip(chunk, carrier_ids, strict=True) if c is None))
    return len(chunk) - refused, refused, apps
