"""The per-number gate (rules L1-L4): every accepted number of a request decided in ONE atomic Redis script,
so concurrent requests cannot both pass a limit of one. Counters are consumed only for numbers the gate lets
through, and given back (refund) if the request then fails before its messages are recorded. Phone numbers
appear in keys only as a keyed hash."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from core.domain.errors import Code
from core.domain.frequency import FrequencyPolicy
from core.domain.phone import Phone

# One hash per number per calendar day holds all its counters, so a request touches one key per number:
#   d       messages today             cd:<content>   this content today
#   w30:<content>  "start_ms:count" of the 30-second window for this content
#   wh             "start_ms:count" of the one-hour window
# (The windows live in the day's hash, so they restart at midnight: at most one extra message, never more.)
# KEYS[1] app's day, KEYS[2] app's day for this region, KEYS[3] account's international day (L3),
# KEYS[3 + i] number i's hash. ARGV: n, the four per-number limits (0: none), the app cap, the region cap and
# its code, the account's international limit (0: none), seconds to the end of the day (+ margin), the
# allowlist marks ('1': exempt from the per-number limits, L2), now in ms, and the content's id.
_GATE = """
local n = tonumber(ARGV[1])
local l30, l1h, lday, lscd = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local cap_all, cap_region, cap_region_code = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local cap_acct, day_ttl, exempt = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11]
local now, content = tonumber(ARGV[12]), ARGV[13]
local f30, fcd = 'w30:' .. content, 'cd:' .. content
local used_all = tonumber(redis.call('GET', KEYS[1]) or '0')
local used_region = tonumber(redis.call('GET', KEYS[2]) or '0')
local used_acct = tonumber(redis.call('GET', KEYS[3]) or '0')
local function window(value, span)
  if not value then return now, 0 end
  local sep = string.find(value, ':', 1, true)
  local start = tonumber(string.sub(value, 1, sep - 1))
  if start + span <= now then return now, 0 end
  return start, tonumber(string.sub(value, sep + 1))
end
local taken, result = 0, {}
for i = 1, n do
  local key = KEYS[3 + i]
  local free = string.sub(exempt, i, i) == '1'
  local code = 0
  local v, s30, c30, sh, ch, d, cd
  if not free then
    v = redis.call('HMGET', key, f30, 'wh', 'd', fcd)
    s30, c30 = window(v[1], 30000)
    sh, ch = window(v[2], 3600000)
    d, cd = tonumber(v[3] or '0'), tonumber(v[4] or '0')
    if c30 >= l30 then code = 1
    elseif l1h > 0 and ch >= l1h then code = 2
    elseif d >= lday then code = 3
    elseif lscd > 0 and cd >= lscd then code = 4
    end
  end
  if code == 0 then
    if cap_all > 0 and used_all + taken >= cap_all then code = 5
    elseif cap_region > 0 and used_region + taken >= cap_region then code = cap_region_code
    elseif cap_acct > 0 and used_acct + taken >= cap_acct then code = 8
    end
  end
  if code == 0 then
    taken = taken + 1
    if not free then
      redis.call('HSET', key, f30, s30 .. ':' .. (c30 + 1), 'wh', sh .. ':' .. (ch + 1), 'd', d + 1, fcd, cd + 1)
      if d == 0 then redis.call('EXPIRE', key, day_ttl) end
    end
  end
  result[i] = code
end
if taken > 0 then
  -- The account's international counter (L3) counts international messages only.
  local shared = cap_acct > 0 and 3 or 2
  for s = 1, shared do
    if redis.call('INCRBY', KEYS[s], taken) == taken then redis.call('EXPIRE', KEYS[s], day_ttl) end
  end
end
result[n + 1] = used_all + taken  -- the application's messages today, this request included
return result
"""

# Gives back what _GATE took for the numbers marked '1' in ARGV[1] ('x': passed exempt, counted only in the
# shared caps; '0': refused, nothing taken); ARGV[2] is the content's id, ARGV[3] how many shared counters
# were taken (3 with the account's international counter, 2 without).
_REFUND = """
local marks, content = ARGV[1], ARGV[2]
local f30, fcd = 'w30:' .. content, 'cd:' .. content
local function less(value)
  if not value then return nil end
  local sep = string.find(value, ':', 1, true)
  local count = tonumber(string.sub(value, sep + 1))
  return string.sub(value, 1, sep) .. math.max(count - 1, 0)
