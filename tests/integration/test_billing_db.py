"""Billing in Postgres (P1-P3): usage written by the intake statement and refunded by the failure statements,
the daily deduction (once per account and day, whatever runs twice, concurrently or dies midway), arrears,
suspension and resumption, overdue-notice claims, and statements. Every scenario ends with the ledger
reconciling with the balances."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from core.domain.billing import month
from core.domain.phone import Phone
from core.domain.sending import RequestCounts
from core.store import billing
from core.store.admin import create_account, create_app
from core.store.intake import Batch, insert_batch
from core.store.messages import claim_batch, fail_messages, record_submit_results
from tests.keyring import KEYRING

SHANGHAI = ZoneInfo("Asia/Shanghai")
GRACE_S = 12 * 3600
DAY0 = date(2026, 3, 2)
PRICES = {"CN": 45, "US": 70, "GB": 120, "DEF": 500}  # thousandths per part (money_exponent 3)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A platform-time instant, as the UTC datetime the code stores."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def morning_after(day: date) -> datetime:
    """When the daily deduction charges `day`: 02:00 the next day, platform time (P2)."""
    return local(day + timedelta(days=1), 2)


_numbers = iter(range(10**6))


def phone(iso: str) -> Phone:
    n = next(_numbers)
    if iso == "CN":
        return Phone(f"+86138{n:08d}", "86", f"138{n:08d}", "CN")
    if iso == "US":
        return Phone(f"+1202555{n:04d}", "1", f"202555{n:04d}", "US")
    if iso == "GB":
        return Phone(f"+447700{n:06d}", "44", f"7700{n:06d}", "GB")
    return Phone(f"+33612{n:06d}", "33", f"612{n:06d}", iso)


@dataclass(frozen=True)
class Tenant:
    account_id: int
    sdk_app_id: str


async def tenant(db: asyncpg.Pool, *, balance: int = 0, name: str = "Acme") -> Tenant:
    acct = await create_account(
        db, KEYRING, name=name, kind="organization", balance_minor=balance, contact_phone="+8613800138000"
    )
    app = await create_app(db, KEYRING, account_id=acct.account_id, name="shop")
    return Tenant(acct.account_id, app.sdk_app_id)


async def set_prices(db: asyncpg.Pool) -> None:
    await billing.replace_prices(db, list(PRICES.items()), now=local(DAY0, 0))


async def send(
    db: asyncpg.Pool, who: Tenant, phones: Sequence[Phone], *, parts: int, day: date, hh: int = 12
) -> Batch:
    """Record an accepted request the way core.services.sending.accept_send does: one insert_batch, usage on `day`."""
    by_iso: dict[str, int] = defaultdict(int)
    for p in phones:
        by_iso[p.iso] += 1
    isos = tuple(sorted(by_iso))
    counts = RequestCounts(
        iso_codes=isos,
        requests=tuple(by_iso[i] for i in isos),
        accepted=tuple(by_iso[i] for i in isos),
        fee_parts=tuple(by_iso[i] * parts for i in isos),
    )
    return await insert_batch(
        db,
        KEYRING,
        account_id=who.account_id,
        sdk_app_id=who.sdk_app_id,
        sign_name="Acme",
        template_id=1000,
        content="Your code is 1234",
        parts=parts,
        session_contexts=[""] * len(phones),
        phones=phones,
        now=local(day, hh),
        stale_after_s=60,
        counts=counts,
        usage_day=day,
    )


async def refund(db: asyncpg.Pool, batch: Batch, phones: Sequence[str] | None, *, day: date) -> list[int]:
    """The worker gives up on (some of) a batch's messages: claimed, then failed with usage_day `day`."""
    claimed = await claim_batch(
        db, KEYRING, batch.batch_id, batch.accepted_at, now=local(day, 13), worker_id=None
    )
    ids = [m.id for m in claimed if phones is None or m.phone in phones]
    await fail_messages(
        db,
        batch.batch_id,
        batch.accepted_at,
        ids,
        reason="carrier refused the batch",
        now=local(day, 13),
        usage_day=day,
    )
    return ids


