"""Every named statement of sql/queries/ against the migrated schema: Postgres parses and plans each one
(PREPARE) and finds exactly the parameters its names say, so a typo or a dropped column fails here, not only
in the one path that runs the statement."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from core.domain.phone import Phone
from core.domain.sending import RequestCounts
from core.store.admin import create_account, create_app
from core.store.intake import ensure_partitions, insert_batch
from core.store.messages import DeliveryReport, apply_reports
from core.store.queries import QUERIES
from tests.keyring import KEYRING


async def test_every_statement_prepares_against_the_schema(db: asyncpg.Pool) -> None:
    failures = []
    async with db.acquire() as conn:
        for query in QUERIES.values():
            try:
                prepared = await conn.prepare(query.sql)
            except asyncpg.PostgresError as exc:
                failures.append(f"{query.name} ({query.source}): {exc}")
                continue
            if len(prepared.get_parameters()) != len(query.params):
                failures.append(
                    f"{query.name}: {len(prepared.get_parameters())} parameters, not {query.params}"
                )
    assert not failures, "\n".join(failures)


async def test_each_fan_out_function_runs_once_per_statement_not_once_per_row(db: asyncpg.Pool) -> None:
    """insert_batch counts and bills a batch, apply_reports publishes its final statuses: each through ONE call
    of the function of migration 0012, with the whole batch as arrays."""
    account = await create_account(db, KEYRING, name="fanout", kind="organization")
    app = await create_app(db, KEYRING, account_id=account.account_id, name="fanout")
    now = datetime.now(UTC)
    await ensure_partitions(db, now, days=1)
    phones = [Phone(f"+86138{i:08d}", "86", f"138{i:08d}", "CN") for i in range(50)]
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL track_functions = 'pl'")
        batch = await insert_batch(
            conn, KEYRING, account_id=account.account_id, sdk_app_id=app.sdk_app_id, sign_name="S", template_id=1,
            content="hello", parts=1, session_contexts=[""] * len(phones), phones=phones, now=now, stale_after_s=60,
            counts=RequestCounts(("CN",), (50,), (50,), (50,)), usage_day=now.date(),
        )  # fmt: skip
        reports = [DeliveryReport(serial, "c", True, "", now) for serial in batch.serials.values()]
        applied = await apply_reports(conn, reports)
        assert applied.count == 50
        calls = {
            r["funcname"]: r["calls"]
            for r in await conn.fetch("SELECT funcname, calls FROM pg_stat_xact_user_functions")
        }
    assert calls == {"count_request": 1, "add_usage": 1, "publish_final_statuses": 1}


async def test_fan_out_functions_take_an_empty_batch(db: asyncpg.Pool) -> None:
    """A statement whose CTE is empty hands the functions NULL (array_agg of no rows): they do nothing."""
    assert await db.fetchval("SELECT publish_final_statuses(NULL)") == []
    await db.execute("SELECT add_usage(current_date, true, NULL)")
    assert await db.fetchval("SELECT count(*) FROM usage_daily") == 0
