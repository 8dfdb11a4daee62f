"""The money side in SQL (P2, P3; sql/queries/billing.sql): the daily deduction (set-based, one statement per
day), arrears standing, suspension, recharges, overdue-notice bookkeeping and statements. Every balance change
writes a ledger entry in the same statement, so a balance always equals the sum of its ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool

# Serializes deduction runs: a second run waits, then finds the day done.
_DEDUCTION_LOCK = 7310442101


@dataclass(frozen=True)
class DayCharged:
    day: date
    accounts: int
    amount_minor: int  # total charged, positive
    entered_arrears: list[int]


async def first_usage_day(db: Db) -> date | None:
    """The first day anything was used: the deduction never looks further back (an index probe)."""
    first: date | None = await queries.fetchval(db, "first_usage_day")
    return first


async def charged_days(db: Db, *, since: date) -> set[date]:
    rows = await queries.fetch(db, "charged_days", since=since)
    return {r["day"] for r in rows}


async def deduct_day(
    pool: asyncpg.Pool, day: date, *, now: datetime, timezone: str = "Asia/Shanghai"
) -> DayCharged | None:
    """Charge every account its daily-settled usage of `day` (all but the international usage of accounts that
    settle it monthly), in ONE transaction. Mainland parts are drawn first from the account's packages valid
    that day, the one expiring first first; the rest is charged at the day's mainland price per part (the
    value of the package parts is rounded up: a fraction of a minor unit goes to the customer). A ledger
    entry per account (the unique key makes a repeat a no-op), the balances and standings, and the day
    marked done. None when the day was already done. A run killed midway rolls back whole; the next run does
    it all."""
    return await _charge(
        pool, "day_charged", "charge_day", "mark_day_charged", {"day": day}, now, {"timezone": timezone}
    )


async def charged_months(db: Db, *, since: date) -> set[date]:
    rows = await queries.fetch(db, "charged_months", since=since)
    return {r["month"] for r in rows}


async def deduct_month(pool: asyncpg.Pool, first: date, last: date, *, now: datetime) -> DayCharged | None:
    """Charge the month [first, last] of international usage settled monthly (P3): one `monthly_charge` per
    account (day = the month's first day), the same standing rules as the daily deduction, in ONE
    transaction; None when the month was done already."""
    return await _charge(
        pool, "month_charged", "charge_month", "mark_month_charged", {"month": first}, now, {"last_day": last}
    )


async def _charge(
    pool: asyncpg.Pool,
    done: str,
    charge: str,
    mark: str,
    key: dict[str, date],
    now: datetime,
    extra: dict[str, Any],
) -> DayCharged | None:
    """The common frame of the deductions: under the deduction lock, unless the day or month `key` is done
    already (query `done`), charge it (query `charge`: one ledger entry per account, the balances and
    standings) and mark it done (query `mark`), in ONE transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await queries.execute(conn, "deduction_lock", lock_key=_DEDUCTION_LOCK)
        if await queries.fetchval(conn, done, **key):
            return None
        rows = await queries.fetch(conn, charge, **key, now=now, **extra)
        total = -sum(int(r["amount_minor"]) for r in rows)
        await queries.execute(conn, mark, **key, now=now, accounts=len(rows), amount_minor=total)
    (charged,) = key.values()
    return DayCharged(charged, len(rows), total, [r["id"] for r in rows if r["entered_arrears"]])


async def set_intl_settlement(db: Db, account_id: int, settlement: str) -> bool:
    """P3: from now on, the account's international usage is settled `daily` or `monthly`."""
    result = await queries.execute(db, "set_intl_settlement", account_id=account_id, settlement=settlement)
    return result.endswith(" 1")


@dataclass(frozen=True)
class Package:
    id: int
    account_id: int
    package_type: int  # 0 gift, 1 purchased
    parts_total: int
    parts_used: int
    valid_from: datetime
    valid_until: datetime
    created_at: datetime


async def grant_package(
    db: Db,
    account_id: int,
    *,
    parts: int,
    valid_from: datetime,
    valid_until: datetime,
    price_minor: int,
    now: datetime,
    by: str,
) -> tuple[Package, Standing] | None:
    """Give (price 0: a gift, type 0) or sell (type 1, the price charged to the balance) a package of `parts`
    mainland parts, in ONE statement with its ledger entry. None when the account does not exist."""
    row = await queries.fetchrow(
        db,
        "grant_package",
        account_id=account_id,
        price_minor=price_minor,
        parts=parts,
        valid_from=valid_from,
        valid_until=valid_until,
        now=now,
        by=by,
    )
    if row is None:
        return None
    package = Package(*(row[f] for f in Package.__dataclass_fields__))
    return package, Standing(account_id, row["balance_minor"], row["status"])


async def list_packages(
    db: Db, account_id: int, *, created_since: datetime, created_until: datetime, limit: int, offset: int
) -> list[Package]:
    rows = await queries.fetch(
        db,
        "list_packages",
        account_id=account_id,
        created_since=created_since,
        created_until=created_until,
        limit=limit,
        offset=offset,
    )
    return [Package(*r) for r in rows]


async def suspend_overdue(db: Db, *, now: datetime, grace_s: int) -> list[int]:
    """Suspend accounts still below zero `grace_s` after they entered arrears (P2)."""
    rows = await queries.fetch(db, "suspend_overdue", now=now, grace_s=grace_s)
    return [r["id"] for r in rows]


@dataclass(frozen=True)
class Standing:
    account_id: int
    balance_minor: int
    status: str


async def recharge(
    db: Db, account_id: int, amount_minor: int, *, now: datetime, by: str, note: str = ""
) -> Standing | None:
    """Add money (a ledger entry and the balance in ONE statement); a balance back at zero or above ends
    arrears and any suspension at once. None when the account does not exist."""
    row = await queries.fetchrow(
        db, "recharge", account_id=account_id, amount_minor=amount_minor, now=now, by=by, note=note
    )
    return Standing(row["id"], row["balance_minor"], row["status"]) if row else None


@dataclass(frozen=True)
class DueNotice:
    account_id: int
    arrears_since: datetime
    contact_phone: str
    balance_minor: int


async def claim_overdue_notices(db: Db, *, now: datetime, retry_after_s: int = 300) -> list[DueNotice]:
    """Accounts in arrears whose episode has no overdue notice yet (or whose claim went stale without being
    sent, its sender having died): claimed now, so one episode gets one notice."""
    rows = await queries.fetch(db, "claim_overdue_notices", now=now, retry_after_s=retry_after_s)
    return [
        DueNotice(r["account_id"], r["arrears_since"], r["contact_phone"], r["balance_minor"]) for r in rows
    ]


async def record_notice(
    db: Db, notice: DueNotice, *, now: datetime, serial_no: str | None, detail: str
) -> None:
    await queries.execute(
        db,
        "record_notice",
        account_id=notice.account_id,
        arrears_since=notice.arrears_since,
        now=now,
        serial_no=serial_no,
        detail=detail,
    )


async def statement(
    db: Db, account_id: int, *, since: datetime, until: datetime, first_day: date, last_day: date
) -> dict[str, Any] | None:
    """An account's ledger entries in [since, until), its usage per day in [first_day, last_day], and its
    balance before and after; None for an unknown account."""
    if not await queries.fetchval(db, "account_exists", account_id=account_id):
        return None
    opening = await queries.fetchval(db, "opening_balance", account_id=account_id, since=since)
    entries = await queries.fetch(db, "ledger_entries", account_id=account_id, since=since, until=until)
    usage = await queries.fetch(
        db, "usage_by_day", account_id=account_id, first_day=first_day, last_day=last_day
    )
    ledger = [dict(r) for r in entries]
    return {
        "account_id": account_id,
        "opening_balance_minor": int(opening),
        "closing_balance_minor": int(opening) + sum(int(e["amount_minor"]) for e in ledger),
        "ledger": ledger,
        "usage": [dict(r) for r in usage],
    }


async def unreconciled(db: Db) -> list[tuple[int, int, int]]:
    """Accounts whose balance is not the sum of their ledger: (account, balance, ledger sum). Always empty."""
    rows = await queries.fetch(db, "unreconciled")
    return [(r["id"], r["balance_minor"], r["total"]) for r in rows]


async def replace_prices(db: Db, rows: list[tuple[str, int]], *, now: datetime) -> int:
    """Set these countries' prices in ONE statement (others keep theirs): all or nothing. A message keeps
    the price stored on it at acceptance."""
    result = await queries.execute(
        db,
        "replace_prices",
        iso_codes=[iso for iso, _ in rows],
        prices_minor=[price for _, price in rows],
        now=now,
    )
    return int(result.split()[-1])


async def list_prices(db: Db) -> list[tuple[str, int, datetime]]:
    rows = await queries.fetch(db, "list_prices")
    return [(r["iso_code"], r["price_minor"], r["updated_at"]) for r in rows]
