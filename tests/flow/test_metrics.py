"""GET /metrics moves with the traffic: requests by action and code, messages accepted, refused, sent and
delivered by country, the queue's depth, job and carrier-call counts, gate refusals, callbacks; and a worker
process serves the same registry on its own port.

API, worker and simulator share this test process (and so one registry), and other tests count too: every
assertion is a difference between two scrapes, never an absolute value."""

from __future__ import annotations

import socket
from collections.abc import Mapping

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from core.infra.metrics import serve_metrics
from tests.flow.harness import Platform, running_platform
from tests.flow.test_callbacks import Clock, deliver_everything, put_callbacks, receiver, reply_with

Key = tuple[str, frozenset[tuple[str, str]]]
PHONES = ["+8613800138000", "+8613900139000", "+8615800158000"]


def parse(text: str) -> dict[Key, float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[Key, float]:
    async with http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return parse(await resp.text())


async def api_scrape(platform: Platform) -> dict[Key, float]:
    return await scrape(platform.http, platform.api_url + "/metrics")


def get(samples: Mapping[Key, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Mapping[Key, float], after: Mapping[Key, float], name: str, **labels: str) -> float:
    return get(after, name, **labels) - get(before, name, **labels)


async def test_a_scrape_shows_requests_messages_jobs_and_carrier_calls_moving(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        before = await api_scrape(platform)

        await platform.send_sms(tenant, PHONES[:2], ["1234", "5"])
        await platform.send_sms(tenant, [PHONES[2], "12345"], ["1234", "5"])  # one number is invalid
        queued = await api_scrape(platform)
        await platform.run_worker()
        await platform.simulator("/flush", {})
        after = await api_scrape(platform)

        assert delta(before, after, "sms_api_requests_total", action="SendSms", code="Ok") == 2
        assert delta(before, after, "sms_api_request_seconds_count", action="SendSms") == 2
        assert delta(before, after, "sms_messages_total", event="accepted", country="CN") == 3
        assert delta(before, after, "sms_messages_total", event="refused", country="DEF") == 1
        assert delta(before, after, "sms_messages_total", event="sent", country="CN") == 3
        assert delta(before, after, "sms_messages_total", event="delivered", country="CN") == 3
        assert delta(before, after, "sms_messages_total", event="failed", country="CN") == 0
        assert delta(before, after, "sms_jobs_total", job="send_batch", result="ok") == 2
        assert delta(before, after, "sms_job_seconds_count", job="send_batch") == 2
        assert delta(before, after, "sms_carrier_call_seconds_count", connector="http") == 2
        # Redis is flushed per test: the two send jobs are the whole queue until the worker runs.
        assert get(queued, "sms_queue_depth", queue="arq:queue") == 2
        assert get(queued, "sms_queue_lag_seconds", queue="arq:queue") >= 0
        assert get(after, "sms_queue_depth", queue="arq:queue") == 0
        assert get(after, "sms_queue_lag_seconds", queue="arq:queue") == 0
        assert get(after, "sms_queue_depth", queue="arq:callbacks") == 0


async def test_unknown_actions_share_one_label_and_refusals_carry_their_code(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        before = await api_scrape(platform)
        async with platform.http.post(
            platform.api_url + "/", json={}, headers={"X-TC-Action": "Made-Up-Action-123"}
        ) as resp:
            assert resp.status == 200
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])  # the same content within 30 s (L1)
        after = await api_scrape(platform)

        assert not any(labels and ("action", "Made-Up-Action-123") in labels for _, labels in after)
        assert (
            delta(
                before,
                after,
                "sms_api_requests_total",
                action="other",
                code="AuthFailure.InvalidAuthorization",
            )
            == 1
        )
        limit = "LimitExceeded.PhoneNumberThirtySecondLimit"
        assert delta(before, after, "sms_gate_refusals_total", limit=limit) == 1
        assert delta(before, after, "sms_messages_total", event="refused", country="CN") == 1
        assert delta(before, after, "sms_messages_total", event="accepted", country="CN") == 1


async def test_carrier_errors_retries_and_failed_reports_are_counted(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        before = await api_scrape(platform)
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        await platform.simulator("/control", {"fail_next_submits": 1})
        await platform.run_worker()
        await platform.simulator("/flush", {})
        after = await api_scrape(platform)

        assert delta(before, after, "sms_carrier_errors_total", connector="http", kind="transient") == 1
        assert delta(before, after, "sms_carrier_call_seconds_count", connector="http") == 2
        assert delta(before, after, "sms_jobs_total", job="send_batch", result="retry") == 1
        assert delta(before, after, "sms_jobs_total", job="send_batch", result="ok") == 1
        assert delta(before, after, "sms_messages_total", event="delivered", country="CN") == 1


async def test_callback_deliveries_and_retries_are_counted(database_url: str, redis_url: str) -> None:
    clock = Clock()
    async with (
        receiver(reply_with(500, b"busy")) as rx,
        running_platform(database_url, redis_url) as platform,
    ):
        tenant = await platform.add_tenant()
        status, _ = await put_callbacks(platform, tenant.sdk_app_id, {"status_url": rx.url + "/status"})
        assert status == 200
        before = await api_scrape(platform)
        await platform.send_sms(tenant, PHONES[:2], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await deliver_everything(platform, clock)
        after = await api_scrape(platform)

        assert delta(before, after, "sms_callback_requests_total", result="failed") == 1
        assert delta(before, after, "sms_callback_requests_total", result="ok") >= 1
        assert delta(before, after, "sms_callbacks_total", result="failed") == 2
        assert delta(before, after, "sms_callbacks_total", result="delivered") == 2
        assert delta(before, after, "sms_jobs_total", job="deliver_callbacks", result="ok") >= 2


async def test_a_worker_process_serves_its_metrics_on_its_own_port(database_url: str, redis_url: str) -> None:
    with socket.socket() as probe:  # a free port for the worker's endpoint
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve_metrics(port, "127.0.0.1")
    assert server is not None
    worker_url = f"http://127.0.0.1:{port}/metrics"
    try:
        async with running_platform(database_url, redis_url) as platform:
            tenant = await platform.add_tenant()
            before = await scrape(platform.http, worker_url)
            await platform.send_sms(tenant, PHONES, ["1234", "5"])
            await platform.run_worker()
            after = await scrape(platform.http, worker_url)

            assert delta(before, after, "sms_messages_total", event="sent", country="CN") == 3
            assert delta(before, after, "sms_carrier_call_seconds_count", connector="http") == 1
            assert delta(before, after, "sms_jobs_total", job="send_batch", result="ok") == 1
    finally:
        server.shutdown()
        server.server_close()
    assert serve_metrics(0, "127.0.0.1") is None  # port 0: off