async def usage(db: asyncpg.Pool, account_id: int, day: date) -> dict[bool, tuple[int, int, int]]:
    """international -> (messages, parts, amount_minor), summed over the shards."""
    rows = await db.fetch(
        "SELECT international, sum(messages)::bigint AS m, sum(parts)::bigint AS p, sum(amount_minor)::bigint AS a"
        " FROM usage_daily WHERE account_id = $1 AND day = $2 GROUP BY international",
        account_id,
        day,
    )
    return {r["international"]: (r["m"], r["p"], r["a"]) for r in rows}


async def charges(db: asyncpg.Pool, account_id: int) -> list[tuple[date, int]]:
    rows = await db.fetch(
        "SELECT day, amount_minor FROM ledger WHERE account_id = $1 AND kind = 'daily_charge' ORDER BY day",
        account_id,
    )
    return [(r["day"], r["amount_minor"]) for r in rows]


async def account(db: asyncpg.Pool, account_id: int) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT balance_minor, status, arrears_since, suspended_at FROM accounts WHERE id = $1", account_id
    )
    assert row is not None
    return row


async def standing(db: asyncpg.Pool, account_id: int) -> tuple[Any, ...]:
    """(balance_minor, status, arrears_since, suspended_at)"""
    return tuple(await account(db, account_id))


# --- usage (P1: priced per part per country) ---------------------------------------------------------------


async def test_intake_writes_parts_times_price_per_account_and_day_split_mainland_and_international(
    db: asyncpg.Pool,
) -> None:
    """P1: each accepted message costs its country's price per part x its parts, written by the statement that
    records it, on the platform day the request was made; countries without a price use DEF."""
    await set_prices(db)
    a, b = await tenant(db, name="A"), await tenant(db, name="B")

    await send(db, a, [phone("CN") for _ in range(3)], parts=2, day=DAY0)
    await send(db, a, [phone("US"), phone("US"), phone("GB"), phone("FR")], parts=3, day=DAY0)
    await send(db, a, [phone("CN")], parts=1, day=DAY0 + timedelta(days=1))
    await send(db, b, [phone("CN")], parts=1, day=DAY0)

    assert await usage(db, a.account_id, DAY0) == {
        False: (3, 6, 3 * 2 * 45),
        True: (4, 12, 3 * (70 + 70 + 120 + 500)),
    }
    assert await usage(db, a.account_id, DAY0 + timedelta(days=1)) == {False: (1, 1, 45)}
    assert await usage(db, b.account_id, DAY0) == {False: (1, 1, 45)}

    # The price in force at acceptance is stored on each message; a later price change leaves usage alone.
    stored = await db.fetch(
        "SELECT iso_code, price_minor FROM messages WHERE account_id = $1 AND parts = 3", a.account_id
    )
    assert sorted((r["iso_code"], r["price_minor"]) for r in stored) == [
        ("FR", 500),
        ("GB", 120),
        ("US", 70),
        ("US", 70),
    ]
    await billing.replace_prices(db, [("CN", 99)], now=local(DAY0, 20))
    assert (await usage(db, a.account_id, DAY0))[False] == (3, 6, 270)


