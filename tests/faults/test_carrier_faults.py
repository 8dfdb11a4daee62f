"""A misbehaving carrier: errors (503) and timeouts for a while, then recovery, must deliver every accepted
message exactly once after retries; a slow carrier must never hold intake.

The retries are immediate here (the harness sets send_retry_base_s=0). A submit that timed out at our side
was still taken by the carrier (the simulator records a submit before its latency, as a real carrier would),
so the retry sends the same serial numbers again: the carrier dedupes on them, answering with the carrier id
it gave the first time and reporting each message once. The simulator counts such resubmits in `duplicates`
and counts each serial once in `unique_messages`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry
from arq import create_pool as create_arq_pool

from core.infra.postgres import create_pool
from core.infra.queue import redis_settings
from core.services.platform import Platform as Services
from tests.flow.harness import TOKEN, Platform, Tenant, running_platform
from worker.carriers.simulator import SimulatorConfig
from worker.deps import Deps
from worker.jobs.send import send_batch
from worker.jobs.upkeep import sweep_outbox
from worker.main import http_connector

PARAMS = ["1234", "5"]
BATCHES = [[f"+861380013{b}{i:03d}" for i in range(20)] for b in range(3)]
ALL_PHONES = [p for batch in BATCHES for p in batch]


async def _wait_for(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def _send_ok(platform: Platform, tenant: Tenant, phones: list[str]) -> None:
    resp = await platform.send_sms(tenant, phones, PARAMS)
    assert [s.Code for s in resp.SendStatusSet] == ["Ok"] * len(phones)


async def _submit_calls(platform: Platform) -> int:
    return int((await platform.simulator("/stats"))["submit_calls"])


async def _assert_each_delivered_once(
    platform: Platform, tenant: Tenant, phones: list[str]
) -> dict[str, Any]:
    """Every accepted message delivered with its own carrier id, each reported once, no batch left pending;
    returns the simulator's stats for scenario-specific checks."""
    await platform.simulator("/flush", {})
    rows = await platform.statuses(tenant)
    assert sorted(rows) == sorted(phones)
    assert await platform.db.fetchval("SELECT count(*) FROM messages") == len(phones)
    assert {r["status"] for r in rows.values()} == {"delivered"}, {r["status"] for r in rows.values()}
    assert len({r["carrier_id"] for r in rows.values()}) == len(phones)
    stats: dict[str, Any] = await platform.simulator("/stats")
    assert stats["unique_messages"] == len(phones)
    assert stats["reports_sent"] == len(phones)
    assert stats["reports_pending"] == 0
    assert await platform.db.fetchval("SELECT count(*) FROM send_outbox") == 0
    return stats


async def test_carrier_errors_and_timeouts_for_a_while_then_every_message_delivered_exactly_once(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, carrier_timeout_s=0.5) as platform:
        tenant = await platform.add_tenant()
        for phones in BATCHES:
            await _send_ok(platform, tenant, phones)
        # Timeouts first: the carrier takes 1 s to answer, we wait 0.5 s. Reports are held until the end, so
        # every retry goes through the carrier's dedup instead of being cut short by an early report.
        await platform.simulator("/control", {"latency_s": 1, "report_delay_s": 3600})
        worker = asyncio.create_task(platform.run_worker())
        try:

            async def a_timed_out_call_was_retried() -> bool:
                return await _submit_calls(platform) > len(BATCHES)

            await _wait_for(a_timed_out_call_was_retried)
            # Then errors: the next two calls are answered 503; after them the carrier has recovered.
            await platform.simulator("/control", {"latency_s": 0, "fail_next_submits": 2})
            await asyncio.wait_for(worker, 30)
        finally:
            worker.cancel()
        assert (await platform.simulator("/control", {}))["fail_next_submits"] == 0  # the 503s happened

        stats = await _assert_each_delivered_once(platform, tenant, ALL_PHONES)
        rows = (await platform.statuses(tenant)).values()
        assert {r["error"] for r in rows} == {""}
        assert min(r["attempts"] for r in rows) >= 1
        assert max(r["attempts"] for r in rows) >= 2  # some batch was retried after its timeout
        # Every call but the two 503s reached the carrier's intake: the first call of each batch, plus
        # resubmits of whole batches whose answer we never saw. The carrier deduped those on our serial.
        accepted_calls = stats["submit_calls"] - 2
        assert accepted_calls > len(BATCHES)
        assert stats["duplicates"] == len(BATCHES[0]) * (accepted_calls - len(BATCHES))
        assert stats["messages_received"] == stats["unique_messages"] + stats["duplicates"]


