"""The per-number gate's cost for a 200-number request against its floor, one empty Lua call (same Redis)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from core.domain.frequency import FrequencyPolicy
from core.domain.phone import Phone
from core.infra.gate import Gate, GateRequest


async def measure_gate(redis_url: str, *, requests: int = 500, numbers: int = 200) -> dict[str, float]:
    redis = Redis.from_url(redis_url)
    try:
        gate = Gate(redis, "bench")
        now = datetime.now(ZoneInfo("Asia/Shanghai"))
        gate_ms = []
        for r in range(requests):
            batch = [
                Phone(f"+86137{(r * numbers + i):08d}", "86", f"137{(r * numbers + i):08d}", "CN")
                for i in range(numbers)
            ]
            req = GateRequest("bench", 0, batch, "content", True, FrequencyPolicy(), frozenset(), 1000, now)
            started = time.perf_counter()
            await gate.check(req)
            gate_ms.append((time.perf_counter() - started) * 1000)
        empty = redis.register_script("return 0")
        floor_ms = []
        for _ in range(requests):
            started = time.perf_counter()
            await empty(keys=[], args=[])
            floor_ms.append((time.perf_counter() - started) * 1000)
        await redis.delete(*[k async for k in redis.scan_iter("g:bench:*")] or ["g:bench:none"])
    finally:
        await redis.aclose()
    gate_ms.sort()
    floor_ms.sort()
    p50 = gate_ms[len(gate_ms) // 2]
    floor_p50 = floor_ms[len(floor_ms) // 2]
    return {
        "numbers_per_request": numbers,
        "requests": requests,
        "gate_p50_ms": round(p50, 3),
        "gate_p99_ms": round(gate_ms[int(len(gate_ms) * 0.99)], 3),
        "floor_p50_ms": round(floor_p50, 3),
        "ratio_to_floor": round(p50 / floor_p50, 1) if floor_p50 else 0.0,
    }