async def test_a_failure_refunds_exactly_those_messages_on_the_day_it_is_known(db: asyncpg.Pool) -> None:
    """P1: messages that never went out are not charged; their cost leaves the usage of the refund's day,
    and recording the failure again refunds nothing more."""
    await set_prices(db)
    a = await tenant(db)
    day1 = DAY0 + timedelta(days=1)
    cn = [phone("CN") for _ in range(3)]
    batch = await send(db, a, cn, parts=2, day=DAY0)
    intl = [phone("US"), phone("GB")]
    intl_batch = await send(db, a, intl, parts=1, day=DAY0)

    refunded = await refund(db, batch, [cn[0].e164, cn[2].e164], day=day1)
    assert len(refunded) == 2
    assert await usage(db, a.account_id, DAY0) == {False: (3, 6, 270), True: (2, 2, 190)}  # unchanged
    assert await usage(db, a.account_id, day1) == {False: (-2, -4, -180)}

    # Failing the same rows again (a job that runs twice) refunds nothing more.
    await fail_messages(
        db, batch.batch_id, batch.accepted_at, refunded, reason="again", now=local(day1, 14), usage_day=day1
    )
    assert await usage(db, a.account_id, day1) == {False: (-2, -4, -180)}

    # The carrier refusing one number of a batch refunds that number only.
    claimed = await claim_batch(
        db, KEYRING, intl_batch.batch_id, intl_batch.accepted_at, now=local(day1, 15), worker_id=None
    )
    by_phone = {m.phone: m.id for m in claimed}
    await record_submit_results(
        db,
        intl_batch.batch_id,
        intl_batch.accepted_at,
        ids=[by_phone[intl[0].e164], by_phone[intl[1].e164]],
        carrier_ids=["C1", None],
        errors=["", "invalid number"],
        now=local(day1, 15),
        usage_day=day1,
    )
    assert await usage(db, a.account_id, day1) == {False: (-2, -4, -180), True: (-1, -1, -120)}

    # What is left to charge equals the messages that did not fail.
    left = await db.fetchval(
        "SELECT sum(price_minor * parts) FROM messages WHERE account_id = $1 AND status <> 'failed'",
        a.account_id,
    )
    total_usage = await db.fetchval(
        "SELECT sum(amount_minor) FROM usage_daily WHERE account_id = $1", a.account_id
    )
    assert left == total_usage == 45 * 2 + 70


# --- the daily deduction (P2) -------------------------------------------------------------------------------


async def test_the_daily_deduction_charges_each_account_its_day_once(db: asyncpg.Pool) -> None:
    """P2: the day's fees are deducted the next morning, once: a second run for the day charges nothing."""
    await set_prices(db)
    a, b, idle = (
        await tenant(db, balance=10_000),
        await tenant(db, balance=5_000),
        await tenant(db, balance=7),
    )
    await send(db, a, [phone("CN") for _ in range(4)], parts=1, day=DAY0)
    await send(db, a, [phone("GB")], parts=2, day=DAY0)
    await send(db, b, [phone("CN")], parts=3, day=DAY0)
    await send(db, b, [phone("CN")], parts=1, day=DAY0 + timedelta(days=1))  # the next day: not charged now

    done = await billing.deduct_day(db, DAY0, now=morning_after(DAY0))
    assert done is not None
    assert (done.day, done.accounts, done.amount_minor, done.entered_arrears) == (
        DAY0,
        2,
        180 + 240 + 135,
        [],
    )
    assert await billing.deduct_day(db, DAY0, now=morning_after(DAY0) + timedelta(minutes=5)) is None

    assert await charges(db, a.account_id) == [(DAY0, -420)]
    assert await charges(db, b.account_id) == [(DAY0, -135)]
    assert await charges(db, idle.account_id) == []
    assert (await account(db, a.account_id))["balance_minor"] == 10_000 - 420
    assert (await account(db, b.account_id))["balance_minor"] == 5_000 - 135
    assert (await account(db, idle.account_id))["balance_minor"] == 7
    assert await billing.charged_days(db, since=DAY0) == {DAY0}
    assert await billing.unreconciled(db) == []


async def test_concurrent_deductions_of_the_same_day_charge_once(db: asyncpg.Pool) -> None:
    """Two workers' cron jobs firing together (jobs may run more than once): one charges, the other finds the
    day done."""
    await set_prices(db)
    tenants = [await tenant(db, balance=1_000, name=f"T{i}") for i in range(3)]
    for i, t in enumerate(tenants):
        await send(db, t, [phone("CN") for _ in range(i + 1)], parts=1, day=DAY0)

    results = await asyncio.gather(
        billing.deduct_day(db, DAY0, now=morning_after(DAY0)),
        billing.deduct_day(db, DAY0, now=morning_after(DAY0)),
        billing.deduct_day(db, DAY0, now=morning_after(DAY0)),
    )
    charged = [r for r in results if r is not None]
    assert len(charged) == 1 and charged[0].accounts == 3 and charged[0].amount_minor == 45 * 6
    for i, t in enumerate(tenants):
        assert await charges(db, t.account_id) == [(DAY0, -45 * (i + 1))]
        assert (await account(db, t.account_id))["balance_minor"] == 1_000 - 45 * (i + 1)
    assert await db.fetchval("SELECT count(*) FROM billing_days WHERE day = $1", DAY0) == 1
    assert await billing.unreconciled(db) == []


