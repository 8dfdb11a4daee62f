"""Job names and enqueue helpers shared by the API (producer) and the worker (consumer)."""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix

SEND_BATCH = "send_batch"
RAISE_ALARM = "raise_alarm"
DELIVER_CALLBACKS = "deliver_callbacks"
# Customer callbacks have a queue (and worker) of their own: a slow customer endpoint must never hold the
# job slots that send batches need.
CALLBACK_QUEUE = "arq:callbacks"


HEALTH_PREFIX = "arq:health-check"


def worker_identity(role: str) -> str:
    """Names one worker process (`role` main or callbacks): host, pid and a random part, so a restarted
    process that gets the same pid (a container's) is never taken for the one that died."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def health_check_key(worker_id: str) -> str:
    """Each worker process keeps its own health key alive, so `smsctl worker --check` and `smsctl status` can
    count the live ones, and the outbox sweep can tell whether the worker holding a batch is still there."""
    return f"{HEALTH_PREFIX}:{worker_id}"


async def live_claims(redis: Any, claims: Sequence[tuple[str | None, str | None]]) -> list[bool]:
    """For each claim (worker id, arq job id), whether it is still being worked on: the worker keeps its
    health key (refreshed every worker_health_interval_s, gone a second after it dies) and the job is still
    in progress (arq drops that key when a job ends, however it ends). A part the claim did not name is not
    checked; a claim that named neither is not alive (the lease alone ends it). One round trip."""
    keys = sorted(
        {health_check_key(w) for w, _ in claims if w} | {in_progress_key_prefix + j for _, j in claims if j}
    )
    found: set[str] = set()
    if keys:
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.exists(key)
            answers = await pipe.execute()
        found = {key for key, exists in zip(keys, answers, strict=True) if exists}
    return [
        (worker is not None or job is not None)
        and (worker is None or health_check_key(worker) in found)
        and (job is None or in_progress_key_prefix + job in found)
        for worker, job in claims
    ]


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


def send_job_id(batch_id: uuid.UUID, attempt: str = "") -> str:
    return f"send:{batch_id}{':' + attempt if attempt else ''}"


async def enqueue_send_batch(
    redis: ArqRedis, batch_id: uuid.UUID, accepted_at: datetime, *, attempt: str = ""
) -> bool:
    """One job per accepted request; `_job_id` makes a second enqueue of the same batch a no-op."""
    job = await redis.enqueue_job(
        SEND_BATCH, str(batch_id), accepted_at.isoformat(), _job_id=send_job_id(batch_id, attempt)
    )
    return job is not None


async def enqueue_alarm(
    redis: ArqRedis, account_id: int, sdk_app_id: str, kind: str, window_key: str, detail: str
) -> None:
    """At most one job per account, application, kind and window (the job id), however many requests cross."""
    await redis.enqueue_job(
        RAISE_ALARM, account_id, sdk_app_id, kind, window_key, detail,
        _job_id=f"alarm:{account_id}:{sdk_app_id}:{kind}:{window_key}",
    )  # fmt: skip


async def enqueue_callbacks(redis: ArqRedis, sdk_app_ids: Iterable[str]) -> None:
    """One delivery job per application at a time (the job id): it drains the application's callback queue in
    order. An enqueue that finds the job already running is dropped; the callback sweep catches what that
    job missed. Failures are logged by the caller's sweep, never raised into the path that queued them."""
    apps = sorted(set(sdk_app_ids))
    for app in apps:
        await redis.enqueue_job(
            DELIVER_CALLBACKS, app, _job_id=callbacks_job_id(app), _queue_name=CALLBACK_QUEUE
        )


def callbacks_job_id(sdk_app_id: str) -> str:
    return f"callbacks:{sdk_app_id}"


async def queue_overview(redis: Any, *, now_ms: float) -> dict[str, Any]:
    """Depth and oldest due job's age of the send and callback queues, and the jobs running now, as the live
    workers last reported them in their health keys (`j_ongoing=N`). (arq's in-progress keys cannot be
    counted instead: a unique cron job's key outlives its run, to keep other workers from repeating it.)"""
    queues = {"send": "arq:queue", "callbacks": CALLBACK_QUEUE}
    async with redis.pipeline(transaction=False) as pipe:
        for name in queues.values():
            pipe.zcard(name)
            pipe.zrange(name, 0, 0, withscores=True)
        answers = await pipe.execute()
    overview: dict[str, Any] = {}
    for i, label in enumerate(queues):
        depth, oldest = answers[2 * i], answers[2 * i + 1]
        overview[label] = {
            "depth": int(depth),
            "oldest_age_s": round(max(0.0, (now_ms - float(oldest[0][1])) / 1000), 1) if oldest else None,
        }
    keys = [k async for k in redis.scan_iter(f"{HEALTH_PREFIX}:*", count=1000)]
    reports = await redis.mget(keys) if keys else []
    overview["in_progress"] = sum(_ongoing(r) for r in reports if r)
    return overview


def _ongoing(report: bytes) -> int:
    """`j_ongoing=N` from an arq health report ("Nov-22 08:57:53 j_complete=5 ... j_ongoing=0 queued=0")."""
    for part in report.decode(errors="replace").split():
        name, _, value = part.partition("=")
        if name == "j_ongoing" and value.isdigit():
            return int(value)
    return 0
