"""The daily deduction's cost (billing issue: "100,000 accounts with usage are charged in seconds"): seed that
many accounts with one day's usage, time `deduct_day` for that day, check every account was charged exactly
once, time a repeat run (a no-op), and remove everything seeded.

The day is far from any real traffic (2000-01-01), so the benchmark's own usage and billing days are untouched,
and the worker's deduction (which only looks back a few days) never sees it. Seeded accounts are named
`bench-billing <n>`; their balances stay positive, so no arrears (and no overdue notices) follow."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from core.store.billing import deduct_day

DAY = date(2000, 1, 1)
NAME_PREFIX = "bench-billing "
OPENING_MINOR = 10**9  # far above any seeded day's usage: nobody goes into arrears
PRICE_MINOR = 45  # one mainland part

# One statement: the accounts, their opening ledger entries (balance = sum of ledger, as everywhere else) and
# one usage row each for DAY: mainland, settled daily, 1 to 50 parts.
SEED_SQL = """
WITH a AS (
    INSERT INTO accounts (name, kind, balance_minor)
    SELECT $1 || g, 'organization', $2 FROM generate_series(1, $3::int) AS g
    RETURNING id, created_at
), opening AS (
    INSERT INTO ledger (account_id, kind, amount_minor, created_at, created_by, note)
    SELECT id, 'opening', $2, created_at, 'bench', 'bench seed' FROM a
), usage AS (
    INSERT INTO usage_daily (account_id, day, international, monthly, shard, messages, parts, amount_minor)
    SELECT id, $4, false, false, 0, 1 + id % 50, 1 + id % 50, $5 * (1 + id % 50) FROM a
    RETURNING amount_minor
)
SELECT count(*), coalesce(sum(amount_minor), 0)::bigint FROM usage
"""
OURS = "SELECT id FROM accounts WHERE name LIKE $1 || '%'"
CHECK_SQL = f"""
SELECT count(*) AS charges, coalesce(-sum(amount_minor), 0)::bigint AS amount
FROM ledger WHERE kind = 'daily_charge' AND day = $2 AND account_id IN ({OURS})
"""  # noqa: S608 - fixed fragments, values are parameters
BALANCE_SQL = f"""
SELECT count(*) FROM accounts a JOIN usage_daily u ON u.account_id = a.id AND u.day = $2
WHERE a.id IN ({OURS}) AND a.balance_minor <> $3 - u.amount_minor
"""  # noqa: S608 - fixed fragments, values are parameters

# Single-column foreign keys to accounts(id): the tables whose rows of the seeded accounts go with them (names
# as Postgres prints them, quoted where needed).
REFERRING_SQL = """
SELECT c.conrelid::regclass::text AS tbl, quote_ident(att.attname) AS col
FROM pg_constraint c JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.confrelid = 'accounts'::regclass AND cardinality(c.conkey) = 1
ORDER BY 1
"""


async def measure_deduction(database_url: str, *, accounts: int = 100_000) -> dict[str, Any]:
    """Seed `accounts` accounts with usage on DAY, time the deduction and a repeat, verify, clean up."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await _cleanup(pool)
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM billing_days WHERE day = $1)", DAY):
                raise RuntimeError(f"{DAY} is already charged in this database: not a bench day")
        try:
            async with pool.acquire() as conn:
                started = time.perf_counter()
                seed = await conn.fetchrow(SEED_SQL, NAME_PREFIX, OPENING_MINOR, accounts, DAY, PRICE_MINOR)
                await conn.execute("ANALYZE accounts, usage_daily, ledger")  # a live platform has statistics
                seed_s = time.perf_counter() - started
            assert seed is not None
            seeded, seeded_minor = int(seed[0]), int(seed[1])

            started = time.perf_counter()
            charged = await deduct_day(pool, DAY, now=datetime.now(UTC))
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            repeat = await deduct_day(pool, DAY, now=datetime.now(UTC))
            repeat_s = time.perf_counter() - started

            async with pool.acquire() as conn:
                check = await conn.fetchrow(CHECK_SQL, NAME_PREFIX, DAY)
                wrong_balances = await conn.fetchval(BALANCE_SQL, NAME_PREFIX, DAY, OPENING_MINOR)
            assert check is not None
            charges, charged_minor = int(check[0]), int(check[1])
        finally:
            started = time.perf_counter()
            await _cleanup(pool)
            cleanup_s = time.perf_counter() - started
    finally:
        await pool.close()

    problems = []
    if seeded != accounts:
        problems.append(f"{seeded} usage rows seeded")
    if charged is None or charged.accounts != accounts or charged.amount_minor != seeded_minor:
        problems.append(f"deduct_day returned {charged}")
    if charges != accounts or charged_minor != seeded_minor:
        problems.append(f"the ledger holds {charges} charges for {charged_minor} (seeded {seeded_minor})")
    if wrong_balances:
        problems.append(f"{wrong_balances} balances not reduced by exactly their usage")
    if repeat is not None:
        problems.append(f"the repeat run charged again: {repeat}")
    if problems:
        raise RuntimeError(f"daily deduction of {accounts:,} seeded accounts: " + "; ".join(problems))
    return {
        "accounts": accounts,
        "amount_minor": seeded_minor,
        "seconds": round(seconds, 3),
        "accounts_per_s": round(accounts / seconds, 1) if seconds > 0 else None,
        "repeat_seconds": round(repeat_s, 4),
        "seed_seconds": round(seed_s, 3),
        "cleanup_seconds": round(cleanup_s, 3),
    }


async def _cleanup(pool: asyncpg.Pool) -> None:
    """Remove whatever a bench deduction seeded (also a run that died midway): its accounts' usage and every
    row referring to them (ledger entries, notices, whatever billing adds later: found from the foreign keys),
    the accounts, and the bench day's billing-day row."""
    async with pool.acquire() as conn, conn.transaction():
        ids = [r["id"] for r in await conn.fetch(OURS, NAME_PREFIX)]
        if not ids:
            return
        referring = await conn.fetch(REFERRING_SQL)
        tables = [("usage_daily", "account_id"), *((r["tbl"], r["col"]) for r in referring)]
        for table, column in tables:
            await conn.execute(
                f"DELETE FROM {table} WHERE {column} = ANY($1::bigint[])",  # noqa: S608
                ids,
            )
        await conn.execute("DELETE FROM billing_days WHERE day = $1", DAY)
        # Every row referring to these accounts is gone (above, in this transaction): skip the foreign-key
        # checks, one per referring table and account (~9 s for 100,000 accounts). Needs a superuser, as the
        # embedded Postgres is; elsewhere the checks run.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("DELETE FROM accounts WHERE id = ANY($1::bigint[])", ids)