async def test_a_deduction_killed_midway_charges_nobody_and_the_next_run_charges_everyone_once(
    db: asyncpg.Pool, database_url: str
) -> None:
    """A worker killed inside the deduction leaves no partial day: its transaction rolls back whole, and the
    next run charges every account exactly once."""
    await set_prices(db)
    tenants = [await tenant(db, balance=2_000, name=f"T{i}") for i in range(4)]
    for t in tenants:
        await send(db, t, [phone("CN"), phone("US")], parts=1, day=DAY0)
    blocked_account = tenants[2].account_id

    locker = await asyncpg.connect(database_url)
    observer = await asyncpg.connect(database_url)
    try:
        hold = locker.transaction()
        await hold.start()
        await locker.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", blocked_account)

        locker_pid = await locker.fetchval("SELECT pg_backend_pid()")

        run = asyncio.create_task(billing.deduct_day(db, DAY0, now=morning_after(DAY0)))
        pid = None
        for _ in range(500):  # a poll interval, not a timing assumption: we wait until it is seen blocked
            # The deduction's backend, waiting on the row the locker holds (its statement text is too long
            # for pg_stat_activity.query to be matched reliably: that column is truncated).
            pid = await observer.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
                " AND datname = current_database() AND state = 'active' AND wait_event_type = 'Lock'",
                locker_pid,
            )
            if pid is not None or run.done():
                break
            await asyncio.sleep(0.02)
        assert not run.done(), "the deduction finished although an account row was locked"
        assert pid is not None, "the deduction was never seen waiting on the locked row"

        waiting = await observer.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
        assert "usage_daily" in waiting  # the deduction's statement, inside its transaction
        assert await observer.fetchval("SELECT pg_terminate_backend($1)", pid) is True
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError)):
            await run

        # Nothing of the day is visible: no charge, no balance change, the day not done.
        assert await observer.fetchval("SELECT count(*) FROM ledger WHERE kind = 'daily_charge'") == 0
        assert await observer.fetchval("SELECT count(*) FROM billing_days") == 0
        balances = await observer.fetch("SELECT balance_minor FROM accounts WHERE id = ANY($1::bigint[])",
                                        [t.account_id for t in tenants])  # fmt: skip
        assert {r["balance_minor"] for r in balances} == {2_000}
        await hold.rollback()
    finally:
        await locker.close()
        await observer.close()

    again = await billing.deduct_day(db, DAY0, now=morning_after(DAY0) + timedelta(minutes=1))
    assert again is not None and again.accounts == 4 and again.amount_minor == 4 * (45 + 70)
    for t in tenants:
        assert await charges(db, t.account_id) == [(DAY0, -(45 + 70))]
        assert (await account(db, t.account_id))["balance_minor"] == 2_000 - 115
    assert await db.fetchval("SELECT count(*) FROM billing_days WHERE day = $1", DAY0) == 1
    assert await billing.deduct_day(db, DAY0, now=morning_after(DAY0) + timedelta(minutes=2)) is None
    assert await billing.unreconciled(db) == []


async def test_the_system_account_is_never_charged(db: asyncpg.Pool) -> None:
    """The platform's own tenant sends overdue notices and alarms; it pays nothing for them."""
    await set_prices(db)
    system, customer = await tenant(db, name="SMS platform"), await tenant(db, balance=100)
    await db.execute("UPDATE accounts SET system = true WHERE id = $1", system.account_id)
    await send(db, system, [phone("CN") for _ in range(5)], parts=1, day=DAY0)
    await send(db, customer, [phone("CN")], parts=1, day=DAY0)

    done = await billing.deduct_day(db, DAY0, now=morning_after(DAY0))
    assert done is not None and done.accounts == 1 and done.amount_minor == 45
    assert await charges(db, system.account_id) == []
    assert await standing(db, system.account_id) == (0, "active", None, None)
    assert await charges(db, customer.account_id) == [(DAY0, -45)]


