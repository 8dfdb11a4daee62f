"""Hourly statistics rollups (stats_hourly): written in the statements that record sends, reports and
callbacks, read by the statistics APIs and the operator's view (sql/queries/stats.sql). Never computed by
scanning messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from core.domain.sending import RequestCounts
from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool


async def count_requests(
    db: Db, account_id: int, sdk_app_id: str, at: datetime, counts: RequestCounts
) -> None:
    """Count a request none of whose numbers was accepted (nothing else is written for it)."""
    await queries.execute(
        db,
        "count_requests",
        account_id=account_id,
        sdk_app_id=sdk_app_id,
        at=at,
        iso_codes=list(counts.iso_codes),
        requests=list(counts.requests),
        accepted=list(counts.accepted),
        fee_parts=list(counts.fee_parts),
    )


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
    conversions: int  # conversion reports of the messages accepted in these hours


async def app_totals(db: Db, sdk_app_id: str, *, since: datetime, until: datetime) -> Totals:
    """An application's counters over the hours in [since, until)."""
    row = await queries.fetchrow(db, "app_totals", sdk_app_id=sdk_app_id, since=since, until=until)
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
    rows = await queries.fetch(
        db,
        "daily_rows",
        since=since,
        until=until,
        timezone=timezone,
        account_id=account_id,
        sdk_app_id=sdk_app_id,
    )
    keys = ("day", "account_id", "sdk_app_id", "iso_code")
    return [
        DayRow(r["day"], r["account_id"], r["sdk_app_id"], r["iso_code"],
               Totals(**{k: v for k, v in dict(r).items() if k not in keys}))
        for r in rows
    ]  # fmt: skip
