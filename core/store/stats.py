"""Hourly statistics rollups (stats_hourly): written in the statements that record sends, reports and
callbacks, read by the statistics APIs and the operator's view. Never computed by scanning messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from core.domain.sending import RequestCounts

Db = asyncpg.Connection | asyncpg.Pool

SHARDS = 8


def shard_sql() -> str:
    """The row a writer adds to: by backend, so concurrent connections of one application do not all update
    (and wait for) the same row."""
    return f"(pg_backend_pid() % {SHARDS})::smallint"


def count_requests_sql(first_param: int) -> str:
    """An INSERT counting a request into the rollup, parameters $first..$first+6: account id, sdk_app_id,
    acceptance time, then the four arrays of RequestCounts. Used as a CTE of the intake statement, or alone."""
    p = [f"${first_param + i}" for i in range(7)]
    return f"""
    INSERT INTO stats_hourly AS t (sdk_app_id, hour, iso_code, shard, account_id, requests, accepted, fee_parts)
    SELECT {p[1]}::text, date_trunc('hour', {p[2]}::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', c.iso,
           {shard_sql()}, {p[0]}::bigint, c.requests, c.accepted, c.fee_parts
    FROM unnest({p[3]}::text[], {p[4]}::bigint[], {p[5]}::bigint[], {p[6]}::bigint[])
         AS c(iso, requests, accepted, fee_parts)
    ON CONFLICT (sdk_app_id, hour, iso_code, shard) DO UPDATE SET
        requests = t.requests + EXCLUDED.requests, accepted = t.accepted + EXCLUDED.accepted,
        fee_parts = t.fee_parts + EXCLUDED.fee_parts"""  # noqa: S608 - fixed SQL fragments, values are parameters


def request_count_args(
    account_id: int, sdk_app_id: str, at: datetime, counts: RequestCounts
) -> tuple[object, ...]:
    return (
        account_id,
        sdk_app_id,
        at,
        list(counts.iso_codes),
        list(counts.requests),
        list(counts.accepted),
        list(counts.fee_parts),
    )


async def count_requests(
    db: Db, account_id: int, sdk_app_id: str, at: datetime, counts: RequestCounts
) -> None:
    """Count a request none of whose numbers was accepted (nothing else is written for it)."""
    await db.execute(count_requests_sql(1), *request_count_args(account_id, sdk_app_id, at, counts))


_SUMS = """
    COALESCE(sum(requests), 0)::bigint AS requests, COALESCE(sum(accepted), 0)::bigint AS accepted,
    COALESCE(sum(fee_parts), 0)::bigint AS fee_parts, COALESCE(sum(reports), 0)::bigint AS reports,
    COALESCE(sum(delivered), 0)::bigint AS delivered, COALESCE(sum(failed), 0)::bigint AS failed,
    COALESCE(sum(internal_error), 0)::bigint AS internal_error,
    COALESCE(sum(invalid_number), 0)::bigint AS invalid_number,
    COALESCE(sum(shutdown), 0)::bigint AS shutdown, COALESCE(sum(blacklist), 0)::bigint AS blacklist,
    COALESCE(sum(frequency_limit), 0)::bigint AS frequency_limit,
    COALESCE(sum(callbacks_delivered), 0)::bigint AS callbacks_delivered,
    COALESCE(sum(callbacks_given_up), 0)::bigint AS callbacks_given_up"""


@dataclass(frozen=True)
class Totals:
    requests: int
    accepted: int
    fee_parts: int
    reports: int
    delivered: int
    failed: int
    internal_error: int
    invalid_number: int
    shutdown: int
    blacklist: int
    frequency_limit: int
    callbacks_delivered: int
    callbacks_given_up: int


async def app_totals(db: Db, sdk_app_id: str, *, since: datetime, until: datetime) -> Totals:
    """An application's counters over the hours in [since, until)."""
    row = await db.fetchrow(
        f"SELECT {_SUMS} FROM stats_hourly WHERE sdk_app_id = $1 AND hour >= $2 AND hour < $3",  # noqa: S608 - fixed SQL fragments, values are parameters
        sdk_app_id,
        since,
        until,
    )
    assert row is not None
    return Totals(**dict(row))


@dataclass(frozen=True)
class DayRow:
    day: date
    account_id: int
    sdk_app_id: str
    iso_code: str  # '' for callback counters, which belong to no country
    totals: Totals

    def to_json(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "account_id": self.account_id,
            "sdk_app_id": self.sdk_app_id,
            "country": self.iso_code,
            **self.totals.__dict__,
        }


async def daily_rows(
    db: Db,
    *,
    since: datetime,
    until: datetime,
    timezone: str,
    account_id: int | None = None,
    sdk_app_id: str | None = None,
) -> list[DayRow]:
    """The operator's view: counters per day (in the platform's time zone), account, application, country."""
    rows = await db.fetch(
        f"""
        SELECT (hour AT TIME ZONE $3)::date AS day, account_id, sdk_app_id, iso_code, {_SUMS}
        FROM stats_hourly
        WHERE hour >= $1 AND hour < $2
          AND ($4::bigint IS NULL OR account_id = $4) AND ($5::text IS NULL OR sdk_app_id = $5)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """,  # noqa: S608 - fixed SQL fragments, values are parameters
        since,
        until,
        timezone,
        account_id,
        sdk_app_id,
    )
    keys = ("day", "account_id", "sdk_app_id", "iso_code")
    return [
        DayRow(r["day"], r["account_id"], r["sdk_app_id"], r["iso_code"],
               Totals(**{k: v for k, v in dict(r).items() if k not in keys}))
        for r in rows
    ]  # fmt: skip