end
local taken = 0
for i = 1, string.len(marks) do
  local m = string.sub(marks, i, i)
  if m ~= '0' then
    taken = taken + 1
    if m == '1' then
      local key = KEYS[3 + i]
      local v = redis.call('HMGET', key, f30, 'wh', 'd', fcd)
      if v[3] then
        redis.call('HSET', key, f30, less(v[1]) or '0:0', 'wh', less(v[2]) or '0:0',
                   'd', math.max(tonumber(v[3]) - 1, 0), fcd, math.max(tonumber(v[4] or '1') - 1, 0))
      end
    end
  end
end
for s = 1, tonumber(ARGV[3]) do
  if tonumber(redis.call('GET', KEYS[s]) or '0') >= taken then redis.call('DECRBY', KEYS[s], taken) end
end
return taken
"""

CODES = {
    1: Code.PHONE_30S_LIMIT,
    2: Code.PHONE_HOUR_LIMIT,
    3: Code.PHONE_DAILY_LIMIT,
    4: Code.PHONE_SAME_CONTENT_DAILY_LIMIT,
    5: Code.APP_DAILY_LIMIT,
    6: Code.APP_MAINLAND_DAILY_LIMIT,
    7: Code.APP_GLOBAL_DAILY_LIMIT,
    8: Code.INTL_DAILY_LIMIT,
}


@dataclass(frozen=True)
class GateRequest:
    sdk_app_id: str
    account_id: int
    phones: Sequence[Phone]
    content: str
    mainland: bool
    policy: FrequencyPolicy
    allowlist: frozenset[str]
    intl_daily_limit: int
    local_now: datetime  # platform time zone: calendar days are local (L1)


@dataclass(frozen=True)
class GateDecision:
    # E.164 -> refusal code; numbers not listed passed.
    refused: dict[str, Code]
    keys: list[str]
    marks: str  # per number: '1' passed and counted, 'x' passed exempt, '0' refused
    content_id: str
    international: bool
    app_today: int  # the application's messages today after this request

    @property
    def passed(self) -> int:
        return sum(1 for m in self.marks if m != "0")


class Gate:
    def __init__(self, redis: Redis, hash_key: str) -> None:
        self._redis = redis
        self._hash_key = hash_key.encode()
        self._gate: AsyncScript = redis.register_script(_GATE)
        self._refund: AsyncScript = redis.register_script(_REFUND)

    def _phone_hash(self, e164: str) -> str:
        return hashlib.blake2b(e164.encode(), key=self._hash_key, digest_size=12).hexdigest()

    def _keys(self, req: GateRequest) -> list[str]:
        day = f"{req.local_now:%Y%m%d}"
        app = req.sdk_app_id
        region = "cn" if req.mainland else "intl"
        keys = [f"g:{app}:all:{day}", f"g:{app}:{region}:{day}", f"g:acct:{req.account_id}:intl:{day}"]
        keys += [f"g:{app}:n:{self._phone_hash(phone.e164)}:{day}" for phone in req.phones]
        return keys

    async def check(self, req: GateRequest) -> GateDecision:
        """Decide every number in ONE round trip; counters are taken for the numbers that pass."""
        policy = req.policy
        end_of_day = (req.local_now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        day_ttl = int((end_of_day - req.local_now).total_seconds()) + 3600
        exempt = "".join("1" if p.e164 in req.allowlist else "0" for p in req.phones)
        region_cap = policy.cap_daily_mainland if req.mainland else policy.cap_daily_international
        keys = self._keys(req)
        content_id = hashlib.blake2b(req.content.encode(), digest_size=8).hexdigest()
        args: list[Any] = [
            len(req.phones),
            policy.same_content_30s,
            policy.one_hour or 0,
            policy.daily,
            policy.same_content_daily or 0,
            policy.cap_daily or 0,
            region_cap or 0,
            6 if req.mainland else 7,
            0 if req.mainland else req.intl_daily_limit,  # L3 counts international messages only
            day_ttl,
            exempt,
            int(req.local_now.timestamp() * 1000),
            content_id,
        ]
        reply = cast(list[int], await self._gate(keys=keys, args=args))
        codes, app_today = reply[:-1], int(reply[-1])
        refused = {p.e164: CODES[c] for p, c in zip(req.phones, codes, strict=True) if c}
        marks = "".join("0" if c else ("x" if e == "1" else "1") for c, e in zip(codes, exempt, strict=True))
        return GateDecision(refused, keys, marks, content_id, not req.mainland, app_today)

    async def refund(self, decision: GateDecision) -> None:
        if decision.passed:
            shared = 3 if decision.international else 2
            await self._refund(keys=decision.keys, args=[decision.marks, decision.content_id, shared])
