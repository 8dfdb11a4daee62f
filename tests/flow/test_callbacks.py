"""Customer callbacks end to end (B2, B3; spec section 9): messages sent with the official SDK, reports and a
reply coming back through the carrier simulator, and the worker POSTing them to a real receiver that fails,
answers garbage, is slow, or recovers. The worker runs on a controlled clock, moved past each retry's wait."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from arq.connections import create_pool

from core.domain.callbacks import verify_callback
from core.infra.queue import redis_settings
from core.infra.settings import Settings
from core.services.connectors import OutboundMessage, SubmitResult
from core.services.platform import Platform as Services
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.keyring import opened
from worker.carriers.http import HttpConnector
from worker.carriers.simulator import SimulatorConfig, serve
from worker.deps import Deps
from worker.jobs.callbacks import purge_pull_queue, sweep_callbacks
from worker.main import build_callback_worker, build_worker, http_connector

P1, P2, P3 = "+8613800138000", "+8613900139000", "+8615800158000"
ADMIN = {"Authorization": "Bearer dev-admin-token"}
OK = b'{"result": 0, "errmsg": "OK"}'
STATUS_KEYS = {"user_receive_time", "nationcode", "mobile", "report_status", "errmsg", "description", "sid"}
REPLY_KEYS = {"extend", "mobile", "nationcode", "sign", "text", "time"}


class Clock:
    """The worker's clock: frozen and moved only by the test. It starts a little behind the database's clock:
    a freshly queued callback is due at once whatever the worker's clock says."""

    def __init__(self) -> None:
        self.now = time.time() - 60

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    accepted: bool = False
    answered: int = 0


Answer = Callable[["Request", web.Request], Awaitable[web.Response]]


