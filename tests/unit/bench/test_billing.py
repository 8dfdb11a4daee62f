"""The benchmark's daily-deduction figure: its line in REPORT.md, and bench/billing.py on a real database
(small: the figure itself comes from `make bench`)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from bench.billing import DAY, NAME_PREFIX, measure_deduction
from bench.report import billing_line, summary_markdown

FIGURES = {
    "accounts": 100_000,
    "amount_minor": 114_750_000,
    "seconds": 2.104,
    "accounts_per_s": 47_528.5,
    "repeat_seconds": 0.0123,
    "seed_seconds": 3.21,
    "cleanup_seconds": 4.46,
}


@pytest.fixture
def results() -> dict[str, Any]:
    """A run's results as far as the scheduled-work lines go (the rest is covered by test_bench_report)."""
    return {
        "date": "2026-11-22T05:30:00Z",
        "git_sha": "abc1234",
        "scheduled": {
            "billing": None,
            "gate": {"runs": 2, "seconds": 0.8},
            "note": "Gate only.",
        },
    }


def test_billing_line_reads_as_one_sentence() -> None:
    assert billing_line(FIGURES) == (
        "Daily deduction: 100,000 accounts charged in 2.1 s (47,528 accounts/s); a repeat run: 12 ms, "
        "charges nothing (seeding 3.2 s, clean-up 4.5 s)."
    )


def test_billing_line_shows_short_runs_in_milliseconds_and_copes_with_missing_figures() -> None:
    figures = {"accounts": 10_000, "seconds": 0.0834, "accounts_per_s": 119_904.1, "repeat_seconds": 0.00042}
    assert billing_line(figures) == (
        "Daily deduction: 10,000 accounts charged in 83 ms (119,904 accounts/s); a repeat run: 0.4 ms, "
        "charges nothing."
    )
    assert billing_line({"accounts": 5}) == (
        "Daily deduction: 5 accounts charged in n/a (n/a accounts/s); a repeat run: n/a, charges nothing."
    )


def test_summary_prints_the_billing_line_under_scheduled_work(results: dict[str, Any]) -> None:
    results["scheduled"]["billing"] = FIGURES
    results["scheduled"]["note"] = "Daily deduction: deduct_day on seeded accounts."
    md = summary_markdown(results, "results/x.png")
    lines = md.splitlines()
    at = lines.index("- Scheduled work: Daily deduction: deduct_day on seeded accounts.")
    assert lines[at + 1] == f"  - {billing_line(FIGURES)}"
    assert lines[at + 2] == "  - gate: runs=2, seconds=0.8"
    assert "billing: accounts=" not in md


def test_summary_without_billing_figures_prints_no_billing_line(results: dict[str, Any]) -> None:
    md = summary_markdown(results, "results/x.png")
    assert "Daily deduction:" not in md and "billing:" not in md


@pytest.mark.parametrize("accounts", [1, 300])
async def test_measure_deduction_charges_every_seeded_account_once_and_cleans_up(
    database_url: str, accounts: int
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        before = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            for table in ("accounts", "ledger", "usage_daily", "billing_days")
        }
        figures = await measure_deduction(database_url, accounts=accounts)
        after = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            for table in ("accounts", "ledger", "usage_daily", "billing_days")
        }
    finally:
        await conn.close()
    assert figures["accounts"] == accounts
    assert 45 * accounts <= figures["amount_minor"] <= 45 * 50 * accounts  # 1 to 50 parts each
    assert figures["amount_minor"] % 45 == 0
    assert figures["seconds"] > 0 and figures["accounts_per_s"] > 0
    assert figures["repeat_seconds"] >= 0 and figures["seed_seconds"] >= 0
    assert after == before


async def test_measure_deduction_removes_leftovers_of_a_run_that_died(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """
            WITH a AS (INSERT INTO accounts (name, kind, balance_minor) VALUES ($1 || 'x', 'organization', 0)
                       RETURNING id)
            INSERT INTO usage_daily
                (account_id, day, international, monthly, shard, messages, parts, amount_minor)
            SELECT id, $2, false, false, 0, 1, 1, 45 FROM a
            """,
            NAME_PREFIX,
            DAY,
        )
        await conn.execute(
            "INSERT INTO billing_days (day, charged_at, accounts, amount_minor) VALUES ($1, now(), 1, 45)",
            DAY,
        )
        figures = await measure_deduction(database_url, accounts=20)
        assert figures["accounts"] == 20
        assert (
            await conn.fetchval("SELECT count(*) FROM accounts WHERE name LIKE $1 || '%'", NAME_PREFIX) == 0
        )
        assert await conn.fetchval("SELECT count(*) FROM usage_daily WHERE day = $1", DAY) == 0
        assert await conn.fetchval("SELECT count(*) FROM billing_days WHERE day = $1", DAY) == 0
    finally:
        await conn.close()


async def test_measure_deduction_refuses_a_day_already_charged_by_someone_else(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO billing_days (day, charged_at, accounts, amount_minor) VALUES ($1, now(), 0, 0)", DAY
        )
        with pytest.raises(RuntimeError, match="already charged"):
            await measure_deduction(database_url, accounts=5)
        assert await conn.fetchval("SELECT count(*) FROM billing_days WHERE day = $1", DAY) == 1
    finally:
        await conn.close()
