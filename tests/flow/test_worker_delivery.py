"""The worker against the simulator: transient carrier failures retried, permanent ones recorded, and a
job that runs twice never sends twice."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from core.infra.queue import enqueue_send_batch
from core.store.messages import record_submit_results
from tests.flow.harness import running_platform
from worker.carriers.simulator import SimulatorConfig

PHONES = ["+8613800138000", "+8613900139000", "+8615800158000"]


async def test_transient_carrier_failures_are_retried_until_delivered(
    database_url: str, redis_url: str
) -> None:
    """Two 503s from the carrier, then success: every message delivered once, after three attempts."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES, ["1234", "5"])
        await platform.simulator("/control", {"fail_next_submits": 2})

        await platform.run_worker()
        await platform.simulator("/flush", {})

        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"delivered"}
        assert {r["attempts"] for r in rows.values()} == {3}
        stats = await platform.simulator("/stats")
        assert stats["submit_calls"] == 3
        assert stats["unique_messages"] == 3 and stats["duplicates"] == 0 and stats["reports_sent"] == 3


async def test_carrier_outage_longer_than_the_retries_fails_the_messages_with_a_reason(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url, send_max_tries=2) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        await platform.simulator("/control", {"fail_next_submits": 5})

        await platform.run_worker()

        (row,) = (await platform.statuses(tenant)).values()
        assert row["status"] == "failed"
        assert row["error"].startswith("carrier unavailable")
        assert row["carrier_id"] is None


async def test_a_number_the_carrier_refuses_fails_and_the_rest_are_sent(
    database_url: str, redis_url: str
) -> None:
    sim = SimulatorConfig(token="", rejected_numbers=frozenset({PHONES[1]}))
    async with running_platform(database_url, redis_url, simulator=sim) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES, ["1234", "5"])
        await platform.run_worker()
        await platform.simulator("/flush", {})
        rows = await platform.statuses(tenant)
        assert {p: (r["status"], r["error"]) for p, r in rows.items()} == {
            PHONES[0]: ("delivered", ""),
            PHONES[1]: ("failed", "REJECTD"),
            PHONES[2]: ("delivered", ""),
        }


async def test_the_same_batch_enqueued_twice_is_sent_once(database_url: str, redis_url: str) -> None:
    """Jobs may run more than once: the claim leaves nothing for the second run."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES, ["1234", "5"])
        batch_id, accepted_at = await platform.db.fetchrow(
            "SELECT DISTINCT batch_id, accepted_at FROM messages"
        )
        redis = Redis.from_url(redis_url)
        try:
            from arq.connections import ArqRedis

            arq = ArqRedis(connection_pool=redis.connection_pool)
            assert await enqueue_send_batch(arq, batch_id, accepted_at, attempt="again")
            # The original job id is refused: a second enqueue of the same request is a no-op.
            assert not await enqueue_send_batch(arq, batch_id, accepted_at)
        finally:
            await redis.aclose()

        await platform.run_worker()
        await platform.simulator("/flush", {})

        stats = await platform.simulator("/stats")
        assert stats["messages_received"] == 3 and stats["duplicates"] == 0
        assert {r["status"] for r in (await platform.statuses(tenant)).values()} == {"delivered"}


@pytest.mark.parametrize("reports_first", [True, False])
async def test_a_report_arriving_before_the_send_is_recorded_keeps_the_final_status(
    database_url: str, redis_url: str, reports_first: bool
) -> None:
    """The carrier may report before the worker has written `sent`; the report's status must win."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        serial = resp.SendStatusSet[0].SerialNo
        await platform.db.execute("UPDATE messages SET status = 'sending'")
        report = {"reports": [{"ref": serial, "carrier_id": "C1", "status": "DELIVRD", "delivered": True,
                               "error": "", "report_time": 1_800_000_000.0}]}  # fmt: skip
        headers = {"Authorization": f"Bearer {platform.settings.carrier_webhook_token}"}
        row = await platform.db.fetchrow("SELECT id, accepted_at, batch_id FROM messages")

        async def worker_records_sent() -> None:
            await record_submit_results(
                platform.db,
                row["batch_id"],
                row["accepted_at"],
                ids=[row["id"]],
                carrier_ids=["C1"],
                errors=[""],
                now=row["accepted_at"],
                usage_day=row["accepted_at"].date(),
            )

        async def carrier_reports() -> None:
            url = platform.api_url + "/carrier/reports"
            async with platform.http.post(url, json=report, headers=headers) as r:
                assert r.status == 200 and json.loads(await r.text())["result"] == 0

        for step in (
            (carrier_reports, worker_records_sent)
            if reports_first
            else (worker_records_sent, carrier_reports)
        ):
            await step()
        final = await platform.db.fetchrow("SELECT status, carrier_id, reported_at FROM messages")
        assert final["status"] == "delivered" and final["carrier_id"] == "C1"
        assert final["reported_at"].timestamp() == 1_800_000_000.0


async def test_the_carrier_webhook_refuses_a_wrong_token_and_malformed_batches(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        url = platform.api_url + "/carrier/reports"
        async with platform.http.post(
            url, json={"reports": []}, headers={"Authorization": "Bearer nope"}
        ) as r:
            assert r.status == 401
        headers = {"Authorization": f"Bearer {platform.settings.carrier_webhook_token}"}
        for body in (b"not json", b'{"reports": 3}', b'{"reports": [{"ref": "x"}]}', b"[]"):
            async with platform.http.post(url, data=body, headers=headers) as r:
                assert r.status == 400, body
