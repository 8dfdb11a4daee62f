"""Callbacks in Alibaba Cloud SMS's HTTP batch push format end to end (issue 15; aliyun-dysmsapi spec section
7; rules B2, B3): an application set to format `alibaba` through the admin API, a message sent with the official
(Tencent) SDK, its report and a reply coming back through the carrier simulator, and the worker POSTing
SmsReport and SmsUp arrays, signed as every callback is, through the same callback queue to a real receiver
on 127.0.0.1. Then the format's own acknowledgement and its 1/5/10-minute retries, on the worker's clock."""

from __future__ import annotations

import json
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.serial import biz_id
from tests.flow.harness import SIGN, Platform, running_platform
from tests.flow.test_callbacks import (
    Clock,
    Request,
    assert_signed,
    deliver_everything,
    get_callbacks,
    pending,
    put_callbacks,
    receiver,
    reply_with,
    sweep,
)
from tests.keyring import opened
from worker.carriers.simulator import SimulatorConfig

P1 = "+8613800138000"
REJECTED = "+8615800158000"  # the carrier refuses it at submit: a failed report
ACK = '{"code":0,"msg":"接收成功"}'.encode()
REPORT_KEYS = {
    "phone_number",
    "send_time",
    "report_time",
    "success",
    "err_code",
    "err_msg",
    "sms_size",
    "biz_id",
    "out_id",
    "sign_name",
    "template_code",
    "message_id",
}


def array_in(request: Request) -> list[dict[str, Any]]:
    body = json.loads(request.body)
    assert isinstance(body, list)
    return body


async def message_row(platform: Platform, serial_no: str) -> dict[str, Any]:
    row = await platform.db.fetchrow("SELECT * FROM messages WHERE serial_no = $1", serial_no)
    assert row is not None
    return opened(row)


async def test_reports_and_replies_go_as_sms_report_and_sms_up_arrays(
    database_url: str, redis_url: str
) -> None:
    clock = Clock()
    async with receiver() as rx, running_platform(database_url, redis_url) as platform:
        rx.default = reply_with(200, ACK)
        tenant = await platform.add_tenant()
        urls = {"status_url": rx.url + "/status", "reply_url": rx.url + "/reply"}
        status, config = await put_callbacks(platform, tenant.sdk_app_id, {**urls, "format": "alibaba"})
        assert status == 200 and config["format"] == "alibaba", config
        assert (await get_callbacks(platform, tenant.sdk_app_id))[1]["format"] == "alibaba"

        sent = await platform.send_sms(tenant, [P1], ["1234", "5"], SessionContext="order-42")
        serial = sent.SendStatusSet[0].SerialNo
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await deliver_everything(platform, clock)

        assert [(r.path, r.answered) for r in rx.requests] == [("/status", 200)]
        for request in rx.requests:
            assert_signed(request, tenant.app_key, clock)  # the same signature as the platform's own format
        (report,) = array_in(rx.requests[0])
        message = await message_row(platform, serial)
        tz = ZoneInfo(platform.settings.timezone)
        assert set(report) == REPORT_KEYS
        assert report == {
            "phone_number": "13800138000",
            "send_time": f"{message['accepted_at'].astimezone(tz):%Y-%m-%d %H:%M:%S}",
            "report_time": f"{message['reported_at'].astimezone(tz):%Y-%m-%d %H:%M:%S}",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": str(message["parts"]),
            "biz_id": biz_id(message["request_no"]),
            "out_id": "order-42",
            "sign_name": SIGN,
            "template_code": f"SMS_{tenant.template_id}",
            "message_id": serial,
        }
        assert report["success"] is True and isinstance(report["sms_size"], str)

        answer = await platform.simulator(
            "/replies", {"replies": [{"phone": P1, "text": "好的 TD", "sign": SIGN, "extend": "01"}]}
        )
        assert answer == {"forwarded": 1}
        assert await sweep(platform, clock) == 1  # due at once
        await platform.run_worker(clock=clock)
        assert [(r.path, r.answered) for r in rx.requests] == [("/status", 200), ("/reply", 200)]
        assert_signed(rx.requests[1], tenant.app_key, clock)
        (up,) = array_in(rx.requests[1])
        reply = await platform.db.fetchrow("SELECT id, received_at FROM replies")
        assert up == {
            "phone_number": "13800138000",
            "send_time": f"{reply['received_at'].astimezone(tz):%Y-%m-%d %H:%M:%S}",
            "content": "好的 TD",
            "sign_name": SIGN,
            "dest_code": "01",
            "sequence_id": reply["id"],
        }
        assert type(up["sequence_id"]) is int
        assert "好的".encode() in rx.requests[1].body

        counted = await platform.db.fetchval("SELECT sum(callbacks_delivered) FROM stats_hourly")
        assert counted == 2 and await pending(platform) == 0


