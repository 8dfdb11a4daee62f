"""UCloud's GetUSMSSendStatistics through the unmodified `ucloud-sdk-python3` client (issue 16): the hourly
rollups per day and country after sends delivered, failed at the carrier and refused at submission, in the
SDK's exact types; Domestic, BrevityCode, paging from 0 and ordering; the date span's limit on both sides; and
the filters the rollups cannot honour (Purpose, per template) refused with 18003, never ignored."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ucloud.core.exc import RetCodeException

from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.test_ucloud_send import call, usms
from worker.carriers.simulator import SimulatorConfig

DELIVERED = ["13800138000", "13900139000"]
REJECTED = "15800158000"  # the carrier refuses it: a FAIL report
BLOCKED = "13700137000"  # unsubscribed: refused at submission, never billed
ABROAD = ["(852)61234567", "(65)81234567"]
REJECTING = SimulatorConfig(token="", rejected_numbers=frozenset({"+86" + REJECTED}))


def today(platform: Platform) -> date:
    return datetime.now(ZoneInfo(platform.settings.timezone)).date()


def query(day: date, **fields: Any) -> dict[str, Any]:
    span = {"StartDate": f"{day - timedelta(days=1)}", "EndDate": f"{day + timedelta(days=1)}"}
    return (
        {"Domestic": 1, "Page": 0, "NumPerPage": 10, "OrderBy": "SendDate", "OrderType": "asc"}
        | span
        | fields
    )


async def send(platform: Platform, tenant: Tenant) -> None:
    await platform.db.execute(
        "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
        " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
        tenant.account_id,
        "+86" + BLOCKED,
    )
    client = usms(platform, tenant)
    domestic = {
        "PhoneNumbers": [*DELIVERED, REJECTED, BLOCKED, "12345"],
        "TemplateId": f"UTA{tenant.template_id}",
        "TemplateParams": ["1234", "5"],
        "SigContent": SIGN,
    }
    await call(client, "send_usms_message", domestic)
    abroad = {
        "PhoneNumbers": ABROAD,
        "TemplateId": f"UTA{tenant.intl_template_id}",
        "TemplateParams": ["1", "5"],
    }
    await call(client, "send_usms_message", abroad)


async def test_statistics_from_the_rollups(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, simulator=REJECTING) as platform:
        tenant = await platform.add_tenant()
        await send(platform, tenant)
        client = usms(platform, tenant)
        day = today(platform)

        # Before any report: the accepted numbers are of unknown outcome.
        before = await call(client, "get_usms_send_statistics", query(day))
        (row,) = before["Data"]
        counts = (row["Count"], row["SubmitFailedCount"], row["UnknownCount"], row["SuccessCount"])
        assert counts == (4, 1, 3, 0)

        await platform.run_worker()
        await platform.simulator("/flush", {})
        # A different query: the same signed request within the replay window gets the first answer (UCloud's
        # signature has no time or nonce, so the door answers a resend once, even for a read).
        stats = await call(client, "get_usms_send_statistics", query(day, NumPerPage=20))
        # The unplaceable "12345" is on neither side of Domestic; the blocked number is a submit failure.
        assert stats["Total"] == 1
        (row,) = stats["Data"]
        assert row == {
            "BrevityCode": "CN",
            "SendDate": f"{day}",
            "Count": 4,
            "CostCount": 3,
            "SuccessCount": 2,
            "SuccessCostCount": 2,
            "FailedCount": 1,
            "FailedCostCount": 1,
            "SubmitFailedCount": 1,
            "SubmitFailedCostCount": 0,
            "UnknownCount": 0,
            "UnknownCostCount": 0,
            "SuccessRate": 0.5,
            "UserId": "",
        }
        assert all(isinstance(v, int) for k, v in row.items() if k.endswith("Count"))
        assert isinstance(row["SuccessRate"], float)
        assert isinstance(stats["Total"], int)
        assert stats["StatisticsData"] == {
            "SendCount": 4,
            "SendCostCount": 3,
            "SuccessCount": 2,
            "SuccessCostCount": 2,
            "FailCount": 1,
            "FailCostCount": 1,
            "SubmitFailCount": 1,
            "SubmitFailCostCount": 0,
            "UnknownCount": 0,
            "UnknownCostCount": 0,
        }

        # International: one row per country, paged from 0 and ordered either way.
        abroad = query(day, Domestic=0, NumPerPage=1, OrderBy="BrevityCode")
        pages = [await call(client, "get_usms_send_statistics", abroad | {"Page": p}) for p in (0, 1, 2)]
        assert [p["Total"] for p in pages] == [2, 2, 2]
        assert [[r["BrevityCode"] for r in p["Data"]] for p in pages] == [["HK"], ["SG"], []]
        # The totals are the whole query's, not the page's.
        assert pages[2]["StatisticsData"]["SendCount"] == 2
        desc = await call(client, "get_usms_send_statistics", abroad | {"OrderType": "desc", "NumPerPage": 5})
        assert [r["BrevityCode"] for r in desc["Data"]] == ["SG", "HK"]
        only = await call(client, "get_usms_send_statistics", query(day, Domestic=0, BrevityCode="hk-ID"))
        assert [(r["BrevityCode"], r["Count"], r["SuccessCount"]) for r in only["Data"]] == [("HK", 1, 1)]
        none = await call(client, "get_usms_send_statistics", query(day, BrevityCode="HK"))
        assert (none["Total"], none["Data"]) == (0, [])

        # Days before the sends hold nothing; another account sees nothing of these.
        earlier = query(day, StartDate=f"{day - timedelta(days=40)}", EndDate=f"{day - timedelta(days=10)}")
        assert (await call(client, "get_usms_send_statistics", earlier))["Total"] == 0
        other = await platform.add_tenant(name="Other")
        assert (await call(usms(platform, other), "get_usms_send_statistics", query(day)))["Total"] == 0


async def test_refused_queries(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant)
        day = today(platform)
        # 31 days, both ends included, is the longest span.
        longest = query(day, StartDate=f"{day - timedelta(days=30)}", EndDate=f"{day}")
        assert (await call(client, "get_usms_send_statistics", longest))["Total"] == 0
        cases = [
            (query(day, StartDate=f"{day - timedelta(days=31)}", EndDate=f"{day}"), 18003),
            (query(day, StartDate=f"{day}", EndDate=f"{day - timedelta(days=1)}"), 18003),
            (query(day, StartDate=f"{day:%Y%m%d}"), 18002),
            (query(day, EndDate="2026-02-30"), 18002),
            (query(day, OrderBy="Count"), 18003),
            (query(day, OrderType="ASC"), 18003),
            (query(day, Domestic=2), 18003),
            (query(day, NumPerPage=0), 18003),
            (query(day, NumPerPage=101), 18003),
            (query(day, Page=-1), 18003),
            (query(day, BrevityCode="C1"), 18003),
            # The rollups have no template purpose: the filter is refused, not ignored.
            (query(day, Purpose=1), 18003),
        ]
        for request, code in cases:
            with pytest.raises(RetCodeException) as raised:
                await call(client, "get_usms_send_statistics", request)
            assert raised.value.code == code, request
        assert (await call(client, "get_usms_send_statistics", query(day, NumPerPage=100)))["Total"] == 0

        # Per template: the rollups have no template dimension. A malformed query is told what is wrong first.
        with pytest.raises(RetCodeException) as raised:
            await call(client, "get_usms_template_send_statistics", query(day, TemplateId="UTA1"))
        assert raised.value.code == 18003 and "not offered" in raised.value.message
        with pytest.raises(RetCodeException) as raised:
            await call(client, "get_usms_template_send_statistics", query(day, OrderType="up"))
        assert raised.value.code == 18003 and "OrderType" in raised.value.message
