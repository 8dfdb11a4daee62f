"""Issue 14, finding 6: seeded mutated posts to the carrier webhooks (delivery reports and replies) with the
carrier token. Whatever the body, the answer is the webhook's own JSON ({"result": 0, ...} with 200, or
{"result": 1, "errmsg"} with 4xx), never a plain-text answer and never a 5xx."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from tests.flow.harness import TOKEN, Platform, running_platform
from tests.fuzz.mutations import HOSTILE, SEED, Mutant, RawNumber, mutants, time_sweep

NOW = 1_780_000_000
ROUNDS = 150  # per webhook, each a batch of 1-3 items
TIME_FIELDS = frozenset({"report_time", "time"})
WEBHOOKS: dict[str, tuple[str, dict[str, Any]]] = {
    "/carrier/reports": (
        "reports",
        {
            "ref": "20260528000000000001",
            "carrier_id": "c-1",
            "delivered": True,
            "error": "",
            "report_time": NOW,
        },
    ),
    "/carrier/replies": (
        "replies",
        {"phone": "+8613800138000", "text": "TD", "sign": "TestCorp", "extend": "", "time": NOW},
    ),
}


def envelope_fault(status: int, content_type: str, text: str) -> str | None:
    if status >= 500:
        return f"HTTP {status}"
    if content_type != "application/json":
        return f"Content-Type {content_type!r}: {text[:80]!r}"
    try:
        answer = json.loads(text)
    except ValueError:
        return "not JSON"
    if not isinstance(answer, dict) or answer.get("result") not in (0, 1):
        return f"no result: {answer}"
    if status == 200 and answer["result"] != 0:
        return f"200 with {answer}"
    if status != 200 and (status not in (400, 401, 413) or not isinstance(answer.get("errmsg"), str)):
        return f"HTTP {status} with {answer}"
    return None


def _batch(rng: random.Random, field: str, item: dict[str, Any]) -> Mutant:
    """A batch of 1-3 mutated items; sometimes the batch itself (or the field holding it) is what is wrong."""
    roll = rng.random()
    if roll < 0.1:
        return Mutant({field: rng.choice(HOSTILE)}, None, f"{field}=hostile")
    if roll < 0.15:
        return Mutant({"other": [item]}, None, f"no {field}")
    items: list[Any] = []
    whats = []
    for m in mutants(rng, item, rng.randint(1, 3), times=TIME_FIELDS):
        if m.params is None:  # a whole body: sent as is
            return m
        items.append(m.params)
        whats.append(m.what)
    if rng.random() < 0.1:
        items.append(rng.choice((None, 1, "x", [], RawNumber("1e400"))))
        whats.append("+odd item")
    return Mutant({field: items}, None, "; ".join(whats))


async def _post(platform: Platform, path: str, mutant: Mutant) -> tuple[int, str | None]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with platform.http.post(platform.api_url + path, data=mutant.body(), headers=headers) as resp:
        return resp.status, envelope_fault(resp.status, resp.content_type, await resp.text())


async def test_fuzzed_carrier_webhook_posts_answer_in_the_webhook_format(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, clock=lambda: float(NOW)) as platform:
        rng = random.Random(f"{SEED}-carrier")
        faults: list[str] = []
        statuses: Counter[int] = Counter()
        for path, (field, item) in WEBHOOKS.items():
            sweep = [Mutant({field: [m.params]}, None, m.what) for m in time_sweep(item, TIME_FIELDS)]
            for mutant in [*(_batch(rng, field, item) for _ in range(ROUNDS)), *sweep]:
                status, fault = await _post(platform, path, mutant)
                statuses[status] += 1
                if fault is not None:
                    faults.append(f"{path} [{mutant.what}]: {fault}")
        sent = statuses.total()
        assert statuses[200] >= 10 and statuses[401] == 0, statuses  # some batches were recorded
        assert not faults, f"{len(faults)} of {sent} answers outside the format:\n" + "\n".join(faults[:40])