async def test_a_failing_receiver_is_retried_after_1_5_and_10_minutes_then_given_up(
    database_url: str, redis_url: str
) -> None:
    clock = Clock()
    failures = [
        reply_with(500, ACK),  # not HTTP 200
        reply_with(200, b'{"code":"0","msg":"ok"}'),  # code a string, not a number
        reply_with(200, b"<html>ok</html>"),  # no JSON
        reply_with(200, b'{"result":0}'),  # the platform's own acknowledgement is not Alibaba's
    ]
    simulator = SimulatorConfig(token="", rejected_numbers=frozenset({REJECTED}))
    async with (
        receiver(*failures) as rx,
        running_platform(database_url, redis_url, simulator=simulator) as platform,
    ):
        rx.default = reply_with(200, b'{"code":1,"msg":"any number"}')
        tenant = await platform.add_tenant()
        body = {"status_url": rx.url + "/status", "format": "alibaba"}
        assert (await put_callbacks(platform, tenant.sdk_app_id, body))[0] == 200
        await platform.send_sms(tenant, [P1], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await platform.run_worker(clock=clock)  # the first try, queued with the report
        assert len(rx.requests) == 1

        async def queued() -> Any:
            return await platform.db.fetchrow("SELECT state, attempts, next_at FROM callback_queue")

        for failures_so_far, wait_s in [(1, 60), (2, 300), (3, 600)]:
            row = await queued()
            assert (row["state"], row["attempts"]) == ("pending", failures_so_far)
            # The worker's clock is frozen at the failure (Postgres keeps microseconds).
            assert row["next_at"].timestamp() == pytest.approx(clock() + wait_s, abs=1e-3)
            clock.advance(wait_s - 1)
            assert await sweep(platform, clock) == 0  # not due a second early
            await platform.run_worker(clock=clock)
            assert len(rx.requests) == failures_so_far
            clock.advance(1)
            assert await sweep(platform, clock) == 1
            await platform.run_worker(clock=clock)
            assert len(rx.requests) == failures_so_far + 1

        # The third retry failed too: given up (kept, counted), and nothing is tried again.
        row = await queued()
        assert (row["state"], row["attempts"]) == ("given_up", 4)
        assert [r.answered for r in rx.requests] == [500, 200, 200, 200]
        assert len({r.body for r in rx.requests}) == 1  # the same SmsReport each time
        clock.advance(3600)
        assert await sweep(platform, clock) == 0
        given_up = await platform.db.fetchval("SELECT sum(callbacks_given_up) FROM stats_hourly")
        assert given_up == 1
        config = (await get_callbacks(platform, tenant.sdk_app_id))[1]
        assert (config["format"], config["pending"], config["given_up"]) == ("alibaba", 0, 1)

        # What comes after still goes: a failed report, acknowledged with any numeric code.
        sent = await platform.send_sms(tenant, [REJECTED], ["1234", "5"], SessionContext="x")
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await deliver_everything(platform, clock)
        assert len(rx.requests) == 5 and rx.requests[-1].answered == 200
        (report,) = array_in(rx.requests[-1])
        message = await message_row(platform, sent.SendStatusSet[0].SerialNo)
        assert report["success"] is False and message["error"]
        assert (report["err_code"], report["out_id"]) == (message["error"], "x")
        assert report["phone_number"] == "15800158000"
        assert await pending(platform) == 0
        assert await platform.db.fetchval("SELECT sum(callbacks_delivered) FROM stats_hourly") == 1


async def test_the_admin_api_sets_and_shows_the_format(database_url: str, redis_url: str) -> None:
    clock = Clock()
    clock.now = time.time()  # the worker's clock with the API's (which reschedules), frozen
    async with receiver(reply_with(503, b"")) as rx, running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        app = tenant.sdk_app_id
        assert (await get_callbacks(platform, app))[1]["format"] == "tencent"  # the default
        status, config = await put_callbacks(platform, app, {"format": "alibaba"})  # the format alone
        assert status == 200 and (config["format"], config["status_url"], config["reply_url"]) == (
            "alibaba",
            "",
            "",
        )
        status, config = await put_callbacks(platform, app, {"status_url": rx.url + "/status"})
        assert status == 200 and config["format"] == "alibaba"  # left out: stays as it is

        refused: list[dict[str, Any]] = [
            {"format": "aliyun"},
            {"format": ""},
            {"format": "Alibaba"},
            {"format": 1},
            {"format": None},
        ]
        for body in refused:
            status, answer = await put_callbacks(platform, app, body)
            assert status == 400 and answer["error"]["code"] == "InvalidParameterValue", (body, answer)
            assert "tencent, alibaba" in answer["error"]["message"]
        status, answer = await put_callbacks(platform, app, {"format": "tencent", "reply_url": "ftp://x/y"})
        assert status == 400 and answer["error"]["code"] == "InvalidParameterValue"
        assert (await get_callbacks(platform, app))[1]["format"] == "alibaba"  # nothing changed
        assert (await put_callbacks(platform, "1400999999", {"format": "alibaba"}))[0] == 404

        # A report waiting for its retry goes at once, in the new format, when the format changes.
        await platform.send_sms(tenant, [P1], ["1234", "5"])
        await platform.run_worker(clock=clock)
        await platform.simulator("/flush", {})
        await platform.run_worker(clock=clock)
        assert [r.answered for r in rx.requests] == [503]
        clock.advance(5)  # past the API's clock when it changes the format, long before the 60 s retry
        assert await sweep(platform, clock) == 0
        status, config = await put_callbacks(platform, app, {"format": "tencent"})
        assert status == 200 and (config["format"], config["pending"]) == ("tencent", 1)
        assert await sweep(platform, clock) == 1
        await platform.run_worker(clock=clock)
        assert [r.answered for r in rx.requests] == [503, 200]
        assert set(array_in(rx.requests[1])[0]) >= {"sid", "report_status"}  # the platform's own format
        assert await pending(platform) == 0