async def test_a_slow_carrier_never_holds_intake(database_url: str, redis_url: str) -> None:
    """While the worker waits 2 s on a carrier call, every SendSms is answered in well under 1 s: intake only
    records and enqueues, it never waits for the carrier (a structural bound, not a benchmark)."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        # Reports held until the end, so the first batch stays 'sending' while its carrier call lasts.
        await platform.simulator("/control", {"latency_s": 2, "report_delay_s": 3600})
        await _send_ok(platform, tenant, BATCHES[0])
        worker = asyncio.create_task(platform.run_worker())
        try:

            async def carrier_call_in_flight() -> bool:
                return await _submit_calls(platform) >= 1

            await _wait_for(carrier_call_in_flight)
            latencies = []
            for i, phones in enumerate(BATCHES[1:]):
                started = time.monotonic()
                await _send_ok(platform, tenant, phones)
                latencies.append(time.monotonic() - started)
                assert latencies[-1] < 1.0, latencies
                if i == 0:  # answered while the first batch was inside its 2 s carrier call
                    first = await platform.statuses(tenant)
                    assert {first[p]["status"] for p in BATCHES[0]} == {"sending"}
                    assert not worker.done()
            await platform.simulator("/control", {"latency_s": 0})
            await asyncio.wait_for(worker, 30)
        finally:
            worker.cancel()
        stats = await _assert_each_delivered_once(platform, tenant, ALL_PHONES)
        assert stats["duplicates"] == 0


# -- a report that comes back while its batch waits for a retry --------------------------------------------


async def _run_send_job(platform: Platform, *, job_try: int) -> dict[str, int] | Retry:
    """Run the one queued send job's function directly (as its `job_try`th try); a Retry is returned."""
    db = await create_pool(platform.settings.database_url, min_size=1, max_size=2)
    redis = await create_arq_pool(redis_settings(platform.settings.redis_url))
    connector = http_connector(platform.settings)
    try:
        [job] = await redis.queued_jobs()
        ctx: dict[str, Any] = {
            "deps": Deps(Services(platform.settings, db, redis), connector),
            "job_id": job.job_id,
            "job_try": job_try,
        }
        try:
            return await send_batch(ctx, *job.args)
        except Retry as retry:
            return retry
    finally:
        await connector.close()
        await redis.aclose()
        await db.close()


async def _sweep(platform: Platform, clock_offset_s: float) -> int:
    later = lambda: time.time() + clock_offset_s  # noqa: E731
    db = await create_pool(platform.settings.database_url, min_size=1, max_size=2)
    redis = await create_arq_pool(redis_settings(platform.settings.redis_url))
    connector = http_connector(platform.settings)
    try:
        return await sweep_outbox({"deps": Deps(Services(platform.settings, db, redis, later), connector)})
    finally:
        await connector.close()
        await redis.aclose()
        await db.close()


async def test_a_report_arriving_while_a_timed_out_batch_waits_for_its_retry_is_not_lost(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, carrier_timeout_s=0.5) as platform:
        tenant = await platform.add_tenant()
        await _send_ok(platform, tenant, BATCHES[0])
        await platform.simulator("/control", {"latency_s": 1, "report_delay_s": 3600})
        assert isinstance(await _run_send_job(platform, job_try=1), Retry)  # timed out; the carrier has them
        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"queued"}  # waiting for the retry's backoff

        # The carrier's reports arrive during the backoff (in production it is seconds: base 2 s, doubling).
        assert (await platform.simulator("/flush", {}))["sent"] == len(BATCHES[0])
        await platform.simulator("/control", {"latency_s": 0})
        await _run_send_job(platform, job_try=2)  # the resubmit is deduped: same carrier ids, no new report
        await _assert_each_delivered_once(platform, tenant, BATCHES[0])


async def test_a_batch_delivered_before_its_retry_runs_leaves_no_outbox_row_behind(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, carrier_timeout_s=0.5) as platform:
        tenant = await platform.add_tenant()
        await _send_ok(platform, tenant, BATCHES[0])
        # The carrier takes the batch and reports it at once, while our call is still waiting for its answer.
        await platform.simulator("/control", {"latency_s": 1, "report_delay_s": 0})
        assert isinstance(await _run_send_job(platform, job_try=1), Retry)
        await platform.simulator("/flush", {})
        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"delivered"}  # the report won the race

        await platform.simulator("/control", {"latency_s": 0})
        assert await _run_send_job(platform, job_try=2) == {
            "claimed": 0,
            "sent": 0,
            "refused": 0,
            "failed": 0,
        }
        # Nothing is left for the sweep: a leftover claimed row would be taken up again after every lease.
        assert await _sweep(platform, clock_offset_s=platform.settings.claim_lease_s + 1) == 0
        await _assert_each_delivered_once(platform, tenant, BATCHES[0])


async def test_with_a_carrier_that_does_not_dedupe_a_timed_out_call_is_not_resubmitted(
    database_url: str, redis_url: str
) -> None:
    """Issue 14, finding 5: a call that timed out may have reached the carrier. One that dedupes gets the batch
    again (above); one that does not would send it twice, so its messages become `unknown` instead, for a
    late report or an operator to settle. A 503 (the carrier refused the call) is still retried."""
    simulator = SimulatorConfig(token=TOKEN, dedupe=False)
    async with running_platform(
        database_url,
        redis_url,
        simulator=simulator,
        carrier_timeout_s=0.5,
        carrier_dedupes_on_serial=False,
    ) as platform:
        tenant = await platform.add_tenant()
        await _send_ok(platform, tenant, BATCHES[0])
        await platform.simulator("/control", {"fail_next_submits": 1, "report_delay_s": 3600})
        assert isinstance(await _run_send_job(platform, job_try=1), Retry)  # refused: nothing was sent
        assert {r["status"] for r in (await platform.statuses(tenant)).values()} == {"queued"}

        await platform.simulator("/control", {"latency_s": 1})
        counts = await _run_send_job(platform, job_try=2)  # timed out at our side; the carrier took them
        assert counts == {"claimed": 20, "sent": 0, "refused": 0, "failed": 0, "unknown": 20}
        assert {r["status"] for r in (await platform.statuses(tenant)).values()} == {"unknown"}
        assert await platform.db.fetchval("SELECT count(*) FROM send_outbox") == 0
        assert await platform.db.fetchval("SELECT count(*) FROM unknown_outcomes") == 20
        assert await _sweep(platform, clock_offset_s=3600) == 0

        stats = await platform.simulator("/stats")
        assert (stats["messages_received"], stats["max_submissions_per_ref"]) == (20, 1)
        await platform.simulator("/flush", {})  # the carrier's reports settle them
        assert {r["status"] for r in (await platform.statuses(tenant)).values()} == {"delivered"}
        assert await platform.db.fetchval("SELECT count(*) FROM unknown_outcomes") == 0
