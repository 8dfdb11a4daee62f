"""Counting an application's per-number limit refusals at intake (rule L4, anti-bombing): when they cross the
threshold within a window, ONE alarm job is enqueued for that window (core.services.alarms raises it)."""

from __future__ import annotations

from collections.abc import Mapping

from arq.connections import ArqRedis

from core.domain.errors import Code
from core.infra.queue import enqueue_alarm
from core.infra.settings import Settings

LIMIT_CODES = frozenset(
    {Code.PHONE_30S_LIMIT, Code.PHONE_HOUR_LIMIT, Code.PHONE_DAILY_LIMIT, Code.PHONE_SAME_CONTENT_DAILY_LIMIT}
)
KIND_REJECTIONS = "limit_rejections"
KIND_VOLUME = "volume_spike"


async def count_limit_refusals(
    redis: ArqRedis,
    settings: Settings,
    account_id: int,
    sdk_app_id: str,
    refused: Mapping[str, Code],
    now: float,
) -> None:
    """Called by intake with the gate's refusals; one Redis round trip, only when there were refusals."""
    hits = sum(1 for code in refused.values() if code in LIMIT_CODES)
    if not hits:
        return
    window = int(now) // settings.alarm_window_s
    key = f"alarm:rej:{sdk_app_id}:{window}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incrby(key, hits)
        pipe.expire(key, settings.alarm_window_s * 2)
        total, _ = await pipe.execute()
    threshold = settings.alarm_rejections_threshold
    if int(total) - hits < threshold <= int(total):  # this request crossed it: raise once per window
        detail = f"{total} numbers refused by frequency limits within {settings.alarm_window_s // 60} minutes"
        await enqueue_alarm(redis, account_id, sdk_app_id, KIND_REJECTIONS, str(window), detail)


async def check_volume(
    redis: ArqRedis,
    settings: Settings,
    account_id: int,
    sdk_app_id: str,
    *,
    usual: int,
    today_before: int,
    today_after: int,
    day: str,
) -> None:
    """Alarm once when a request carries the application's day past factor x its usual daily volume."""
    if usual <= 0:
        return
    line = max(usual * settings.alarm_volume_factor, settings.alarm_volume_min)
    if today_before < line <= today_after:
        detail = f"{today_after} messages today, {today_after / usual:.1f} times its usual {usual} a day"
        await enqueue_alarm(redis, account_id, sdk_app_id, KIND_VOLUME, day, detail)
