"""The money side in SQL (P2, P3): the daily deduction (set-based, one statement per day), arrears standing,
suspension, recharges, overdue-notice bookkeeping and statements. Every balance change writes a ledger entry
in the same statement, so a balance always equals the sum of its ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool

# Serializes deduction runs: a second run waits, then finds the day done.
_DEDUCTION_LOCK = 7310442101

# An account's standing after its balance changed to {new}: non-negative ends arrears (and a suspension) at
# once; negative starts arrears now unless it already began. Used by every statement that moves a balance.
_STANDING = """
    status = CASE WHEN {new} >= 0 THEN 'active' WHEN a.status = 'active' THEN 'arrears' ELSE a.status END,
    arrears_since = CASE WHEN {new} >= 0 THEN NULL ELSE COALESCE(a.arrears_since, {now}) END,
    suspended_at = CASE WHEN {new} >= 0 THEN NULL ELSE a.suspended_at END"""


@dataclass(frozen=True)
class DayCharged:
    day: date
    accounts: int
    amount_minor: int  # total charged, positive
    entered_arrears: list[int]


async def first_usage_day(db: Db) -> date | None:
    """The first day anything was used: the deduction never looks further back (an index probe)."""
    first: date | None = await db.fetchval("SELECT min(day) FROM usage_daily")
    return first


async def charged_days(db: Db, *, since: date) -> set[date]:
    rows = await db.fetch("SELECT day FROM billing_days WHERE day >= $1", since)
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
    due = """
        WITH used AS (
            SELECT u.account_id, sum(u.amount_minor) AS amount,
                   COALESCE(sum(u.parts) FILTER (WHERE NOT u.international), 0) AS cn_parts,
                   COALESCE(sum(u.amount_minor) FILTER (WHERE NOT u.international), 0) AS cn_amount
            FROM usage_daily u JOIN accounts a ON a.id = u.account_id
            WHERE u.day = $1 AND NOT u.monthly AND NOT a.system
            GROUP BY u.account_id
        ), available AS (
            -- Deductions are serialized by the advisory lock; nothing else changes parts_used.
            SELECT p.id, p.account_id, p.parts_total - p.parts_used AS remaining,
                   COALESCE(sum(p.parts_total - p.parts_used) OVER (
                       PARTITION BY p.account_id ORDER BY p.valid_until, p.id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
            FROM sms_packages p JOIN used n ON n.account_id = p.account_id AND n.cn_parts > 0
            WHERE p.parts_used < p.parts_total
              AND p.valid_from < (($1::date + 1)::timestamp AT TIME ZONE $3)
              AND p.valid_until > ($1::date::timestamp AT TIME ZONE $3)
        ), drawn AS (
            UPDATE sms_packages p SET parts_used = p.parts_used + d.take
            FROM (SELECT a.id, LEAST(a.remaining, GREATEST(n.cn_parts - a.before, 0)) AS take
                  FROM available a JOIN used n USING (account_id)) d
            WHERE p.id = d.id AND d.take > 0
            RETURNING p.account_id, d.take
        ), due AS (
            SELECT n.account_id,
                   (n.amount - COALESCE(ceil(n.cn_amount * c.parts / NULLIF(n.cn_parts, 0)), 0))::bigint AS amount,
                   'usage of ' || $1::text || CASE WHEN c.parts > 0
                       THEN ', ' || c.parts || ' parts from packages' ELSE '' END AS note
            FROM used n
            LEFT JOIN (SELECT account_id, sum(take) AS parts FROM drawn GROUP BY account_id) c
                   USING (account_id)"""
    return await _charge(pool, "daily_charge", "billing_days", "day", due, day, now, timezone)


async def charged_months(db: Db, *, since: date) -> set[date]:
    rows = await db.fetch("SELECT month FROM billing_months WHERE month >= $1", since)
    return {r["month"] for r in rows}


async def deduct_month(pool: asyncpg.Pool, first: date, last: date, *, now: datetime) -> DayCharged | None:
    """Charge the month [first, last] of international usage settled monthly (P3): one `monthly_charge` per
    account (day = the month's first day), the same standing rules as the daily deduction, in ONE
    transaction; None when the month was done already."""
    due = """
        WITH due AS (
            SELECT u.account_id, sum(u.amount_minor) AS amount,
                   'international usage of ' || to_char($1::date, 'YYYY-MM') AS note
            FROM usage_daily u JOIN accounts a ON a.id = u.account_id
            WHERE u.day BETWEEN $1 AND $3 AND u.monthly AND NOT a.system
            GROUP BY u.account_id"""
    return await _charge(pool, "monthly_charge", "billing_months", "month", due, first, now, last)


async def _charge(
    pool: asyncpg.Pool,
    kind: str,
    done_table: str,
    done_key: str,
    due: str,
    key: date,
    now: datetime,
    extra: Any,
) -> DayCharged | None:
    """The common tail of the deductions: under the deduction lock, unless `key` is done already, charge
    what the CTE `due` (account_id, amount, note; parameters $1 key, $2 now, $3 extra) says, one ledger entry
    per account, the balances and standings, and mark `key` done, in ONE transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _DEDUCTION_LOCK)
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {done_table} WHERE {done_key} = $1)", key):  # noqa: S608 - fixed names
            return None
        rows = await conn.fetch(
            f"""{due}
            ), charged AS (
                INSERT INTO ledger (account_id, kind, amount_minor, day, created_at, note)
                SELECT account_id, '{kind}', -amount, $1, $2, note FROM due WHERE amount <> 0
                ORDER BY account_id
                ON CONFLICT (account_id, kind, day) WHERE kind IN ('daily_charge', 'monthly_charge') DO NOTHING
                RETURNING account_id, amount_minor
            )
            UPDATE accounts a SET balance_minor = a.balance_minor + c.amount_minor,
                {_STANDING.format(new="a.balance_minor + c.amount_minor", now="$2::timestamptz")}
            FROM charged c WHERE a.id = c.account_id
            RETURNING a.id, c.amount_minor, a.status, a.arrears_since = $2 AS entered_arrears
            """,  # noqa: S608 - fixed fragments and names, values are parameters
            key,
            now,
            extra,
        )
        total = -sum(int(r["amount_minor"]) for r in rows)
        await conn.execute(
            f"INSERT INTO {done_table} ({done_key}, charged_at, accounts, amount_minor) VALUES ($1, $2, $3, $4)",  # noqa: S608 - fixed names
            key,
            now,
            len(rows),
            total,
        )
    return DayCharged(key, len(rows), total, [r["id"] for r in rows if r["entered_arrears"]])


async def set_intl_settlement(db: Db, account_id: int, settlement: str) -> bool:
    """P3: from now on, the account's international usage is settled `daily` or `monthly`."""
    result: str = await db.execute(
        "UPDATE accounts SET intl_settlement = $2 WHERE id = $1", account_id, settlement
    )
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
    row = await db.fetchrow(
        f"""
        WITH pkg AS (
            INSERT INTO sms_packages (account_id, package_type, parts_total, valid_from, valid_until,
                                      created_at, created_by)
            SELECT id, CASE WHEN $2 > 0 THEN 1 ELSE 0 END, $3, $4, $5, $6, $7 FROM accounts WHERE id = $1
            RETURNING *
        ), entry AS (
            INSERT INTO ledger (account_id, kind, amount_minor, created_at, created_by, note)
            SELECT account_id, 'package', -$2, $6, $7,
                   'package ' || id || ': ' || parts_total || ' parts, '
                   || to_char(valid_from, 'YYYY-MM-DD') || ' to ' || to_char(valid_until, 'YYYY-MM-DD')
            FROM pkg
        ), standing AS (
            UPDATE accounts a SET balance_minor = a.balance_minor - $2,
                {_STANDING.format(new="a.balance_minor - $2", now="$6::timestamptz")}
            FROM pkg WHERE a.id = pkg.account_id
            RETURNING a.balance_minor, a.status
        )
        SELECT pkg.*, standing.balance_minor, standing.status FROM pkg, standing
        """,  # noqa: S608 - a fixed fragment, values are parameters
        account_id,
        price_minor,
        parts,
        valid_from,
        valid_until,
        now,
        by,
    )
    if row is None:
        return None
    package = Package(*(row[f] for f in Package.__dataclass_fields__))
    return package, Standing(account_id, row["balance_minor"], row["status"])


async def list_packages(
    db: Db, account_id: int, *, created_since: datetime, created_until: datetime, limit: int, offset: int
) -> list[Package]:
    rows = await db.fetch(
        "SELECT id, account_id, package_type, parts_total, parts_used, valid_from, valid_until, created_at"
        " FROM sms_packages WHERE account_id = $1 AND created_at >= $2 AND created_at < $3"
        " ORDER BY created_at, id LIMIT $4 OFFSET $5",
        account_id,
        created_since,
        created_until,
        limit,
        offset,
    )
    return [Package(*r) for r in rows]


async def suspend_overdue(db: Db, *, now: datetime, grace_s: int) -> list[int]:
    """Suspend accounts still below zero `grace_s` after they entered arrears (P2)."""
    rows = await db.fetch(
        """
        UPDATE accounts SET status = 'suspended', suspended_at = $1::timestamptz
        WHERE status = 'arrears' AND balance_minor < 0 AND arrears_since <= $1::timestamptz - make_interval(secs => $2::int)
        RETURNING id
        """,
        now,
        grace_s,
    )
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
    row = await db.fetchrow(
        f"""
        WITH entry AS (
            INSERT INTO ledger (account_id, kind, amount_minor, created_at, created_by, note)
            SELECT id, 'recharge', $2, $3, $4, $5 FROM accounts WHERE id = $1
            RETURNING account_id
        )
        UPDATE accounts a SET balance_minor = a.balance_minor + $2,
            {_STANDING.format(new="a.balance_minor + $2", now="$3::timestamptz")}
        FROM entry WHERE a.id = entry.account_id
        RETURNING a.id, a.balance_minor, a.status
        """,  # noqa: S608 - a fixed fragment, values are parameters
        account_id,
        amount_minor,
        now,
        by,
        note,
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
    rows = await db.fetch(
        """
        WITH claimed AS (
            INSERT INTO arrears_notices (account_id, arrears_since, claimed_at)
            SELECT id, arrears_since, $1 FROM accounts
            WHERE status <> 'active' AND arrears_since IS NOT NULL AND NOT system
            ON CONFLICT (account_id, arrears_since) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
                WHERE arrears_notices.sent_at IS NULL
                  AND arrears_notices.claimed_at < $1::timestamptz - make_interval(secs => $2::int)
            RETURNING account_id, arrears_since
        )
        SELECT c.account_id, c.arrears_since, a.contact_phone, a.balance_minor
        FROM claimed c JOIN accounts a ON a.id = c.account_id ORDER BY c.account_id
        """,
        now,
        retry_after_s,
    )
    return [
        DueNotice(r["account_id"], r["arrears_since"], r["contact_phone"], r["balance_minor"]) for r in rows
    ]


async def record_notice(
    db: Db, notice: DueNotice, *, now: datetime, serial_no: str | None, detail: str
) -> None:
    await db.execute(
        "UPDATE arrears_notices SET sent_at = $3, serial_no = $4, detail = $5"
        " WHERE account_id = $1 AND arrears_since = $2",
        notice.account_id,
        notice.arrears_since,
        now,
        serial_no,
        detail,
    )


async def statement(
    db: Db, account_id: int, *, since: datetime, until: datetime, first_day: date, last_day: date
) -> dict[str, Any] | None:
    """An account's ledger entries in [since, until), its usage per day in [first_day, last_day], and its
    balance before and after; None for an unknown account."""
    if not await db.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)", account_id):
        return None
    opening = await db.fetchval(
        "SELECT COALESCE(sum(amount_minor), 0) FROM ledger WHERE account_id = $1 AND created_at < $2",
        account_id,
        since,
    )
    entries = await db.fetch(
        "SELECT id, kind, amount_minor, day, created_at, created_by, note FROM ledger"
        " WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, id",
        account_id,
        since,
        until,
    )
    usage = await db.fetch(
        """
        SELECT day, international, sum(messages)::bigint AS messages, sum(parts)::bigint AS parts,
               sum(amount_minor)::bigint AS amount_minor
        FROM usage_daily WHERE account_id = $1 AND day BETWEEN $2 AND $3
        GROUP BY day, international ORDER BY day, international
        """,
        account_id,
        first_day,
        last_day,
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
    rows = await db.fetch(
        """
        SELECT a.id, a.balance_minor, COALESCE(l.total, 0) AS total FROM accounts a
        LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger GROUP BY account_id) l
               ON l.account_id = a.id
        WHERE a.balance_minor <> COALESCE(l.total, 0)
        """
    )
    return [(r["id"], r["balance_minor"], r["total"]) for r in rows]


async def replace_prices(db: Db, rows: list[tuple[str, int]], *, now: datetime) -> int:
    """Set these countries' prices in ONE statement (others keep theirs): all or nothing. A message keeps
    the price stored on it at acceptance."""
    result: str = await db.execute(
        """
        INSERT INTO prices (iso_code, price_minor, updated_at)
        SELECT * FROM unnest($1::text[], $2::bigint[], array_fill($3::timestamptz, ARRAY[cardinality($1)]))
        ON CONFLICT (iso_code) DO UPDATE SET price_minor = EXCLUDED.price_minor, updated_at = EXCLUDED.updated_at
        """,
        [iso for iso, _ in rows],
        [price for _, price in rows],
        now,
    )
    return int(result.split()[-1])


async def list_prices(db: Db) -> list[tuple[str, int, datetime]]:
    rows = await db.fetch("SELECT iso_code, price_minor, updated_at FROM prices ORDER BY iso_code")
    return [(r["iso_code"], r["price_minor"], r["updated_at"]) for r in rows]
