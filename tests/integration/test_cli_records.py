"""`smsctl messages` and `smsctl messages export` as an operator runs them (rule B4): records by application or
account, number and time, newest first, and never a full number on the screen or in the file."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from core.domain.records import CSV_HEADER
from core.infra.settings import environment_with
from core.store.intake import ensure_partitions
from tests.integration.test_cli import smsctl
from tests.records_seed import SeedTenant, insert_message, seed_tenant

NOW = datetime.now(UTC).replace(microsecond=0)
ALICE, BOB = "+8613800138000", "+8613900139000"


async def seed(database_url: str) -> tuple[SeedTenant, SeedTenant]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        # A day back too: one message is 30 hours old, before yesterday between 00:00 and 06:00 UTC.
        await ensure_partitions(pool, NOW - timedelta(days=1), days=2)
        acme, other = await seed_tenant(pool, "Acme", apps=2), await seed_tenant(pool, "Other")
        await insert_message(pool, acme, phone=ALICE, amount="1002", at=NOW - timedelta(hours=3))
        await insert_message(pool, acme, phone=BOB, amount="1003", at=NOW - timedelta(hours=2))
        await insert_message(pool, acme, phone=ALICE, amount="1004", at=NOW - timedelta(hours=1), app=1)
        await insert_message(pool, acme, phone=ALICE, amount="1001", at=NOW - timedelta(hours=30))
        await insert_message(pool, other, phone=ALICE, amount="9999", at=NOW - timedelta(minutes=1))
    finally:
        await pool.close()
    return acme, other


def no_full_number(text: str) -> None:
    for full in (ALICE, BOB, "13800138000", "13900139000", "1002", "1003", "1004"):
        assert full not in text


async def test_messages_shows_masked_records_newest_first(database_url: str) -> None:
    acme, _ = await seed(database_url)
    code, records, err = await smsctl(database_url, "messages", "--app", acme.apps[0])
    assert code == 0, err
    assert [r["phone"] for r in records] == ["+86139****9000", "+86138****8000"]
    assert records[1]["content"] == "【Bank】Dear customer, your top-up payment of 1**2 USD has been credited"
    no_full_number(str(records))

    code, records, err = await smsctl(
        database_url, "messages", "--account", str(acme.account_id), "--phone", ALICE, "--limit", "1"
    )
    assert code == 0, err
    assert [r["sdk_app_id"] for r in records] == [acme.apps[1]]  # the newest, and not the other account's

    since = str(int((NOW - timedelta(days=2)).timestamp()))
    code, records, err = await smsctl(
        database_url, "messages", "--app", acme.apps[0], "--since", since, "--until", NOW.isoformat()
    )
    assert code == 0 and len(records) == 3, err


async def test_bad_record_filters_are_refused_with_a_message(database_url: str) -> None:
    for args, message in [
        ((), "give --app or --account"),
        (("--app", "1400000001", "--since", "yesterday"), "not ISO 8601 or Unix seconds"),
        (("--app", "1400000001", "--phone", "12 34"), "not a valid phone number"),
    ]:
        code, _, err = await smsctl(database_url, "messages", *args)
        assert code != 0 and message in err and "Traceback" not in err


async def test_export_writes_a_masked_csv_to_a_file_or_stdout(database_url: str, tmp_path: Path) -> None:
    acme, _ = await seed(database_url)
    target = tmp_path / "records.csv"
    code, summary, err = await smsctl(
        database_url, "messages", "export", "--account", str(acme.account_id), "--output", str(target)
    )
    assert code == 0, err
    assert summary == {"rows": 3, "output": str(target)}
    text = target.read_bytes().decode()  # as written: CRLF line ends (RFC 4180)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_HEADER) and len(rows) == 4
    no_full_number(text)

    # To stdout, and with the filter given to the group instead: the same records.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "cli", "messages", "--account", str(acme.account_id), "export"),
        env=environment_with(DATABASE_URL=database_url, SMS_LOG_JSON="1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err_bytes = await proc.communicate()
    assert proc.returncode == 0, err_bytes.decode()
    assert out.decode() == text
