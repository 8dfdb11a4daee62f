"""pullstatus and pullstatus4mobile: delivery reports (type 0) and replies (type 1), taken from the app's pull
queue or looked up by number in a time window."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.legacy_v5.call import Answer, V5Call
from api.legacy_v5.codes import OK
from api.legacy_v5.items import reply_item, report_item
from api.legacy_v5.wire import parse_pull
from core.domain.errors import Code, PlatformError
from core.domain.phone import normalize_phone
from core.domain.time_ranges import pull_window
from core.services import reports, sending


async def pull(call: V5Call) -> Answer:
    envelope = call.envelope()
    body = parse_pull(call.body, by_mobile=False)
    app = await call.authenticate(
        await sending.app_context(call.state.platform, call.sdk_app_id), envelope, []
    )
    items = await reports.pull(call.state.platform, app.sdk_app_id, body.kind, body.max)
    return _pulled(call, body.kind, items)


async def pull_by_mobile(call: V5Call) -> Answer:
    envelope = call.envelope()
    body = parse_pull(call.body, by_mobile=True)
    app = await call.authenticate(
        await sending.app_context(call.state.platform, call.sdk_app_id), envelope, []
    )
    assert body.tel is not None
    phone = normalize_phone(body.tel.phone)
    if phone is None:
        raise PlatformError(Code.INCORRECT_PHONE)
    window = pull_window(body.begin_time, body.end_time, now=call.now)
    items = await reports.by_phone(
        call.state.platform,
        app.sdk_app_id,
        body.kind,
        phone.e164,
        begin=window.begin,
        end=window.end,
        limit=body.max,
        offset=0,
    )
    return _pulled(call, body.kind, items)


def _pulled(call: V5Call, kind: str, items: list[dict[str, Any]]) -> Answer:
    tz = ZoneInfo(call.state.settings.timezone)
    data = []
    for item in items:
        parsed = normalize_phone(item["phone"])
        nationcode, mobile = (parsed.country_code, parsed.national) if parsed else ("", item["phone"])
        if kind == "status":
            receive = datetime.fromtimestamp(int(item["report_time"]), tz).strftime("%Y-%m-%d %H:%M:%S")
            data.append(report_item(item, nationcode=nationcode, mobile=mobile, receive_time=receive))
        else:
            data.append(reply_item(item, nationcode=nationcode, mobile=mobile))
    return {"result": OK, "errmsg": "ok", "count": len(data), "data": data}