async def test_monthly_international_settlement_charges_only_mainland_usage_daily(db: asyncpg.Pool) -> None:
    """P3: an account billed monthly for global SMS pays only its mainland usage in the daily deduction."""
    await set_prices(db)
    monthly, intl_only, daily = (
        await tenant(db, balance=10_000, name="M"),
        await tenant(db, balance=10_000, name="I"),
        await tenant(db, balance=10_000, name="D"),
    )
    await db.execute(
        "UPDATE accounts SET intl_settlement = 'monthly' WHERE id = ANY($1::bigint[])",
        [monthly.account_id, intl_only.account_id],
    )
    for t in (monthly, intl_only, daily):
        await send(db, t, [phone("US"), phone("GB")], parts=2, day=DAY0)
    for t in (monthly, daily):
        await send(db, t, [phone("CN")], parts=2, day=DAY0)

    done = await billing.deduct_day(db, DAY0, now=morning_after(DAY0))
    assert done is not None and done.accounts == 2
    assert await charges(db, monthly.account_id) == [(DAY0, -90)]
    assert await charges(db, intl_only.account_id) == []
    assert await charges(db, daily.account_id) == [(DAY0, -(90 + 380))]
    assert (await account(db, monthly.account_id))["balance_minor"] == 10_000 - 90
    assert (await account(db, intl_only.account_id))["balance_minor"] == 10_000
    assert await billing.unreconciled(db) == []


# --- arrears, suspension, resumption (P2) ---------------------------------------------------------------------


async def test_arrears_then_suspension_after_the_grace_period_then_resumption_on_recharge(
    db: asyncpg.Pool,
) -> None:
    """P2: a balance that cannot cover the day puts the account in arrears; not recharged within 12 hours, it
    is suspended; once the balance is settled (zero or above) service resumes at once."""
    await set_prices(db)
    a, solvent = await tenant(db, balance=100), await tenant(db, balance=1_000)
    await send(db, a, [phone("CN") for _ in range(3)], parts=1, day=DAY0)  # 135 > 100
    await send(db, solvent, [phone("CN") for _ in range(3)], parts=1, day=DAY0)
    charged_at = morning_after(DAY0)

    done = await billing.deduct_day(db, DAY0, now=charged_at)
    assert done is not None and done.entered_arrears == [a.account_id]
    assert await standing(db, a.account_id) == (-35, "arrears", charged_at, None)
    assert (await account(db, solvent.account_id))["status"] == "active"

    grace = timedelta(seconds=GRACE_S)
    assert (
        await billing.suspend_overdue(db, now=charged_at + grace - timedelta(seconds=1), grace_s=GRACE_S)
        == []
    )
    assert (await account(db, a.account_id))["status"] == "arrears"

    # A recharge that leaves the balance negative does not end arrears, nor restart its clock.
    partial = await billing.recharge(db, a.account_id, 10, now=charged_at + timedelta(hours=1), by="test")
    assert partial == billing.Standing(a.account_id, -25, "arrears")
    assert (await account(db, a.account_id))["arrears_since"] == charged_at

    assert await billing.suspend_overdue(db, now=charged_at + grace, grace_s=GRACE_S) == [a.account_id]
    assert await standing(db, a.account_id) == (-25, "suspended", charged_at, charged_at + grace)
    assert await billing.suspend_overdue(db, now=charged_at + 2 * grace, grace_s=GRACE_S) == []

    # Suspended and still negative after a recharge: stays suspended.
    still = await billing.recharge(
        db, a.account_id, 24, now=charged_at + grace + timedelta(hours=1), by="test"
    )
    assert still == billing.Standing(a.account_id, -1, "suspended")
    assert await standing(db, a.account_id) == (-1, "suspended", charged_at, charged_at + grace)

    settled = await billing.recharge(
        db, a.account_id, 1, now=charged_at + grace + timedelta(hours=2), by="test"
    )
    assert settled == billing.Standing(a.account_id, 0, "active")
    assert await standing(db, a.account_id) == (0, "active", None, None)
    assert await billing.suspend_overdue(db, now=charged_at + 3 * grace, grace_s=GRACE_S) == []
    assert await billing.recharge(db, 999_999, 100, now=charged_at, by="test") is None
    assert await billing.unreconciled(db) == []


