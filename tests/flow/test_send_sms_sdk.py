"""The backbone, end to end: the unmodified official SDK sends, the API accepts and records, a worker sends
through the simulator over HTTP, the simulator reports back, and Postgres holds the final status."""

from __future__ import annotations

from datetime import UTC

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from core.domain.serial import SerialRef, parse_serial
from tests.flow.harness import running_platform
from worker.carriers.simulator import SimulatorConfig

MAINLAND_OK = "+8613800138000"
MAINLAND_BARE = "13900139000"  # D1: 11 bare digits are a mainland number
MAINLAND_0086 = "008615800158000"  # D1: 0086 prefix
UNDELIVERABLE = "+8618600186000"


async def test_sdk_send_is_recorded_sent_and_delivered(database_url: str, redis_url: str) -> None:
    """D1, D2, D5, D6: valid, invalid and duplicate numbers; every accepted one ends delivered or failed."""
    sim = SimulatorConfig(token="", undeliverable_numbers=frozenset({UNDELIVERABLE}))
    async with running_platform(database_url, redis_url, simulator=sim) as platform:
        tenant = await platform.add_tenant()
        phones = [MAINLAND_OK, MAINLAND_BARE, "+86 138 0013 8000", MAINLAND_0086, MAINLAND_OK, UNDELIVERABLE]
        resp = await platform.send_sms(tenant, phones, ["123456", "5"], SessionContext="order-42")

        results = [(s.PhoneNumber, s.Code) for s in resp.SendStatusSet]
        assert results == [
            (MAINLAND_OK, "Ok"),
            ("+8613900139000", "Ok"),
            ("+86 138 0013 8000", "InvalidParameterValue.IncorrectPhoneNumber"),
            ("+8615800158000", "Ok"),
            (UNDELIVERABLE, "Ok"),
        ]
        accepted = [s for s in resp.SendStatusSet if s.Code == "Ok"]
        # 【TestCorp】Your code is 123456, valid for 5 minutes. -> 49 characters, one part (D6)
        assert {s.Fee for s in accepted} == {1}
        assert {s.IsoCode for s in accepted} == {"CN"}
        assert {s.SessionContext for s in resp.SendStatusSet} == {"order-42"}
        assert len({s.SerialNo for s in accepted}) == 4
        invalid = resp.SendStatusSet[2]
        assert (invalid.SerialNo, invalid.Fee, invalid.IsoCode) == ("", 0, "")

        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"queued"}

        await platform.run_worker()
        await platform.simulator("/flush", {})

        rows = await platform.statuses(tenant)
        assert set(rows) == {MAINLAND_OK, "+8613900139000", "+8615800158000", UNDELIVERABLE}
        for s in accepted:
            row = rows[s.PhoneNumber]
            assert row["serial_no"] == s.SerialNo
            # The serial names the row's partition day and primary key (reports are applied by it).
            assert parse_serial(s.SerialNo) == SerialRef(row["accepted_at"].astimezone(UTC).date(), row["id"])
            assert row["parts"] == 1 and row["iso_code"] == "CN"
            assert row["content"] == "【TestCorp】Your code is 123456, valid for 5 minutes."
            assert row["carrier_id"]
        assert {p: r["status"] for p, r in rows.items()} == {
            MAINLAND_OK: "delivered",
            "+8613900139000": "delivered",
            "+8615800158000": "delivered",
            UNDELIVERABLE: "failed",
        }
        assert rows[UNDELIVERABLE]["error"] == "UNDELIV"
        stats = await platform.simulator("/stats")
        assert stats["unique_messages"] == 4 and stats["duplicates"] == 0


async def test_international_send_gets_country_and_price(database_url: str, redis_url: str) -> None:
    """S6: international SMS may omit the signature; IsoCode and the country's price come from the number."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.db.execute("INSERT INTO prices (iso_code, price_minor) VALUES ('US', 30)")
        resp = await platform.send_sms(
            tenant,
            ["+14155550123", "+447400123456"],
            ["1", "2"],
            TemplateId=str(tenant.intl_template_id),
            SignName="",
        )
        assert [(s.Code, s.IsoCode) for s in resp.SendStatusSet] == [("Ok", "US"), ("Ok", "GB")]
        await platform.run_worker()
        await platform.simulator("/flush", {})
        rows = await platform.statuses(tenant)
        assert rows["+14155550123"]["price_minor"] == 30
        assert rows["+447400123456"]["price_minor"] == 500  # the DEF price
        assert rows["+14155550123"]["content"] == "Your code is 1, valid for 2 minutes."
        assert {r["status"] for r in rows.values()} == {"delivered"}


async def test_wrong_secret_key_is_refused_by_the_sdk(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = platform.sdk(tenant, secret_key="x" * 32)
        from tencentcloud.sms.v20210111 import models

        req = models.SendSmsRequest()
        req.PhoneNumberSet, req.SmsSdkAppId, req.TemplateId = [MAINLAND_OK], tenant.sdk_app_id, "1"
        import asyncio

        with pytest.raises(TencentCloudSDKException) as err:
            await asyncio.to_thread(client.SendSms, req)
        assert err.value.code == "AuthFailure.SignatureFailure"
        assert err.value.requestId
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0


async def test_only_invalid_numbers_with_an_unknown_template_answers_per_number(
    database_url: str, redis_url: str
) -> None:
    """D1: with no valid number the template is never looked at; each number gets its own code (this once
    crashed into InternalError when the template was unknown), and the request is still counted."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, ["12", "abc"], ["1234", "5"], TemplateId="999999")
        assert [s.Code for s in resp.SendStatusSet] == ["InvalidParameterValue.IncorrectPhoneNumber"] * 2
        requests = await platform.db.fetchval(
            "SELECT sum(requests) FROM stats_hourly WHERE sdk_app_id = $1", tenant.sdk_app_id
        )
        assert requests == 2
