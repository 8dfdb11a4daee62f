"""Anti-bombing (L4): when an application's per-number limit refusals cross the threshold, the platform raises
ONE alarm for the window: an SMS to the account's alarm recipients through its own send path, and a POST to
the account's alarm webhook."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.flow.harness import running_platform
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
        sms = await platform.db.fetchrow(
            "SELECT m.* FROM messages m JOIN accounts a ON a.id = m.account_id WHERE a.system AND m.phone = $1",
            ALARM_PHONE,
        )
        assert sms is not None and sms["serial_no"] in alarm["serials"]
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