async def test_a_recharge_during_the_grace_period_prevents_suspension(db: asyncpg.Pool) -> None:
    """P2: recharged within the grace period, the account is never suspended."""
    await set_prices(db)
    a = await tenant(db, balance=0)
    await send(db, a, [phone("CN")], parts=1, day=DAY0)
    charged_at = morning_after(DAY0)
    await billing.deduct_day(db, DAY0, now=charged_at)
    assert (await account(db, a.account_id))["status"] == "arrears"

    after = await billing.recharge(db, a.account_id, 1_000, now=charged_at + timedelta(hours=3), by="test")
    assert after == billing.Standing(a.account_id, 955, "active")
    assert await billing.suspend_overdue(db, now=charged_at + timedelta(days=2), grace_s=GRACE_S) == []
    assert await standing(db, a.account_id) == (955, "active", None, None)


# --- overdue notices (P2: once per arrears episode) -------------------------------------------------------------


async def _into_arrears(db: asyncpg.Pool, who: Tenant, day: date) -> datetime:
    await send(db, who, [phone("CN")], parts=1, day=day)
    at = morning_after(day)
    await billing.deduct_day(db, day, now=at)
    row = await account(db, who.account_id)
    assert row["status"] == "arrears" and row["arrears_since"] == at
    return at


async def test_one_overdue_notice_per_arrears_episode(db: asyncpg.Pool) -> None:
    """P2: an account in arrears gets an overdue SMS, once per episode; a new episode gets a new one."""
    await set_prices(db)
    a, fine = await tenant(db, balance=0, name="A"), await tenant(db, balance=10_000, name="F")
    await send(db, fine, [phone("CN")], parts=1, day=DAY0)
    since = await _into_arrears(db, a, DAY0)

    first = await billing.claim_overdue_notices(db, now=since + timedelta(seconds=1))
    assert first == [billing.DueNotice(a.account_id, since, "+8613800138000", -45)]
    assert await billing.claim_overdue_notices(db, now=since + timedelta(seconds=2)) == []

    await billing.record_notice(db, first[0], now=since + timedelta(seconds=3), serial_no="S1", detail="sent")
    assert await billing.claim_overdue_notices(db, now=since + timedelta(hours=5)) == []

    # Suspension does not start a new episode.
    await billing.suspend_overdue(db, now=since + timedelta(seconds=GRACE_S), grace_s=GRACE_S)
    assert await billing.claim_overdue_notices(db, now=since + timedelta(days=1)) == []

    # Settled, then below zero again: a new episode, a new notice.
    await billing.recharge(db, a.account_id, 45, now=since + timedelta(days=1), by="test")
    assert await billing.claim_overdue_notices(db, now=since + timedelta(days=1, seconds=1)) == []
    day2 = DAY0 + timedelta(days=2)
    since2 = await _into_arrears(db, a, day2)
    second = await billing.claim_overdue_notices(db, now=since2 + timedelta(seconds=1))
    assert second == [billing.DueNotice(a.account_id, since2, "+8613800138000", -45)]
    episodes = await db.fetch(
        "SELECT arrears_since, sent_at IS NOT NULL AS sent FROM arrears_notices WHERE account_id = $1"
        " ORDER BY arrears_since",
        a.account_id,
    )
    assert [(r["arrears_since"], r["sent"]) for r in episodes] == [(since, True), (since2, False)]
    assert (
        await db.fetchval("SELECT count(*) FROM arrears_notices WHERE account_id = $1", fine.account_id) == 0
    )


