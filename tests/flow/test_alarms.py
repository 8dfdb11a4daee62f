"""Anti-bombing (L4): when an application's per-number limit refusals cross the threshold, the platform raises
ONE alarm for the window: an SMS to the account's alarm recipients through its own send path, and a POST to
the account's alarm webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from tests.flow.harness import Platform, Tenant, running_platform
from tests.keyring import number_hash, opened
from worker.carriers.simulator import serve

TARGET = "+8613800138000"
ALARM_PHONE = "+8615800158000"
ADMIN = {"Authorization": "Bearer dev-admin-token"}


async def test_a_bombing_pattern_raises_one_alarm_sent_through_the_platform(
    database_url: str, redis_url: str
) -> None:
    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    receiver = web.Application()
    receiver.router.add_post("/alarm", webhook)
    async with (
        serve(receiver) as receiver_url,
        running_platform(
            database_url, redis_url, alarm_rejections_threshold=3, alarm_window_s=300
        ) as platform,
    ):
        tenant = await platform.add_tenant()
        url = f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/alarm"
        body = {"phones": ["15800158000"], "webhook": receiver_url + "/alarm"}
        async with platform.http.put(url, json=body, headers=ADMIN) as r:
            assert r.status == 200 and (await r.json())["phones"] == [ALARM_PHONE]

        # Someone hammers one number with the same code: one goes, the rest hit the 30-second limit.
        results = [await platform.send_sms(tenant, [TARGET], ["1234", "5"]) for _ in range(8)]
        assert [r.SendStatusSet[0].Code for r in results].count("Ok") == 1

        await platform.run_worker()
        await platform.simulator("/flush", {})

        alarms = await platform.db.fetch("SELECT * FROM alarms")
        assert len(alarms) == 1  # crossing the threshold again in the same window raises nothing more
        alarm = alarms[0]
        assert (alarm["account_id"], alarm["sdk_app_id"], alarm["kind"]) == (
            tenant.account_id, tenant.sdk_app_id, "limit_rejections"
        )  # fmt: skip
        assert alarm["webhook_status"] == "HTTP 200"
        assert received and received[0]["sdk_app_id"] == tenant.sdk_app_id
        # The alarm SMS went through the ordinary send path, from the platform's own application.
        row = await platform.db.fetchrow(
            "SELECT m.* FROM messages m JOIN accounts a ON a.id = m.account_id"
            " WHERE a.system AND m.phone_hash = $1",
            number_hash(ALARM_PHONE),
        )
        assert row is not None
        sms = opened(row)
        assert sms["phone"] == ALARM_PHONE and sms["serial_no"] in alarm["serials"]
        assert sms["status"] == "delivered"
        assert tenant.sdk_app_id in sms["content"] and sms["content"].startswith("【SMSPlatform】")


async def test_alarm_recipients_are_validated(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        url = f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/alarm"
        for body in (
            {"phones": ["12 34"]},
            {"phones": ["+8613800138000"], "webhook": "ftp://x"},
            {"phones": "x"},
        ):
            async with platform.http.put(url, json=body, headers=ADMIN) as r:
                assert r.status == 400, body
        async with platform.http.put(
            f"{platform.api_url}/admin/v1/accounts/999999/alarm", json={}, headers=ADMIN
        ) as r:
            assert r.status == 404


@asynccontextmanager
async def hit_counter(answer: web.Response | None = None) -> AsyncIterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets: (its URL, the paths requested)."""
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(request.path)
        return answer if answer is not None else web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with serve(app) as url:
        yield url, hits


async def put_alarm(platform: Platform, account_id: int, body: dict[str, Any]) -> tuple[int, Any]:
    url = f"{platform.api_url}/admin/v1/accounts/{account_id}/alarm"
    async with platform.http.put(url, json=body, headers=ADMIN) as r:
        return r.status, await r.json()


