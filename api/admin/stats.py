"""The operator's statistics view (GET /admin/v1/stats): counters per day, account, application and country,
summed from the hourly rollups (never by scanning messages)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from aiohttp import web

from api.admin.common import AdminError, bounded_time, json_response, positive_id, state_of
from core.domain.errors import Code
from core.domain.time_ranges import day_bounds, report_days
from core.services import statistics


def _bad(message: str) -> AdminError:
    return AdminError(400, Code.INVALID_PARAMETER_VALUE.value, message)


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _bad(f"`{name}` must be a date as YYYY-MM-DD.") from None
    bounded_time(datetime.combine(day, time(), UTC), name)
    return day


async def stats_get(request: web.Request) -> web.Response:
    state = state_of(request)
    tz = ZoneInfo(state.settings.timezone)
    query = request.query
    try:
        first, last = report_days(
            _day(query.get("from"), "from"),
            _day(query.get("to"), "to"),
            today=datetime.fromtimestamp(state.clock(), tz).date(),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    since, until = day_bounds(first, last, tz)
    rows = await statistics.daily(
        state.platform,
        since=since,
        until=until,
        account_id=positive_id(query["account"], "account") if query.get("account") else None,
        sdk_app_id=query.get("app") or None,
    )
    return json_response(
        {"from": first.isoformat(), "to": last.isoformat(), "rows": [r.to_json() for r in rows]}
    )
