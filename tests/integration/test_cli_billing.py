"""smsctl's billing commands as an operator runs them (P1, P2): price files imported whole or not at all,
recharges refused unless they are a positive amount, and the month's statement."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from core.store.admin import create_account
from tests.integration.test_cli import smsctl
from tests.keyring import KEYRING


async def prices(database_url: str) -> list[dict[str, Any]]:
    code, listed, err = await smsctl(database_url, "prices", "list")
    assert code == 0, err
    assert listed["currency"] == "CNY"
    rows: list[dict[str, Any]] = listed["prices"]
    return rows


async def test_import_a_price_file_then_list_it(database_url: str, tmp_path: Path) -> None:
    """P1: a price per part per country; the file may come from a spreadsheet (BOM, CRLF, lower case)."""
    assert await prices(database_url) == [
        {"country": "CN", "price": "0.045", "price_minor": 45},
        {"country": "DEF", "price": "0.500", "price_minor": 500},
    ]
    good = tmp_path / "prices.csv"
    good.write_bytes("\ufeffcountry,price,currency\r\nus,0.07,CNY\r\nGB,0.12,cny\r\nCN,0.04,CNY\r\n".encode())

    code, out, err = await smsctl(database_url, "prices", "import", str(good))
    assert code == 0, err
    assert out == {"updated": 3}
    assert await prices(database_url) == [
        {"country": "CN", "price": "0.040", "price_minor": 40},
        {"country": "DEF", "price": "0.500", "price_minor": 500},  # not in the file: kept
        {"country": "GB", "price": "0.120", "price_minor": 120},
        {"country": "US", "price": "0.070", "price_minor": 70},
    ]


async def test_a_file_with_bad_rows_changes_nothing_and_names_every_bad_line(
    database_url: str, tmp_path: Path
) -> None:
    before = await prices(database_url)
    bad = tmp_path / "bad.csv"
    bad.write_text("country,price\nCN,0.05\nUS,-1\nGB,0.12\nFRA,0.3\nJP,0.0451\nCN,0.06\n", encoding="utf-8")

    code, out, err = await smsctl(database_url, "prices", "import", str(bad))
    assert code != 0 and out is None
    assert "nothing imported" in err and "Traceback" not in err
    for line in ("line 3:", "line 5:", "line 6:", "line 7:"):
        assert line in err
    assert "line 2:" not in err and "line 4:" not in err
    assert await prices(database_url) == before

    not_text = tmp_path / "latin1.csv"
    not_text.write_bytes("country,price\nCN,0.05 \xa5\n".encode("latin-1"))
    code, _, err = await smsctl(database_url, "prices", "import", str(not_text))
    assert code != 0 and "UTF-8" in err and "Traceback" not in err
    assert await prices(database_url) == before


async def _account(database_url: str, balance_minor: int) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        made = await create_account(
            conn, KEYRING, name="Acme", kind="organization", balance_minor=balance_minor
        )
    finally:
        await conn.close()
    return str(made.account_id)


async def test_a_recharge_must_be_a_positive_amount(database_url: str) -> None:
    acct = await _account(database_url, 0)
    for args, reason in [
        (("--amount", "-5"), "a recharge must be positive"),
        (("--amount=-5",), "a recharge must be positive"),
        (("--amount", "0"), "a recharge must be positive"),
        (("--amount", "abc"), "is not an amount"),
        (("--amount", "1e3"), "is not an amount"),
        (("--amount", "0.0001"), "more than 3 decimal places"),
    ]:
        code, out, err = await smsctl(database_url, "account", "recharge", "--account", acct, *args)
        assert code != 0 and out is None, args
        assert "--amount" in err and reason in err and "Traceback" not in err, err

    code, _, err = await smsctl(database_url, "account", "recharge", "--account", "999999", "--amount", "1")
    assert code != 0 and "account 999999 does not exist" in err and "Traceback" not in err

    # Nothing was recorded by the refused attempts.
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    code, found, err = await smsctl(database_url, "account", "statement", "--account", acct, "--month", month)
    assert code == 0, err
    assert found["ledger"] == [] and found["closing_balance_minor"] == 0


async def test_recharge_then_the_months_statement_shows_it(database_url: str) -> None:
    """P2: a recharge is a ledger entry; the statement's closing balance is the opening plus the entries."""
    acct = await _account(database_url, 3_000)
    code, done, err = await smsctl(
        database_url, "account", "recharge", "--account", acct, "--amount", "12.5", "--note", "bank transfer"
    )
    assert code == 0, err
    assert done == {
        "account_id": int(acct),
        "recharged": "12.500",
        "balance": "15.500",
        "balance_minor": 15_500,
        "status": "active",
    }

    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    code, found, err = await smsctl(database_url, "account", "statement", "--account", acct, "--month", month)
    assert code == 0, err
    assert found["month"] == month and found["currency"] == "CNY"
    assert [(e["kind"], e["amount_minor"]) for e in found["ledger"]] == [
        ("opening", 3_000),
        ("recharge", 12_500),
    ]
    recharge = found["ledger"][1]
    assert recharge["created_by"] == "operator:cli" and recharge["note"] == "bank transfer"
    assert found["opening_balance_minor"] == 0
    assert found["closing_balance_minor"] == 15_500
    assert found["usage"] == []

    code, _, err = await smsctl(database_url, "account", "statement", "--account", acct, "--month", "2026-13")
    assert code != 0 and "--month" in err and "YYYY-MM" in err and "Traceback" not in err
    code, _, err = await smsctl(database_url, "account", "statement", "--account", "999999", "--month", month)
    assert code != 0 and "account 999999 does not exist" in err