async def raise_an_alarm(platform: Platform, tenant: Tenant) -> str:
    """What any customer can do at will (threshold 1): the same code twice to one number, the second refused
    by the 30-second limit; the worker raises the alarm. Its webhook status."""
    for _ in range(2):
        await platform.send_sms(tenant, [TARGET], ["1234", "5"])
    await platform.run_worker()
    status: str = await platform.db.fetchval(
        "SELECT webhook_status FROM alarms WHERE account_id = $1", tenant.account_id
    )
    return status


async def test_an_alarm_webhook_aimed_inside_is_refused_when_set(database_url: str, redis_url: str) -> None:
    """Issue 14, finding 4: the platform's network, cloud metadata, link-local, a name for this machine, and
    the platform's own API in an IPv6 spelling are refused when the webhook is set (400 with the reason)."""
    async with running_platform(database_url, redis_url, callback_private_networks=False) as platform:
        tenant = await platform.add_tenant()
        api_port = platform.api_url.rsplit(":", 1)[1]
        for webhook in (
            "http://10.0.0.1/",
            "http://169.254.169.254/",
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://[fe80::1]/",
            f"http://[::ffff:127.0.0.1]:{api_port}/",
            f"http://[::ffff:127.0.0.1]:{api_port}/admin/v1/accounts/1/alarm",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:c0a8:101::1]/",
            "http://localhost:9/",
            "http://127.1/",
            "http://alarms.invalid/",  # does not resolve
            "ftp://example.com/",
            "http://user:pw@example.com/",
        ):
            status, answer = await put_alarm(platform, tenant.account_id, {"webhook": webhook})
            assert status == 400 and answer["error"]["code"] == "InvalidParameterValue", (webhook, answer)
            assert answer["error"]["message"].startswith("`webhook`: The URL"), answer
        stored = await platform.db.fetchval(
            "SELECT alarm_webhook FROM accounts WHERE id = $1", tenant.account_id
        )
        assert stored == ""
        # A public address is fine (nothing is called when it is set).
        status, answer = await put_alarm(platform, tenant.account_id, {"webhook": "https://8.8.8.8/alarm"})
        assert status == 200 and answer["webhook"] == "https://8.8.8.8/alarm"


