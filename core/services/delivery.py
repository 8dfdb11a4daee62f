"""Delivery: claim a batch's rows, submit them to the carrier in calls of up to 200, record the outcome.
Safe to run more than once: only claimed rows are sent, and a claim is held by one live worker (the outbox
sweep decides what happens to a dead worker's batch, by what the connector declares). A transient carrier
failure raises RetryLater; the worker's job turns it into the queue's retry."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import structlog

from core.domain.retries import retry_delay
from core.infra.metrics import CARRIER_CALL_SECONDS, CARRIER_ERRORS, count_messages
from core.infra.queue import enqueue_callbacks
from core.services.connectors import Connector, OutboundMessage, PermanentCarrierError, TransientCarrierError
from core.services.platform import Platform
from core.store.messages import (
    ClaimedMessage,
    claim_batch,
    close_finished_batch,
    fail_messages,
    mark_submit_unknown,
    record_submit_results,
    release_for_retry,
)

CARRIER_BATCH = 200
log = structlog.get_logger("core.services.delivery")


class RetryLater(Exception):
    """The carrier is unavailable: the claimed rows are released; run the batch again after `delay_s`."""

    def __init__(self, delay_s: float, reason: str) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


async def send_batch(
    platform: Platform,
    connector: Connector,
    batch: uuid.UUID,
    accepted: datetime,
    *,
    attempt: int,
    job_id: str | None = None,
    worker_id: str | None = None,
) -> dict[str, int]:
    """Send what is left of one batch (its `attempt`th try): counts of claimed, sent, refused and failed (and
    `unknown`: a call that failed after the request may have reached a carrier that does not dedupe).
    The claim names `worker_id` and `job_id`, whose health and in-progress keys the sweep checks before
    taking the batch over."""
    bound = log.bind(job_id=job_id, batch_id=str(batch), job_try=attempt)
    settings = platform.settings
    db = platform.db
    claimed = await claim_batch(
        db, platform.keyring, batch, accepted, now=platform.utc_now(), worker_id=worker_id, job_id=job_id
    )
    if claimed:
        bound = bound.bind(app=claimed[0].sdk_app_id)  # a batch is one request, so one application
    elif await close_finished_batch(db, batch, accepted):
        bound.info("batch finished before its retry: outbox row closed")
    counts = {"claimed": len(claimed), "sent": 0, "refused": 0, "failed": 0}
    unknown = 0
    callback_apps: list[str] = []  # final statuses published by this job that have callbacks to deliver
    for start in range(0, len(claimed), CARRIER_BATCH):
        chunk = claimed[start : start + CARRIER_BATCH]
        try:
            last = start + CARRIER_BATCH >= len(claimed)
            sent, refused, apps = await _submit(platform, connector, batch, accepted, chunk, last=last)
            callback_apps += apps
        except TransientCarrierError as exc:
            if exc.maybe_sent and not connector.dedupes_on_ref:
                # The carrier may have these and would send them again: never resubmit them ourselves.
                unknown += await mark_submit_unknown(
                    db,
                    batch,
                    accepted,
                    [m.id for m in chunk],
                    now=platform.utc_now(),
                    worker_id=worker_id,
                    last=last,
                )
                bound.warning(
                    "carrier call outcome unknown: not resent", reason=str(exc), messages=len(chunk)
                )
                continue
            rest = [m.id for m in claimed[start:]]
            if attempt >= settings.send_max_tries:
                callback_apps += await fail_messages(
                    db,
                    batch,
                    accepted,
                    rest,
                    reason=f"carrier unavailable: {exc}",
                    now=platform.utc_now(),
                    usage_day=platform.today(),
                )
                counts["failed"] += len(rest)
                count_messages("failed", (m.iso_code for m in claimed[start:]))
                bound.warning("send gave up", reason=str(exc), **counts)
                await _start_callbacks(platform, callback_apps)
                return counts
            delay = retry_delay(attempt, base_s=settings.send_retry_base_s, max_s=settings.send_retry_max_s)
            await release_for_retry(
                db, batch, accepted, rest, retry_at=platform.utc_now() + timedelta(seconds=delay)
            )
            bound.warning("carrier call failed, retrying", reason=str(exc), retry_in_s=delay)
            raise RetryLater(delay, str(exc)) from exc
        except PermanentCarrierError as exc:
            callback_apps += await fail_messages(
                db,
                batch,
                accepted,
                [m.id for m in chunk],
                reason=str(exc),
                now=platform.utc_now(),
                usage_day=platform.today(),
            )
            counts["failed"] += len(chunk)
            count_messages("failed", (m.iso_code for m in chunk))
            continue
        counts["sent"] += sent
        counts["refused"] += refused
    if unknown:
        counts["unknown"] = unknown
    bound.info("batch sent", **counts)
    await _start_callbacks(platform, callback_apps)
    return counts


async def _start_callbacks(platform: Platform, sdk_app_ids: list[str]) -> None:
    if not sdk_app_ids:
        return
    try:
        await enqueue_callbacks(platform.queue, sdk_app_ids)
    except Exception as exc:  # the callback sweep finds them
        log.warning("callback delivery not started", error=str(exc))


async def _submit(
    platform: Platform,
    connector: Connector,
    batch_id: uuid.UUID,
    accepted_at: datetime,
    chunk: list[ClaimedMessage],
    *,
    last: bool,
) -> tuple[int, int, list[str]]:
    started = time.perf_counter()
    try:
        results = await connector.submit(
            [OutboundMessage(ref=m.ref or m.serial_no, phone=m.phone, content=m.content) for m in chunk]
        )
    except Exception as exc:
        kind = (
            "transient"
            if isinstance(exc, TransientCarrierError)
            else "permanent"
            if isinstance(exc, PermanentCarrierError)
            else "other"
        )
        CARRIER_ERRORS.labels(connector.name, kind).inc()
        raise
    finally:
        CARRIER_CALL_SECONDS.labels(connector.name).observe(time.perf_counter() - started)
    by_ref = {r.ref: r for r in results}
    refs = [m.ref or m.serial_no for m in chunk]
    carrier_ids = [by_ref[ref].carrier_id if ref in by_ref else None for ref in refs]
    errors = [by_ref[ref].error if ref in by_ref else "no result from carrier" for ref in refs]
    apps = await record_submit_results(
        platform.db,
        batch_id,
        accepted_at,
        ids=[m.id for m in chunk],
        carrier_ids=carrier_ids,
        errors=errors,
        now=platform.utc_now(),
        usage_day=platform.today(),
        last=last,
    )
    refused = sum(1 for c in carrier_ids if c is None)
    count_messages("sent", (m.iso_code for m, c in zip(chunk, carrier_ids, strict=True) if c is not None))
    count_messages("failed", (m.iso_code for m, c in zip(chunk, carrier_ids, strict=True) if c is None))
    return len(chunk) - refused, refused, apps
