"""pullsendstatus and pullcallbackstatus: the rollups API 3.0's statistics read, for one application."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from api.legacy_v5.call import Answer, V5Call, authenticated_app
from api.legacy_v5.codes import OK
from api.legacy_v5.wire import parse_date_span
from core.domain.time_ranges import statistics_window
from core.services import statistics
from core.services.statistics import Totals


async def _totals(call: V5Call) -> Totals:
    app = await authenticated_app(call)
    begin, end = parse_date_span(call.body)
    window = statistics_window(begin, end, tz=ZoneInfo(call.state.settings.timezone), now=call.now)
    return await statistics.app_totals(
        call.state.platform, app.sdk_app_id, since=window.begin, until=window.end
    )


async def pull_send_statistics(call: V5Call) -> Answer:
    t = await _totals(call)
    data = {"request": t.requests, "success": t.accepted, "bill_number": t.fee_parts}
    return {"result": OK, "errmsg": "OK", "data": data}


async def pull_callback_statistics(call: V5Call) -> Answer:
    t = await _totals(call)
    data = {
        "success": t.accepted,
        "status": t.reports,
        "status_success": t.delivered,
        "status_fail": t.failed,
        "status_fail_0": t.internal_error,
        "status_fail_1": t.invalid_number,
        "status_fail_2": t.shutdown,
        "status_fail_3": t.blacklist,
        "status_fail_4": t.frequency_limit,
    }
    return {"result": OK, "errmsg": "OK", "data": data}
