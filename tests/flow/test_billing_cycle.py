"""A whole billing cycle on a controlled clock (P1, P2): sends on day 1, the deduction the next morning at
02:00, a balance below zero, the overdue SMS through the platform's own send path, suspension 12 hours later
(sends refused with the arrears code), a recharge, sends accepted again; and the ledger reconciles."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from core.services.billing import run_arrears_watch, run_daily_deduction
from core.store.billing import unreconciled
from tests.flow.harness import Platform, running_platform
from tests.keyring import opened

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTACT = "+8613700137000"
PHONES = ["+8613800138000", "+8613900139000", "+8615800158000"]
ADMIN = {"Authorization": "Bearer dev-admin-token"}
CN_PRICE = 45  # thousandths of a yuan per part: the default mainland price


class Clock:
    """The platform's clock (API and worker), moved only by the test. The SDK signs with the real time, so
    the platform accepts any signature age here (signature_max_skew_s)."""

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def at(self, when: datetime) -> None:
        self.now = when.timestamp()


def day_one() -> datetime:
    """Tomorrow, 10:00 in Shanghai: a day of its own, whatever the real time is."""
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=SHANGHAI)


async def account(platform: Platform, account_id: int) -> Any:
    return await platform.db.fetchrow(
        "SELECT balance_minor, status, arrears_since, suspended_at FROM accounts WHERE id = $1", account_id
    )


async def deduct(platform: Platform) -> Any:
    async with platform.services() as services:
        return await run_daily_deduction(services)


async def watch(platform: Platform) -> list[int]:
    async with platform.services() as services:
        return await run_arrears_watch(services)


async def test_sends_deduction_arrears_notice_suspension_recharge_and_back(
    database_url: str, redis_url: str
) -> None:
    start = day_one()
    clock = Clock(start)
    async with running_platform(database_url, redis_url, clock=clock, signature_max_skew_s=10**7) as platform:
        tenant = await platform.add_tenant(balance_minor=100, contact_phone=CONTACT)  # 0.100 yuan
        resp = await platform.send_sms(tenant, PHONES, ["1234", "5"])
        assert [s.Fee for s in resp.SendStatusSet] == [1, 1, 1]
        await platform.run_worker()

        # P2: nothing is charged on the day itself, nor the next morning before 02:00.
        clock.at(start + timedelta(hours=15, minutes=59))  # day 2, 01:59
        assert (await deduct(platform)).days == []
        assert (await account(platform, tenant.account_id))["balance_minor"] == 100

        clock.at(start + timedelta(hours=16))  # day 2, 02:00: day 1's usage is charged
        run = await deduct(platform)
        assert [(d.day, d.amount_minor) for d in run.days if d.accounts] == [(start.date(), 3 * CN_PRICE)]
        after = await account(platform, tenant.account_id)
        assert (after["balance_minor"], after["status"]) == (100 - 3 * CN_PRICE, "arrears")
        assert run.notices == 1
        # Charged once, however often the job runs.
        assert (await deduct(platform)).days == []
        charges = await platform.db.fetch(
            "SELECT day, amount_minor FROM ledger WHERE account_id = $1 AND kind = 'daily_charge'",
            tenant.account_id,
        )
        assert [(r["day"], r["amount_minor"]) for r in charges] == [(start.date(), -3 * CN_PRICE)]

        # The overdue notice: one SMS to the contact number, from the platform's own tenant, delivered.
        notice = await platform.db.fetchrow(
            "SELECT serial_no, detail FROM arrears_notices WHERE account_id = $1", tenant.account_id
        )
        assert notice["detail"] == "sent" and notice["serial_no"]
        sent = opened(
            await platform.db.fetchrow(
                "SELECT phone, content, account_id FROM messages WHERE serial_no = $1", notice["serial_no"]
            )
        )
        assert (
            sent["phone"] == CONTACT
            and "arrears" in sent["content"]
            and str(tenant.account_id) in sent["content"]
        )
        assert sent["account_id"] != tenant.account_id
        await platform.run_worker()
        at_carrier = {m["ref"]: m for m in await platform.simulator("/messages")}
        assert at_carrier[notice["serial_no"]]["phone_last4"] == CONTACT[-4:]
        assert await watch(platform) == []  # no second notice for the same episode, no suspension yet
        assert await platform.db.fetchval("SELECT count(*) FROM arrears_notices") == 1

        # In arrears but not yet suspended: sends still go.
        clock.at(start + timedelta(hours=16 + 11, minutes=59))
        assert (await platform.send_sms(tenant, PHONES[:1], ["2345", "5"])).SendStatusSet[0].Code == "Ok"
        assert await watch(platform) == []

        clock.at(start + timedelta(hours=16 + 12))  # 12 hours after the arrears began
        assert await watch(platform) == [tenant.account_id]
        assert (await account(platform, tenant.account_id))["status"] == "suspended"
        with pytest.raises(TencentCloudSDKException) as refused:
            await platform.send_sms(tenant, PHONES[1:2], ["3456", "5"])
        assert refused.value.code == "UnauthorizedOperation.ServiceSuspendDueToArrears"

        # A recharge that brings the balance back to zero or above resumes service at once.
        async with platform.http.post(
            f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/recharge",
            json={"amount": "1.000", "note": "bank transfer"},
            headers=ADMIN,
        ) as reply:
            assert reply.status == 200
            body = await reply.json()
        assert (body["balance_minor"], body["status"], body["balance"]) == (965, "active", "0.965")
        assert (await platform.send_sms(tenant, PHONES[1:2], ["3456", "5"])).SendStatusSet[0].Code == "Ok"

        # Day 2's usage (two messages) is charged on day 3; the ledger reconciles to the minor unit.
        clock.at(start + timedelta(days=2, hours=-8))  # day 3, 02:00
        run = await deduct(platform)
        assert [(d.day, d.amount_minor) for d in run.days if d.accounts] == [
            ((start + timedelta(days=1)).date(), 2 * CN_PRICE)
        ]
        assert (await account(platform, tenant.account_id))["balance_minor"] == 965 - 2 * CN_PRICE
        assert await unreconciled(platform.db) == []

        async with platform.http.get(
            f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/statement?month={start:%Y-%m}",
            headers=ADMIN,
        ) as reply:
            statement = await reply.json()
        if (start + timedelta(days=1)).month == start.month:  # the cycle stayed inside one month
            assert [e["kind"] for e in statement["ledger"]] == [
                "opening",
                "daily_charge",
                "recharge",
                "daily_charge",
            ]
            assert statement["closing_balance_minor"] == 965 - 2 * CN_PRICE
            assert [u["amount_minor"] for u in statement["usage"]] == [3 * CN_PRICE, 2 * CN_PRICE]


async def test_days_missed_while_no_worker_ran_are_charged_oldest_first(
    database_url: str, redis_url: str
) -> None:
    start = day_one()
    clock = Clock(start)
    async with running_platform(database_url, redis_url, clock=clock, signature_max_skew_s=10**7) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        clock.at(start + timedelta(days=1))
        await platform.send_sms(tenant, PHONES[:2], ["1234", "5"])
        clock.at(start + timedelta(days=3, hours=-5))  # day 4, 05:00: days 1 to 3 are due
        run = await deduct(platform)
        charged = [(d.day, d.amount_minor) for d in run.days if d.accounts]
        assert charged == [(start.date(), CN_PRICE), ((start + timedelta(days=1)).date(), 2 * CN_PRICE)]
        days = [
            r["day"]
            for r in await platform.db.fetch("SELECT day FROM ledger WHERE kind = 'daily_charge' ORDER BY id")
        ]
        assert days == sorted(days)
        assert (await account(platform, tenant.account_id))["balance_minor"] == 100_000 - 3 * CN_PRICE


async def test_bad_recharges_are_refused_and_change_nothing(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        url = f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/recharge"
        for body in ({"amount": "-5"}, {"amount": "abc"}, {"amount": 0}, {"amount": "1.0001"}, {"amount": 1.5},
                     {"amount": "10", "currency": "USD"}, {}):  # fmt: skip
            async with platform.http.post(url, json=body, headers=ADMIN) as reply:
                assert reply.status == 400, body
                assert (await reply.json())["error"]["code"] == "InvalidParameterValue"
        async with platform.http.post(
            f"{platform.api_url}/admin/v1/accounts/999999/recharge", json={"amount": "1"}, headers=ADMIN
        ) as reply:
            assert reply.status == 404
        assert (await account(platform, tenant.account_id))["balance_minor"] == 100_000
        assert await unreconciled(platform.db) == []


async def test_a_price_file_with_bad_rows_changes_nothing(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        url = f"{platform.api_url}/admin/v1/prices"
        headers = {**ADMIN, "Content-Type": "text/csv"}
        async with platform.http.put(
            url, data="country,price\nCN,0.050\nUS,abc\nXYZ,1\n", headers=headers
        ) as reply:
            assert reply.status == 400
            problems = (await reply.json())["error"]["problems"]
        assert [p.split(":")[0] for p in problems] == ["line 3", "line 4"]
        async with platform.http.get(url, headers=ADMIN) as reply:
            before = {p["country"]: p["price_minor"] for p in (await reply.json())["prices"]}
        assert before["CN"] == CN_PRICE

        async with platform.http.put(
            url, data="country,price\nCN,0.050\nUS,0.300\n", headers=headers
        ) as reply:
            assert (reply.status, await reply.json()) == (200, {"updated": 2})
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        price = await platform.db.fetchval(
            "SELECT price_minor FROM messages WHERE account_id = $1", tenant.account_id
        )
        assert price == 50  # the price in force at acceptance is stored with the message


def test_the_clock_helper_moves_in_whole_hours() -> None:
    clock = Clock(day_one())
    clock.at(day_one() + timedelta(hours=16))
    assert datetime.fromtimestamp(clock(), SHANGHAI).hour == 2
    assert abs(clock() - time.time()) < 2 * 86400


async def test_monthly_settled_international_usage_is_charged_on_the_first(
    database_url: str, redis_url: str
) -> None:
    """P3: an account that settles international usage monthly pays its mainland usage the next morning and
    its international usage on the 1st of the next month, once."""
    start = day_one()
    clock = Clock(start)
    async with running_platform(database_url, redis_url, clock=clock, signature_max_skew_s=10**8) as platform:
        tenant = await platform.add_tenant()
        async with platform.http.put(
            f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/settlement",
            json={"international": "monthly"},
            headers=ADMIN,
        ) as reply:
            assert reply.status == 200
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        intl = await platform.send_sms(
            tenant, ["+14155550123"], ["1234", "5"], TemplateId=str(tenant.intl_template_id), SignName=""
        )
        intl_fee = intl.SendStatusSet[0].Fee * 500  # the DEF price per part

        clock.at(start + timedelta(hours=16))  # day 2, 02:00: only the mainland message is charged
        run = await deduct(platform)
        assert [d.amount_minor for d in run.days if d.accounts] == [CN_PRICE] and run.months == []

        first = (start.date().replace(day=1) + timedelta(days=32)).replace(day=1)  # the 1st of next month
        clock.at(datetime(first.year, first.month, 1, 1, 59, tzinfo=SHANGHAI))
        assert (await deduct(platform)).months == []  # not before the billing time
        clock.at(datetime(first.year, first.month, 1, 2, 0, tzinfo=SHANGHAI))
        run = await deduct(platform)
        assert [(m.day, m.accounts, m.amount_minor) for m in run.months] == [
            (start.date().replace(day=1), 1, intl_fee)
        ]
        assert (await deduct(platform)).months == []
        kinds = await platform.db.fetch(
            "SELECT kind, amount_minor FROM ledger WHERE account_id = $1 AND kind <> 'opening' ORDER BY id",
            tenant.account_id,
        )
        assert [(r["kind"], r["amount_minor"]) for r in kinds] == [
            ("daily_charge", -CN_PRICE),
            ("monthly_charge", -intl_fee),
        ]
        assert (await account(platform, tenant.account_id))["balance_minor"] == 100_000 - CN_PRICE - intl_fee
        assert await unreconciled(platform.db) == []


async def test_usage_draws_from_packages_first_oldest_expiring_first(
    database_url: str, redis_url: str
) -> None:
    """SMS packages: the day's mainland parts come from the packages valid that day, the one expiring first
    first, then from the balance; SmsPackagesStatistics reports them through the SDK."""
    from tencentcloud.sms.v20210111 import models

    start = day_one()
    clock = Clock(start)
    async with running_platform(database_url, redis_url, clock=clock, signature_max_skew_s=10**7) as platform:
        tenant = await platform.add_tenant()
        url = f"{platform.api_url}/admin/v1/accounts/{tenant.account_id}/packages"
        later = {
            "parts": 5,
            "valid_from": f"{start:%Y-%m-%d}",
            "valid_until": f"{start + timedelta(days=30):%Y-%m-%d}",
        }
        sooner = {
            "parts": 2,
            "valid_from": f"{start:%Y-%m-%d}",
            "valid_until": f"{start + timedelta(days=3):%Y-%m-%d}",
            "price": "0.080",
        }
        for body in (later, sooner):
            async with platform.http.post(url, json=body, headers=ADMIN) as reply:
                assert reply.status == 200, await reply.text()
        for bad in (
            {**later, "parts": 0},
            {**later, "valid_until": later["valid_from"]},
            {**later, "valid_from": "soon"},
        ):
            async with platform.http.post(url, json=bad, headers=ADMIN) as reply:
                assert reply.status == 400
        assert (await account(platform, tenant.account_id))["balance_minor"] == 100_000 - 80  # the sold one

        await platform.send_sms(tenant, PHONES, ["1234", "5"])  # 3 mainland parts
        clock.at(start + timedelta(hours=16))
        run = await deduct(platform)
        assert [d.accounts for d in run.days] == [0]  # all 3 parts came from packages: nothing to charge
        assert (await account(platform, tenant.account_id))["balance_minor"] == 100_000 - 80

        clock.at(start + timedelta(hours=20))
        await platform.send_sms(
            tenant,
            ["+8613600136000", "+8613500135000", "+8613400134000", "+8613300133000", "+8613200132000"],
            ["1234", "5"],
        )
        clock.at(start + timedelta(days=1, hours=16))
        run = await deduct(platform)
        assert [d.amount_minor for d in run.days if d.accounts] == [
            CN_PRICE
        ]  # 4 of 5 parts from the packages
        assert await unreconciled(platform.db) == []

        request = models.SmsPackagesStatisticsRequest()
        request.SmsSdkAppId = tenant.sdk_app_id
        request.Limit, request.Offset = 10, 0
        request.BeginTime = f"{start - timedelta(days=1):%Y%m%d%H}"
        request.EndTime = f"{start + timedelta(days=2):%Y%m%d%H}"
        import asyncio

        answer = await asyncio.to_thread(platform.sdk(tenant).SmsPackagesStatistics, request)
        got = sorted(
            (p.PackageAmount, p.CurrentUsage, p.PackageType) for p in answer.SmsPackagesStatisticsSet
        )
        assert got == [(2, 2, 1), (5, 5, 0)]  # the one expiring first was used first


async def test_a_clock_jump_back_charges_nothing_twice_and_a_jump_forward_catches_up(
    database_url: str, redis_url: str
) -> None:
    start = day_one()
    clock = Clock(start)
    async with running_platform(database_url, redis_url, clock=clock, signature_max_skew_s=10**7) as platform:
        tenant = await platform.add_tenant()
        await platform.send_sms(tenant, PHONES[:1], ["1234", "5"])
        clock.at(start + timedelta(hours=16))
        assert [d.amount_minor for d in (await deduct(platform)).days] == [CN_PRICE]
        clock.at(start - timedelta(days=2))  # the clock jumps back two days: a send lands on that day
        await platform.send_sms(tenant, PHONES[1:2], ["1234", "5"])
        clock.at(start + timedelta(hours=17))
        run = await deduct(platform)  # that day's usage is charged once; day 1 is not charged again
        assert [(d.day, d.amount_minor) for d in run.days if d.accounts] == [
            ((start - timedelta(days=2)).date(), CN_PRICE)
        ]
        assert start.date() not in [d.day for d in run.days]
        clock.at(start + timedelta(days=5))  # a jump forward: days 2 to 5 are due, charged once each
        run = await deduct(platform)
        assert [d.day for d in run.days] == sorted(d.day for d in run.days)
        charges = await platform.db.fetch(
            "SELECT day, count(*) AS n FROM ledger WHERE kind = 'daily_charge' GROUP BY day"
        )
        assert all(r["n"] == 1 for r in charges)
        assert await unreconciled(platform.db) == []