async def test_a_stale_unsent_claim_is_claimed_again(db: asyncpg.Pool) -> None:
    """A sender that died after claiming a notice: once the claim is stale, the notice is claimed again (and
    not before)."""
    await set_prices(db)
    a = await tenant(db, balance=0)
    since = await _into_arrears(db, a, DAY0)
    claimed_at = since + timedelta(minutes=1)
    assert len(await billing.claim_overdue_notices(db, now=claimed_at, retry_after_s=300)) == 1

    not_yet = claimed_at + timedelta(seconds=299)
    assert await billing.claim_overdue_notices(db, now=not_yet, retry_after_s=300) == []
    stale = claimed_at + timedelta(seconds=301)
    again = await billing.claim_overdue_notices(db, now=stale, retry_after_s=300)
    assert [n.account_id for n in again] == [a.account_id] and again[0].arrears_since == since
    assert (
        await db.fetchval("SELECT claimed_at FROM arrears_notices WHERE account_id = $1", a.account_id)
        == stale
    )
    assert await billing.claim_overdue_notices(db, now=stale + timedelta(seconds=1), retry_after_s=300) == []


# --- a randomized week --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [7, 1234, 20260302])
async def test_a_random_week_reconciles_to_the_last_minor_unit(db: asyncpg.Pool, seed: int) -> None:
    """P1 + P2 over a week of random traffic, refunds (some on a later day than the sending) and recharges,
    charged each morning: every account's charges equal its usage equal its messages that did not fail, and
    its balance is its opening balance plus recharges plus charges."""
    rng = random.Random(seed)
    await set_prices(db)
    tenants = [await tenant(db, balance=rng.randrange(0, 3_000), name=f"T{i}") for i in range(4)]
    opening = {t.account_id: (await account(db, t.account_id))["balance_minor"] for t in tenants}
    recharged: dict[int, int] = defaultdict(int)
    refundable: list[tuple[Batch, list[str]]] = []
    week = [DAY0 + timedelta(days=i) for i in range(7)]

    for day in week:
        for _ in range(rng.randrange(3, 8)):
            who = rng.choice(tenants)
            phones = [phone(rng.choice(["CN", "US", "GB"])) for _ in range(rng.randrange(1, 6))]
            batch = await send(db, who, phones, parts=rng.randrange(1, 4), day=day, hh=rng.randrange(0, 24))
            refundable.append((batch, [p.e164 for p in phones]))
        for _ in range(rng.randrange(0, 3)):
            if refundable:
                batch, numbers = refundable.pop(rng.randrange(len(refundable)))
                some = rng.sample(numbers, rng.randrange(1, len(numbers) + 1))
                await refund(db, batch, some, day=day)
        if rng.random() < 0.5:
            who = rng.choice(tenants)
            amount = rng.randrange(1, 2_000)
            await billing.recharge(db, who.account_id, amount, now=local(day, 18), by="test")
            recharged[who.account_id] += amount
        charged = await billing.deduct_day(db, day, now=morning_after(day))
        assert charged is not None and charged.day == day

    assert await billing.charged_days(db, since=week[0]) == set(week)
    assert await db.fetchval("SELECT count(*) FROM messages WHERE status = 'failed'") > 0  # refunds happened
    assert await billing.unreconciled(db) == []
    for t in tenants:
        entries = await charges(db, t.account_id)
        assert len({d for d, _ in entries}) == len(entries)  # at most one charge per day
        charged_total = sum(amount for _, amount in entries)
        usage_total = await db.fetchval(
            "SELECT COALESCE(sum(amount_minor), 0) FROM usage_daily WHERE account_id = $1 AND day = ANY($2::date[])",
            t.account_id,
            week,
        )
        not_failed = await db.fetchval(
            "SELECT COALESCE(sum(price_minor * parts), 0) FROM messages WHERE account_id = $1 AND status <> 'failed'",
            t.account_id,
        )
        assert charged_total == -usage_total == -not_failed
        row = await account(db, t.account_id)
        assert row["balance_minor"] == opening[t.account_id] + recharged[t.account_id] + charged_total
        assert (row["status"] == "active") == (row["balance_minor"] >= 0)


# --- statements -----------------------------------------------------------------------------------------------------


