"""Faults the send path must survive without losing or doubling a message: a worker SIGKILLed while its
carrier call is in flight, and a job lost from Redis. The outbox sweep (with the clock moved past the claim
lease and the staleness window) recovers both, and takes a batch from a worker only once that worker's health
key is gone (issue 14, finding 5): a live worker keeps its batch however slow the carrier.

What it does with a dead worker's batch depends on the connector: a carrier that dedupes on our serial gets it
again; one that does not (real carriers, SMPP) never does: its messages become `unknown`, a late report
settles them, and an operator resends or fails the rest (smsctl and the admin API)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

from arq import create_pool as create_arq_pool
from arq.connections import ArqRedis
from arq.constants import default_queue_name, in_progress_key_prefix
from arq.jobs import Job
from redis.asyncio import Redis

from core.infra.postgres import create_pool
from core.infra.queue import HEALTH_PREFIX, redis_settings
from core.services.platform import Platform as Services
from tests.flow.harness import TOKEN, Platform, Tenant, running_platform, worker_environment
from tests.integration.test_cli_cron import smsctl
from worker.carriers.simulator import SimulatorConfig
from worker.deps import Deps
from worker.jobs.send import send_batch
from worker.jobs.upkeep import sweep_outbox
from worker.main import http_connector

PHONES = [f"+86138001380{i:02d}" for i in range(50)]


async def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _sweep_then_send(platform: Platform, clock_offset_s: float) -> int:
    """Run the outbox sweep, then the send jobs it enqueued, as if `clock_offset_s` had passed. The jobs run
    through the job function itself: a burst worker would first wait out the dead worker's job, which arq
    keeps marked in progress for job_timeout + 10 s."""
    later = lambda: time.time() + clock_offset_s  # noqa: E731
    db = await create_pool(platform.settings.database_url, min_size=1, max_size=2)
    redis = await create_arq_pool(redis_settings(platform.settings.redis_url))
    connector = http_connector(platform.settings)
    try:
        ctx: dict[str, Any] = {"deps": Deps(Services(platform.settings, db, redis, later), connector)}
        swept = await sweep_outbox(ctx)
        for job_id, args in await _queued_sends(redis):
            if ":sweep" in job_id:
                await send_batch({**ctx, "job_id": job_id, "job_try": 1}, *args)
    finally:
        await connector.close()
        await redis.aclose()
        await db.close()
    return swept


async def _queued_sends(redis: ArqRedis) -> list[tuple[str, tuple[Any, ...]]]:
    """The send jobs in the queue (id, arguments). A live worker may finish other jobs meanwhile, so a job
    gone between listing and reading is skipped (arq's queued_jobs() raises then)."""
    found = []
    for raw in await redis.zrange(default_queue_name, 0, -1):
        job_id = raw.decode()
        info = await Job(job_id, redis).info()
        if info is not None and info.function == "send_batch":
            found.append((job_id, info.args))
    return found


async def _run_send_jobs(platform: Platform) -> int:
    """Run the queued send jobs no (dead) worker holds, through the job function, as a worker would."""
    db = await create_pool(platform.settings.database_url, min_size=1, max_size=2)
    redis = await create_arq_pool(redis_settings(platform.settings.redis_url))
    connector = http_connector(platform.settings)
    ran = 0
    try:
        ctx: dict[str, Any] = {"deps": Deps(Services(platform.settings, db, redis, time.time), connector)}
        for job in await redis.queued_jobs():
            if job.function != "send_batch" or await redis.exists(
                in_progress_key_prefix + (job.job_id or "")
            ):
                continue
            await send_batch({**ctx, "job_id": job.job_id, "job_try": 1}, *job.args)
            await redis.zrem("arq:queue", job.job_id or "")
            ran += 1
    finally:
        await connector.close()
        await redis.aclose()
        await db.close()
    return ran


async def _health_keys(platform: Platform) -> list[bytes]:
    redis = Redis.from_url(platform.settings.redis_url)
    try:
        return [k async for k in redis.scan_iter(f"{HEALTH_PREFIX}:main:*")]
    finally:
        await redis.aclose()


async def _kill_a_worker_inside_its_carrier_call(platform: Platform) -> None:
    """Start a worker process (health key refreshed every second), let it claim the batch and call the
    carrier (held 30 s); check that a sweep past the lease leaves the live worker's batch alone; SIGKILL it
    and wait until its health key has expired, as a dead worker's does."""
    await platform.simulator("/control", {"latency_s": 30, "report_delay_s": 3600})
    s = platform.settings
    env = worker_environment(
        s,
        SMS_CARRIER_DEDUPES_ON_SERIAL="1" if s.carrier_dedupes_on_serial else "0",
        SMS_WORKER_HEALTH_INTERVAL_S="1",
        SMS_LOG_JSON="1",
    )
    proc = subprocess.Popen([sys.executable, "-m", "cli", "worker"], env=env, stderr=subprocess.DEVNULL)
    try:

        async def carrier_call_in_flight() -> bool:
            return bool((await platform.simulator("/stats"))["submit_calls"] >= 1)

        await _wait_for(carrier_call_in_flight)

        async def worker_says_it_is_alive() -> bool:
            return bool(await _health_keys(platform))

        await _wait_for(worker_says_it_is_alive)
        # Past the lease, a live worker's batch is not taken over (main took it on the lease alone).
        assert await _sweep_then_send(platform, clock_offset_s=s.claim_lease_s + 1) == 0
        assert (await platform.simulator("/stats"))["submit_calls"] == 1
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    async def health_key_expired() -> bool:
        return not await _health_keys(platform)

    await _wait_for(health_key_expired)


async def test_worker_killed_mid_batch_loses_nothing_and_delivers_each_message_once(
    database_url: str, redis_url: str
) -> None:
    """Finding 5, deduping connector: a dead worker's batch is taken over (and only once the worker is
    dead); the carrier answers the second submit of each serial without sending it again."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, PHONES, ["1234", "5"])
        assert all(s.Code == "Ok" for s in resp.SendStatusSet)
        await _kill_a_worker_inside_its_carrier_call(platform)
        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"sending"}  # claimed, outcome unknown

        await platform.simulator("/control", {"latency_s": 0, "report_delay_s": 0})
        # Before the lease runs out nothing is taken over, even from a dead worker.
        assert await _sweep_then_send(platform, clock_offset_s=0) == 0
        assert await _sweep_then_send(platform, clock_offset_s=platform.settings.claim_lease_s + 1) == 1
        await platform.simulator("/flush", {})

        rows = await platform.statuses(tenant)
        assert len(rows) == len(PHONES)
        assert {r["status"] for r in rows.values()} == {"delivered"}
        stats = await platform.simulator("/stats")
        # The carrier saw the batch twice (the dead worker's call and the takeover) and, deduping on our
        # serial number, accepted and reported each message exactly once.
        assert stats["messages_received"] == 2 * len(PHONES)
        assert stats["unique_messages"] == len(PHONES)
        assert stats["reports_sent"] == len(PHONES)
        carrier_ids = {r["carrier_id"] for r in rows.values()}
        assert len(carrier_ids) == len(PHONES)


async def _admin(platform: Platform, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {platform.settings.admin_token}"}
    url = platform.api_url + "/admin/v1" + path
    async with platform.http.request(method, url, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def _late_report(platform: Platform, serial_no: str, carrier_id: str) -> None:
    """The carrier's delivery report for the dead worker's submit, as it POSTs it to our webhook."""
    report = {"ref": serial_no, "carrier_id": carrier_id, "status": "DELIVRD", "delivered": True,
              "error": "", "report_time": time.time()}  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = platform.api_url + "/carrier/reports"
    async with platform.http.post(url, json={"reports": [report]}, headers=headers) as resp:
        assert resp.status == 200


async def _unknown_serials(platform: Platform, tenant: Tenant) -> dict[str, str]:
    rows = await platform.statuses(tenant)
    return {r["serial_no"]: r["phone"] for r in rows.values() if r["status"] == "unknown"}


async def test_with_a_carrier_that_does_not_dedupe_a_dead_workers_batch_is_never_sent_twice(
    database_url: str, redis_url: str
) -> None:
    """Finding 5, non-deduping connector: the dead worker's messages end `unknown`, the sweep resends none
    of them (the carrier saw each serial once), a late report settles one, and an operator resends or fails
    the others through smsctl and the admin API (a resend reaches the carrier again only then)."""
    simulator = SimulatorConfig(token=TOKEN, dedupe=False)
    async with running_platform(
        database_url, redis_url, simulator=simulator, carrier_dedupes_on_serial=False
    ) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, PHONES, ["1234", "5"])
        assert all(s.Code == "Ok" for s in resp.SendStatusSet)
        await _kill_a_worker_inside_its_carrier_call(platform)
        await platform.simulator("/control", {"latency_s": 0})
        s = platform.settings

        assert await _sweep_then_send(platform, clock_offset_s=s.claim_lease_s + 1) == 0
        unknown = await _unknown_serials(platform, tenant)
        assert len(unknown) == len(PHONES)
        # Later sweeps leave them alone too: nothing is resent automatically.
        assert await _sweep_then_send(platform, clock_offset_s=s.claim_lease_s + 120) == 0
        assert await platform.db.fetchval("SELECT count(*) FROM send_outbox") == 0
        stats = await platform.simulator("/stats")
        assert stats["messages_received"] == len(PHONES)
        assert stats["max_submissions_per_ref"] == 1

        status, listed = await _admin(platform, "GET", "/unknown-outcomes?limit=500")
        assert status == 200
        assert sorted(i["serial_no"] for i in listed["items"]) == sorted(unknown)
        assert all("****" in i["phone"] for i in listed["items"])  # masked

        # A late report settles one like any other.
        serials = sorted(unknown)
        carried = {m["ref"]: m["carrier_id"] for m in await platform.simulator("/messages")}
        await _late_report(platform, serials[0], carried[serials[0]])
        rows = {r["serial_no"]: r for r in (await platform.statuses(tenant)).values()}
        assert rows[serials[0]]["status"] == "delivered"
        assert len(await _unknown_serials(platform, tenant)) == len(PHONES) - 1

        # The operator: resend two (one under a fresh reference) and fail two, through each front door.
        env = (s.database_url, s.redis_url)
        code, resent, err = await smsctl(*env, "unknown", "resend", serials[1])
        assert (code, resent) == (0, {"settled": [serials[1]], "skipped": []}), err
        status, resent = await _admin(
            platform,
            "POST",
            "/unknown-outcomes/resend",
            {"serials": [serials[2], serials[0]], "fresh_ref": True},
        )
        assert (status, resent) == (200, {"settled": [serials[2]], "skipped": [serials[0]]})
        code, failed, err = await smsctl(*env, "unknown", "fail", serials[3], "--reason", "carrier lost it")
        assert (code, failed) == (0, {"settled": [serials[3]], "skipped": []}), err
        status, failed = await _admin(platform, "POST", "/unknown-outcomes/fail", {"serials": [serials[4]]})
        assert (status, failed) == (200, {"settled": [serials[4]], "skipped": []})
        status, refused = await _admin(platform, "POST", "/unknown-outcomes/fail", {"serials": ["nope"]})
        assert status == 400 and refused["error"]["code"] == "InvalidParameterValue"

        # The resends' reports come at once; the dead worker's submits are still reported an hour late.
        await platform.simulator("/control", {"report_delay_s": 0})
        await _run_send_jobs(platform)

        async def resends_delivered() -> bool:
            rows = {r["serial_no"]: r for r in (await platform.statuses(tenant)).values()}
            return all(rows[x]["status"] == "delivered" for x in serials[1:3])

        await _wait_for(resends_delivered)
        rows = {r["serial_no"]: r for r in (await platform.statuses(tenant)).values()}
        assert [rows[x]["status"] for x in serials[3:5]] == ["failed", "failed"]
        assert rows[serials[3]]["error"] == "carrier lost it"
        assert "operator" in rows[serials[4]]["error"]
        stats = await platform.simulator("/stats")
        # Only the two the operator resent reached the carrier again, the fresh one under a new reference.
        assert stats["messages_received"] == len(PHONES) + 2
        assert stats["refs_submitted_again"] == 1
        assert serials[2] + "~1" in {m["ref"] for m in await platform.simulator("/messages")}
        assert len(await _unknown_serials(platform, tenant)) == len(PHONES) - 5
        status, listed = await _admin(platform, "GET", "/unknown-outcomes?limit=500")
        assert len(listed["items"]) == len(PHONES) - 5

        # The carrier's late reports settle the rest.
        await platform.simulator("/flush", {})
        assert await _unknown_serials(platform, tenant) == {}
        status, listed = await _admin(platform, "GET", "/unknown-outcomes")
        assert (status, listed) == (200, {"items": []})


async def test_a_job_lost_from_redis_is_re_enqueued_by_the_outbox_sweep(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES[:3], ["1234", "5"])
        redis = Redis.from_url(redis_url)
        await redis.flushdb()  # the queue is gone; Postgres still has the rows
        await redis.aclose()

        assert await _sweep_then_send(platform, clock_offset_s=10) == 0  # not stale yet
        assert (
            await _sweep_then_send(platform, clock_offset_s=platform.settings.outbox_stale_after_s + 1) == 1
        )
        await platform.simulator("/flush", {})
        assert {r["status"] for r in (await platform.statuses(tenant)).values()} == {"delivered"}