def reply_with(status: int, body: bytes) -> Answer:
    async def answer(_: Request, __: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    return answer


@dataclass
class Receiver:
    """The customer's callback server: answers from a script, then `default`; keeps every request."""

    url: str = ""
    script: list[Answer] = field(default_factory=list)
    default: Answer = field(default_factory=lambda: reply_with(200, OK))
    requests: list[Request] = field(default_factory=list)

    @property
    def accepted(self) -> list[Request]:
        return [r for r in self.requests if r.accepted]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        seen = Request(request.path, dict(request.headers), await request.read())
        self.requests.append(seen)
        answer = self.script.pop(0) if self.script else self.default
        response = await answer(seen, request)
        seen.answered = response.status
        seen.accepted = response.status == 200 and response.body == OK
        return response


@asynccontextmanager
async def receiver(*script: Answer) -> AsyncIterator[Receiver]:
    rx = Receiver(script=list(script))
    app = web.Application()
    app.router.add_post("/{path:.*}", rx.handle)
    async with serve(app, shutdown_timeout=1.0) as url:
        rx.url = url
        yield rx


async def put_callbacks(platform: Platform, sdk_app_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    url = f"{platform.api_url}/admin/v1/apps/{sdk_app_id}/callbacks"
    async with platform.http.put(url, json=body, headers=ADMIN) as resp:
        return resp.status, await resp.json()


async def get_callbacks(platform: Platform, sdk_app_id: str) -> tuple[int, Any]:
    url = f"{platform.api_url}/admin/v1/apps/{sdk_app_id}/callbacks"
    async with platform.http.get(url, headers=ADMIN) as resp:
        return resp.status, await resp.json()


async def app_key(platform: Platform, tenant: Tenant) -> str:
    # The AppKey is sealed at rest: the tenant holds the one shown at creation, as a customer does.
    return tenant.app_key


async def pending(platform: Platform) -> int:
    count: int = await platform.db.fetchval("SELECT count(*) FROM callback_queue WHERE state = 'pending'")
    return count


async def sweep(platform: Platform, clock: Clock) -> int:
    """The worker's cron sweep, run once: enqueue delivery for every application whose queue head is due."""
    redis = await create_pool(redis_settings(platform.settings.redis_url))
    deps = Deps(Services(platform.settings, platform.db, redis, clock), http_connector(platform.settings))
    try:
        return await sweep_callbacks({"deps": deps})
    finally:
        await deps.connector.close()
        await redis.aclose()


async def retry_when_due(platform: Platform, clock: Clock) -> None:
    """Move the clock just past the queue head's retry time, then let the sweep and the worker run."""
    next_at = await platform.db.fetchval("SELECT max(next_at) FROM callback_queue WHERE state = 'pending'")
    if next_at is not None and next_at.timestamp() >= clock():
        clock.advance(next_at.timestamp() - clock() + 1)
    await sweep(platform, clock)
    await platform.run_worker(clock=clock)


async def deliver_everything(platform: Platform, clock: Clock, *, rounds: int = 10) -> None:
    for _ in range(rounds):
        if not await pending(platform):
            return
        await retry_when_due(platform, clock)
    raise AssertionError("callbacks still pending")


def statuses_in(requests: Sequence[Request]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for request in requests:
        if request.path == "/status":
            body = json.loads(request.body)
            assert isinstance(body, list)
            found += body
    return found


def assert_signed(request: Request, key: str, clock: Clock) -> None:
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["User-Agent"].startswith("sms-platform-callbacks")
    timestamp, signature = request.headers["X-Sms-Timestamp"], request.headers["X-Sms-Signature"]
    assert verify_callback(key, timestamp, request.body, signature, clock(), 300)
    assert not verify_callback("not-the-app-key", timestamp, request.body, signature, clock(), 300)


async def test_reports_and_a_reply_reach_the_customer_once_in_order_after_three_failures(
    database_url: str, redis_url: str
) -> None:
    clock = Clock()
    failures = [
        reply_with(500, b"internal error"),
        reply_with(200, b"<html>not json</html>"),
        reply_with(200, b'{"result": 1, "errmsg": "busy"}'),
    ]
    async with receiver(*failures) as rx, running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        status, config = await put_callbacks(
            platform, tenant.sdk_app_id, {"status_url": rx.url + "/status", "reply_url": rx.url + "/reply"}
        )
        assert status == 200, config
        key = await app_key(platform, tenant)

        first = await platform.send_sms(tenant, [P1, P2], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        answer = await platform.simulator(
            "/replies", {"replies": [{"phone": P1, "text": "好的 OK", "sign": SIGN}]}
        )
        assert answer == {"forwarded": 1}
        second = await platform.send_sms(tenant, [P3], ["5678", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})

        queued = await platform.db.fetch("SELECT kind, item FROM callback_queue ORDER BY id")
        assert [r["kind"] for r in queued] == ["status", "status", "reply", "status"]
        queue_order = [json.loads(r["item"])["serial_no"] for r in queued if r["kind"] == "status"]
        serials = {s.PhoneNumber: s.SerialNo for s in [*first.SendStatusSet, *second.SendStatusSet]}
        assert set(queue_order) == set(serials.values())

        await deliver_everything(platform, clock)

        # Three failed tries of the head (two reports), then everything accepted once, in queue order.
        assert [r.answered for r in rx.requests] == [500, 200, 200, 200, 200, 200]
        assert [r.accepted for r in rx.requests] == [False, False, False, True, True, True]
        failed_bodies = {r.body for r in rx.requests[:3]}
        assert len({json.dumps(sorted(e["sid"] for e in json.loads(b))) for b in failed_bodies}) == 1
        assert [r.path for r in rx.accepted] == ["/status", "/reply", "/status"]
        for request in rx.requests:
            assert_signed(request, key, clock)

        reports = statuses_in(rx.accepted)
        assert [r["sid"] for r in reports] == queue_order  # each exactly once, in order
        messages = {r["serial_no"]: opened(r) for r in await platform.db.fetch("SELECT * FROM messages")}
        tz = ZoneInfo(platform.settings.timezone)
        for report in reports:
            assert set(report) == STATUS_KEYS
            message = messages[report["sid"]]
            assert serials[message["phone"]] == report["sid"]
            assert report == {
                "user_receive_time": f"{message['reported_at'].astimezone(tz):%Y-%m-%d %H:%M:%S}",
                "nationcode": "86",
                "mobile": message["phone"].removeprefix("+86"),
                "report_status": "SUCCESS",
                "errmsg": "DELIVRD",
                "description": "The SMS message is successfully delivered",
                "sid": report["sid"],
            }
        reply = json.loads(rx.accepted[1].body)
        assert isinstance(reply, dict) and set(reply) == REPLY_KEYS
        received = await platform.db.fetchval("SELECT received_at FROM replies")
        assert reply == {
            "extend": "",
            "mobile": "13800138000",
            "nationcode": "86",
            "sign": SIGN,
            "text": "好的 OK",
            "time": int(received.timestamp()),
        }
        assert "好的".encode() in rx.accepted[1].body

        assert await platform.db.fetchval("SELECT count(*) FROM callback_queue") == 0
        counted = await platform.db.fetchrow(
            "SELECT sum(callbacks_delivered) AS delivered, sum(callbacks_given_up) AS given_up FROM stats_hourly"
        )
        assert (counted["delivered"], counted["given_up"]) == (4, 0)
        assert (await get_callbacks(platform, tenant.sdk_app_id))[1] | {"sdk_app_id": ""} == {
            "sdk_app_id": "",
            "status_url": rx.url + "/status",
            "reply_url": rx.url + "/reply",
            "format": "tencent",
            "pending": 0,
            "given_up": 0,
        }


async def test_callbacks_failing_for_a_day_are_given_up_and_later_ones_still_delivered(
    database_url: str, redis_url: str
) -> None:
    clock = Clock()
    async with receiver() as rx, running_platform(database_url, redis_url) as platform:
        rx.default = reply_with(503, b"down")
        tenant = await platform.add_tenant()
        assert (await put_callbacks(platform, tenant.sdk_app_id, {"status_url": rx.url + "/status"}))[
            0
        ] == 200
        first = await platform.send_sms(tenant, [P1], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await retry_when_due(platform, clock)
        await retry_when_due(platform, clock)
        row = await platform.db.fetchrow("SELECT state, attempts, last_error FROM callback_queue")
        assert (row["state"], row["last_error"]) == ("pending", "HTTP 503") and row["attempts"] >= 2

        clock.advance(25 * 3600)  # past the give-up period: the next failure gives up
        await retry_when_due(platform, clock)
        row = await platform.db.fetchrow("SELECT state, item FROM callback_queue")
        assert row["state"] == "given_up"
        assert json.loads(row["item"])["serial_no"] == first.SendStatusSet[0].SerialNo
        assert await platform.db.fetchval("SELECT sum(callbacks_given_up) FROM stats_hourly") == 1
        status, config = await get_callbacks(platform, tenant.sdk_app_id)
        assert status == 200 and (config["pending"], config["given_up"]) == (0, 1)
        tries = len(rx.requests)

        # The customer recovers: what comes later is delivered; the given-up report stays given up.
        rx.default = reply_with(200, OK)
        second = await platform.send_sms(tenant, [P2], ["5678", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await deliver_everything(platform, clock)
        assert len(rx.requests) == tries + 1
        assert [r["sid"] for r in statuses_in(rx.accepted)] == [second.SendStatusSet[0].SerialNo]
        assert await platform.db.fetchval("SELECT state FROM callback_queue") == "given_up"
        assert await platform.db.fetchval("SELECT sum(callbacks_delivered) FROM stats_hourly") == 1


class SignallingConnector(HttpConnector):
    """The real HTTP connector, announcing each completed submit (so the receiver can tell it happened)."""

    def __init__(self, settings: Settings, submitted: asyncio.Event) -> None:
        super().__init__(settings.carrier_url, settings.carrier_webhook_token, pool_size=4)
        self.submitted = submitted

    async def submit(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        results = await super().submit(messages)
        self.submitted.set()
        return results


async def test_a_slow_customer_times_out_is_retried_and_does_not_hold_up_sending(
    database_url: str, redis_url: str
) -> None:
    """Callbacks have their own queue and worker: while one hangs, the send worker still sends."""
    clock = Clock()
    submitted = asyncio.Event()
    sent_while_open: list[bool] = []

    async def slow(_: Request, request: web.Request) -> web.Response:
        # Wait for the send worker to submit another message while this callback is still open, then never
        # answer: the platform gives up on the request after callback_timeout_s.
        await asyncio.wait_for(submitted.wait(), 30)
        sent_while_open.append(request.transport is not None and not request.transport.is_closing())
        await asyncio.Event().wait()
        return web.Response(body=OK, content_type="application/json")

    # Reports wait at the simulator until /flush, so the first callback attempt is made where the test says.
    sim = SimulatorConfig(token="", report_delay_s=3600)
    async with (
        receiver(slow) as rx,
        running_platform(database_url, redis_url, simulator=sim, callback_timeout_s=3.0) as platform,
    ):
        tenant = await platform.add_tenant()
        assert (await put_callbacks(platform, tenant.sdk_app_id, {"status_url": rx.url + "/status"}))[
            0
        ] == 200
        first = await platform.send_sms(tenant, [P1], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})  # P1's report: queued, its delivery job enqueued
        assert await pending(platform) == 1 and rx.requests == []

        second = await platform.send_sms(tenant, [P2], ["5678", "5"])
        # As `smsctl worker` runs them: the callback worker and the send worker side by side.
        callbacks = build_callback_worker(platform.settings, burst=True, clock=clock, poll_delay=0)
        delivering = asyncio.create_task(callbacks.main())
        sender = build_worker(
            platform.settings,
            burst=True,
            clock=clock,
            with_cron=False,
            poll_delay=0,
            connector_factory=lambda s: SignallingConnector(s, submitted),
        )
        try:
            await sender.main()
            assert not delivering.done()  # the send finished while the callback still hung
            await delivering
        finally:
            await sender.close()
            await callbacks.close()
        assert sent_while_open == [True]  # P2 went to the carrier while the callback was open
        assert (await platform.statuses(tenant))[P2]["status"] == "sent"
        row = await platform.db.fetchrow("SELECT state, attempts, last_error FROM callback_queue")
        assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 1, "no answer within 3 s")

        await platform.simulator("/flush", {})
        await deliver_everything(platform, clock)
        # The late answer to the abandoned request does not count: P1's report is sent again (at least once),
        # ahead of P2's, in one request.
        assert len(rx.requests) == 2
        assert [r["sid"] for r in statuses_in(rx.requests[:1])] == [first.SendStatusSet[0].SerialNo]
        assert [r["sid"] for r in statuses_in(rx.requests[1:])] == [
            first.SendStatusSet[0].SerialNo,
            second.SendStatusSet[0].SerialNo,
        ]
        assert await pending(platform) == 0


async def test_turning_a_callback_off_drops_what_waits_for_it(database_url: str, redis_url: str) -> None:
    clock = Clock()
    async with receiver() as rx, running_platform(database_url, redis_url) as platform:
        rx.default = reply_with(500, b"")
        tenant = await platform.add_tenant()
        urls = {"status_url": rx.url + "/status", "reply_url": rx.url + "/reply"}
        assert (await put_callbacks(platform, tenant.sdk_app_id, urls))[0] == 200
        await platform.send_sms(tenant, [P1], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await platform.simulator("/replies", {"replies": [{"phone": P1, "text": "hi"}]})
        assert await pending(platform) == 2

        # Turned off in the database behind the API's back: the worker drops the status report it finds.
        await platform.db.execute("UPDATE apps SET status_callback_url = ''")
        rx.default = reply_with(200, OK)
        await deliver_everything(platform, clock)
        assert [r.path for r in rx.accepted] == ["/reply"]

        # Turned off through the API: dropped at once.
        await platform.db.execute("UPDATE apps SET status_callback_url = $1", rx.url + "/status")
        await platform.simulator("/replies", {"replies": [{"phone": P1, "text": "again"}]})
        assert await pending(platform) == 1
        status, config = await put_callbacks(platform, tenant.sdk_app_id, {"reply_url": ""})
        assert status == 200 and config["reply_url"] == "" and config["status_url"] == rx.url + "/status"
        assert config["pending"] == 0 and await pending(platform) == 0


async def test_callback_urls_are_validated_by_the_admin_api(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        app = tenant.sdk_app_id
        status, config = await get_callbacks(platform, app)
        assert status == 200 and config == {
            "sdk_app_id": app,
            "status_url": "",
            "reply_url": "",
            "format": "tencent",
            "pending": 0,
            "given_up": 0,
        }
        valid = {"status_url": "https://example.com/sms/status?k=1", "reply_url": "http://203.0.113.9:8080/r"}
        status, config = await put_callbacks(platform, app, valid)
        assert status == 200 and config == {
            "sdk_app_id": app,
            **valid,
            "format": "tencent",
            "pending": 0,
            "given_up": 0,
        }
        assert await get_callbacks(platform, app) == (200, config)

        own_admin = f"{platform.api_url}/admin/v1/apps/{app}/policy"
        refused: list[tuple[dict[str, Any], str]] = [
            ({"status_url": "ftp://example.com/cb"}, "InvalidParameterValue"),
            ({"status_url": "http:///no-host"}, "InvalidParameterValue"),
            ({"reply_url": "https://"}, "InvalidParameterValue"),
            ({"reply_url": own_admin}, "InvalidParameterValue"),
            ({"status_url": f"{platform.api_url}/carrier/reports"}, "InvalidParameterValue"),
            ({"status_url": platform.api_url + "/"}, "InvalidParameterValue"),
            ({"status_url": "http://u:p@example.com/"}, "InvalidParameterValue"),
            ({"status_url": "https://example.com/" + "x" * 600}, "InvalidParameterValue"),
            ({"status_url": 5}, "InvalidParameter"),
            ({"status_url": None}, "InvalidParameter"),
            ({"webhook": "https://example.com/"}, "InvalidParameter"),
            ({}, "MissingParameter"),
        ]
        for body, code in refused:
            status, answer = await put_callbacks(platform, app, body)
            assert status == 400 and answer["error"]["code"] == code, (body, answer)
            assert answer["error"]["message"]
        assert (await get_callbacks(platform, app))[1] == config  # nothing changed

        url = f"{platform.api_url}/admin/v1/apps/{app}/callbacks"
        async with platform.http.put(url, data=b"[1]", headers=ADMIN) as resp:
            assert resp.status == 400
        async with platform.http.put(url, json=valid) as resp:
            assert resp.status == 401
        async with platform.http.get(url, headers={"Authorization": "Bearer nope"}) as resp:
            assert resp.status == 401
        assert (await put_callbacks(platform, "1400999999", valid))[0] == 404
        assert (await get_callbacks(platform, "1400999999"))[0] == 404

        status, config = await put_callbacks(platform, app, {"status_url": ""})
        assert status == 200 and (config["status_url"], config["reply_url"]) == ("", valid["reply_url"])
        row = await platform.db.fetchrow("SELECT status_callback_url, reply_callback_url FROM apps")
        assert tuple(row) == ("", valid["reply_url"])


async def test_the_daily_purge_drops_pull_queue_items_older_than_the_retention(
    db: Any, redis_url: str
) -> None:
    clock = Clock()
    settings = Settings(database_url="unused", redis_url=redis_url, pull_retention_days=7)
    for age_days in (8, 6, 0):
        await db.execute(
            "INSERT INTO pull_queue (sdk_app_id, kind, created_at, ref_id, ref_at) "
            "VALUES ('1400000001', 'status', to_timestamp($1::float8), 1, to_timestamp($1::float8))",
            clock() - age_days * 86400,
        )
    deps = Deps(Services(settings, db, None, clock), http_connector(settings))
    assert await purge_pull_queue({"deps": deps}) == 1
    assert await db.fetchval("SELECT count(*) FROM pull_queue") == 2


async def test_callback_urls_aimed_inside_are_refused_when_set(database_url: str, redis_url: str) -> None:
    """Issue 14, finding 4: the platform's network, cloud metadata, link-local and the platform's own API in an
    IPv6 spelling are refused when the URL is set (admin API 400, nothing stored), not only when used."""
    async with running_platform(database_url, redis_url, callback_private_networks=False) as platform:
        tenant = await platform.add_tenant()
        api_port = platform.api_url.rsplit(":", 1)[1]
        for url in (
            "http://10.0.0.1/status",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/status",
            f"http://[::ffff:127.0.0.1]:{api_port}/status",
            "http://[64:ff9b::a9fe:a9fe]/status",
            "http://[2002:a00:1::1]/status",
            "http://2130706433/status",
        ):
            status, answer = await put_callbacks(platform, tenant.sdk_app_id, {"status_url": url})
            assert status == 400 and answer["error"]["code"] == "InvalidParameterValue", (url, answer)
            assert answer["error"]["message"].startswith("`status_url` (status report callback): The URL")
        row = await platform.db.fetchrow("SELECT status_callback_url FROM apps")
        assert row["status_callback_url"] == ""


async def test_callbacks_to_private_addresses_are_refused_by_default(
    database_url: str, redis_url: str
) -> None:
    """Secure by default (issue 14, finding 4): a customer's URL cannot make the worker call into the platform's
    own network (here 127.0.0.1, by literal and by name). Such a URL is refused when it is set; one stored
    before that check existed (or whose name was pointed inside since) fails at use with the reason, and
    nothing reaches the receiver."""
    clock = Clock()
    async with (
        receiver() as rx,
        running_platform(database_url, redis_url, callback_private_networks=False) as platform,
    ):
        tenant = await platform.add_tenant()
        port = rx.url.rsplit(":", 1)[1]
        for host, reason in (
            ("127.0.0.1", "refused: 127.0.0.1 is a private or reserved address"),
            ("localhost", "refused: the host resolves only to private or reserved addresses"),
        ):
            await platform.db.execute("DELETE FROM callback_queue")
            url = f"http://{host}:{port}/status"
            status, answer = await put_callbacks(platform, tenant.sdk_app_id, {"status_url": url})
            assert status == 400 and answer["error"]["code"] == "InvalidParameterValue"
            assert "private or reserved address" in answer["error"]["message"], answer
            await platform.db.execute("UPDATE apps SET status_callback_url = $1", url)
            await platform.send_sms(tenant, [P1 if host == "localhost" else P2], ["1234", "5"])
            await platform.run_worker(clock=clock)
            await platform.simulator("/flush", {})
            await platform.run_worker(clock=clock)
            row = await platform.db.fetchrow("SELECT state, attempts, last_error FROM callback_queue")
            assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 1, reason)
        assert rx.requests == []