async def test_a_statement_lists_the_months_ledger_and_usage_with_consistent_balances(
    db: asyncpg.Pool,
) -> None:
    """A month in the platform's time zone: entries from its first local midnight (inclusive) to the next
    (exclusive), in order, usage per day, and closing = opening + the entries = the next month's opening."""
    await set_prices(db)
    a = await tenant(db, balance=0)
    march = month("2026-03", SHANGHAI)
    feb_end, mar_1 = date(2026, 2, 28), date(2026, 3, 1)

    await billing.recharge(
        db, a.account_id, 5_000, now=march.since - timedelta(seconds=1), by="op", note="feb"
    )
    await send(db, a, [phone("CN"), phone("CN")], parts=1, day=feb_end)
    await send(db, a, [phone("US")], parts=2, day=mar_1)
    await send(db, a, [phone("CN")], parts=3, day=DAY0)
    await billing.deduct_day(db, feb_end, now=morning_after(feb_end))  # charged on March 1st, 02:00 local
    await billing.recharge(db, a.account_id, 1_000, now=march.since, by="op", note="top up")
    await billing.deduct_day(db, mar_1, now=morning_after(mar_1))
    await billing.deduct_day(db, DAY0, now=morning_after(DAY0))
    await billing.recharge(db, a.account_id, 7, now=march.until, by="op", note="april")

    found = await billing.statement(
        db,
        a.account_id,
        since=march.since,
        until=march.until,
        first_day=march.first_day,
        last_day=march.last_day,
    )
    assert found is not None
    assert found["opening_balance_minor"] == 5_000
    assert [(e["kind"], e["amount_minor"], e["day"]) for e in found["ledger"]] == [
        ("recharge", 1_000, None),  # at the month's first instant: included
        ("daily_charge", -90, feb_end),
        ("daily_charge", -140, mar_1),
        ("daily_charge", -135, DAY0),
    ]
    times = [e["created_at"] for e in found["ledger"]]
    assert times == sorted(times) and times[0] == march.since and times[-1] < march.until
    assert found["closing_balance_minor"] == 5_000 - 90 + 1_000 - 140 - 135
    assert [
        (u["day"], u["international"], u["messages"], u["parts"], u["amount_minor"]) for u in found["usage"]
    ] == [
        (mar_1, True, 1, 2, 140),
        (DAY0, False, 1, 3, 135),
    ]

    april = month("2026-04", SHANGHAI)
    after = await billing.statement(
        db,
        a.account_id,
        since=april.since,
        until=april.until,
        first_day=april.first_day,
        last_day=april.last_day,
    )
    assert after is not None
    assert after["opening_balance_minor"] == found["closing_balance_minor"]
    assert after["closing_balance_minor"] == (await account(db, a.account_id))["balance_minor"]
    assert [e["note"] for e in after["ledger"]] == ["april"]

    assert (
        await billing.statement(
            db,
            999_999,
            since=march.since,
            until=march.until,
            first_day=march.first_day,
            last_day=march.last_day,
        )
        is None
    )


async def test_package_parts_are_valued_at_the_days_price_rounded_in_the_customers_favour(
    db: asyncpg.Pool,
) -> None:
    """Packages: covered parts leave the charge at the day's mean mainland price per part; a fraction of a
    minor unit goes to the customer (rounded up in what the package covers)."""
    await set_prices(db)
    who = await tenant(db, balance=10_000)
    await send(db, who, [phone("CN")], parts=1, day=DAY0)
    await billing.replace_prices(db, [("CN", 50)], now=local(DAY0, 13))
    await send(db, who, [phone("CN")], parts=1, day=DAY0, hh=14)  # the day: 2 parts for 95
    await billing.grant_package(
        db, who.account_id, parts=1, valid_from=local(DAY0, 0), valid_until=local(DAY0 + timedelta(days=1), 0),
        price_minor=0, now=local(DAY0, 0), by="test",
    )  # fmt: skip
    await billing.deduct_day(db, DAY0, now=morning_after(DAY0))
    # One part covered, worth 47.5: the customer pays 95 - 48 = 47.
    assert await charges(db, who.account_id) == [(DAY0, -47)]
    assert await billing.unreconciled(db) == []