async def test_a_development_stack_still_refuses_the_platform_own_api_in_any_spelling(
    database_url: str, redis_url: str
) -> None:
    """With private networks allowed (smsctl up), receivers on this machine are fine, the platform's own API
    is not, however the loopback address is written."""
    async with running_platform(database_url, redis_url, callback_private_networks=True) as platform:
        tenant = await platform.add_tenant()
        api_port = platform.api_url.rsplit(":", 1)[1]
        for host in ("127.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "localhost"):
            status, answer = await put_alarm(
                platform, tenant.account_id, {"webhook": f"http://{host}:{api_port}/"}
            )
            assert status == 400 and "platform's own API" in answer["error"]["message"], (host, answer)
        assert (await put_alarm(platform, tenant.account_id, {"webhook": "http://10.0.0.1/"}))[0] == 200


async def test_an_alarm_webhook_whose_name_resolves_to_loopback_is_not_posted_to(
    database_url: str, redis_url: str
) -> None:
    """Issue 14, finding 4: checked when used too. A webhook stored before the check existed (or whose name
    was pointed inside since) is refused by the worker's guarded client: the alarm records a failed webhook
    delivery with the reason (no address), and the local server gets nothing."""
    async with (
        hit_counter() as (receiver_url, hits),
        running_platform(
            database_url, redis_url, alarm_rejections_threshold=1, callback_private_networks=False
        ) as platform,
    ):
        tenant = await platform.add_tenant()
        port = receiver_url.rsplit(":", 1)[1]
        await platform.db.execute(
            "UPDATE accounts SET alarm_webhook = $2 WHERE id = $1",
            tenant.account_id,
            f"http://localhost:{port}/alarm",
        )
        status = await raise_an_alarm(platform, tenant)
        assert status == "failed: refused: the host resolves only to private or reserved addresses"
        assert hits == []


async def test_a_redirect_from_the_alarm_webhook_is_not_followed(database_url: str, redis_url: str) -> None:
    """Issue 14, finding 4: a webhook that answers with a redirect (here to another server on this machine) is a
    failed delivery; the redirect's target gets nothing. Private networks are allowed so the test's servers
    can be reached at all: the redirect is still not followed."""
    async with (
        hit_counter() as (target_url, target_hits),
        hit_counter(web.Response(status=307, headers={"Location": target_url + "/inside"})) as (
            webhook_url,
            hits,
        ),
        running_platform(database_url, redis_url, alarm_rejections_threshold=1) as platform,
    ):
        tenant = await platform.add_tenant()
        status, _ = await put_alarm(platform, tenant.account_id, {"webhook": webhook_url + "/alarm"})
        assert status == 200
        assert await raise_an_alarm(platform, tenant) == "failed: HTTP 307 (redirects are not followed)"
        assert hits == ["/alarm"] and target_hits == []


async def test_a_day_far_above_the_usual_volume_raises_a_volume_alarm(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(
        database_url, redis_url, alarm_volume_factor=3.0, alarm_volume_min=10
    ) as platform:
        tenant = await platform.add_tenant()
        await platform.db.execute(
            "UPDATE accounts SET alarm_phones = $2 WHERE id = $1", tenant.account_id, [ALARM_PHONE]
        )
        await platform.db.execute(
            "UPDATE apps SET usual_daily_volume = 5 WHERE sdk_app_id = $1", tenant.sdk_app_id
        )
        numbers = [f"+86138001380{i:02d}" for i in range(14)]
        await platform.send_sms(tenant, numbers, ["1234", "5"])  # 14 < 3 x 5: nothing yet
        await platform.send_sms(tenant, [f"+86139001390{i:02d}" for i in range(4)], ["1234", "5"])  # 18 >= 15
        await platform.send_sms(
            tenant, ["+8613700137000"], ["1234", "5"]
        )  # past the line already: no second alarm
        await platform.run_worker()
        alarms = await platform.db.fetch("SELECT kind, detail FROM alarms")
        assert [a["kind"] for a in alarms] == ["volume_spike"]
        assert "18 messages today" in alarms[0]["detail"]


async def test_the_usual_volume_is_the_mean_of_the_last_seven_full_days(
    database_url: str, redis_url: str
) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from core.infra.settings import Settings
    from core.services.platform import Platform as Services
    from core.store.intake import ensure_partitions
    from worker.deps import Deps
    from worker.jobs.upkeep import update_usual_volumes
    from worker.main import http_connector

    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        now = datetime.now(UTC)
        await ensure_partitions(platform.db, now - timedelta(days=9), days=12)
        local_midnight = now.astimezone(ZoneInfo("Asia/Shanghai")).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        # 70 messages spread over the last 7 full days, and some today and 8 days ago that must not count.
        stamps = [local_midnight - timedelta(days=i % 7, hours=1) for i in range(70)]
        stamps += [local_midnight + timedelta(minutes=5)] * 3 + [
            local_midnight - timedelta(days=8, hours=2)
        ] * 4
        await platform.db.executemany(
            "INSERT INTO messages (id, accepted_at, serial_no, batch_id, account_id, sdk_app_id, phone, iso_code,"
            " template_id, content, parts, price_minor, status) VALUES"
            " ($1::bigint, $2, 'x:' || $1::bigint, gen_random_uuid(), $3, $4, '+8613800138000', 'CN', 1, 'c', 1, 1, 'delivered')",
            [(900_000 + i, ts, tenant.account_id, tenant.sdk_app_id) for i, ts in enumerate(stamps)],
        )
        settings: Settings = platform.settings
        deps = Deps(Services(settings, platform.db, None), http_connector(settings))
        assert await update_usual_volumes({"deps": deps}) >= 1
        usual = await platform.db.fetchval(
            "SELECT usual_daily_volume FROM apps WHERE sdk_app_id = $1", tenant.sdk_app_id
        )
        assert usual == 10
        await deps.connector.close()
