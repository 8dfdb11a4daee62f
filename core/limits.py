"""Redis-side quotas consumed at intake. L3: international messages per account per calendar day."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis

# Grants as many of `wanted` as the day's remaining quota allows, atomically, and returns the grant.
_TAKE_QUOTA = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowed = math.min(tonumber(ARGV[1]), math.max(tonumber(ARGV[2]) - used, 0))
if allowed > 0 then
  redis.call('INCRBY', KEYS[1], allowed)
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return allowed
"""


def intl_daily_key(account_id: int, local_now: datetime) -> str:
    return f"quota:intl:{account_id}:{local_now:%Y%m%d}"


async def take_intl_quota(
    redis: Redis, account_id: int, wanted: int, *, limit: int, local_now: datetime
) -> int:
    key = intl_daily_key(account_id, local_now)
    granted = await cast(
        Awaitable[Any], redis.eval(_TAKE_QUOTA, 1, key, str(wanted), str(limit), str(2 * 86400))
    )
    return int(granted)


async def refund_intl_quota(redis: Redis, account_id: int, count: int, *, local_now: datetime) -> None:
    if count > 0:
        await redis.decrby(intl_daily_key(account_id, local_now), count)
