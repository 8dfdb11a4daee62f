"""Statistics (B3, the operator's view): counters summed from the hourly rollups, never from the messages."""

from __future__ import annotations

from datetime import datetime

from core.services.platform import Platform
from core.store import stats
from core.store.stats import DayRow, Totals

__all__ = ["DayRow", "Totals"]


async def app_totals(platform: Platform, sdk_app_id: str, *, since: datetime, until: datetime) -> Totals:
    """An application's counters over the hours in [since, until)."""
    return await stats.app_totals(platform.db, sdk_app_id, since=since, until=until)


async def daily(
    platform: Platform,
    *,
    since: datetime,
    until: datetime,
    account_id: int | None = None,
    sdk_app_id: str | None = None,
) -> list[DayRow]:
    """Counters per day (the platform's time zone), account, application and country."""
    return await stats.daily_rows(
        platform.db,
        since=since,
        until=until,
        timezone=platform.settings.timezone,
        account_id=account_id,
        sdk_app_id=sdk_app_id,
    )
