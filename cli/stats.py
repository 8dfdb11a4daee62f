"""smsctl stats: the operator's statistics per day, account, application and country (the admin API's
GET /admin/v1/stats), summed from the hourly rollups."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

from cli.runtime import emit, with_platform
from core.domain.time_ranges import day_bounds, report_days
from core.infra.settings import Settings
from core.services import statistics


@click.command("stats")
@click.option("--account", "account_id", type=int, default=None, help="Only this account.")
@click.option("--app", "sdk_app_id", default=None, help="Only this application (SdkAppId).")
@click.option(
    "--from",
    "first",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day (default: 6 days ago).",
)
@click.option(
    "--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today)."
)
@click.pass_obj
def stats(
    settings: Settings,
    account_id: int | None,
    sdk_app_id: str | None,
    first: datetime | None,
    last: datetime | None,
) -> None:
    """Counters per day (platform time zone), account, application and country: numbers asked for and
    accepted, billed parts, final statuses by outcome, customer callbacks delivered and given up, and the
    customers' conversion reports of the messages accepted that day."""
    tz = ZoneInfo(settings.timezone)
    try:
        day_from, day_to = report_days(_date(first), _date(last), today=datetime.now(tz).date())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    since, until = day_bounds(day_from, day_to, tz)

    rows = with_platform(
        settings,
        lambda p: statistics.daily(p, since=since, until=until, account_id=account_id, sdk_app_id=sdk_app_id),
    )
    emit({"from": day_from.isoformat(), "to": day_to.isoformat(), "rows": [r.to_json() for r in rows]})


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None
