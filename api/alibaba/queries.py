"""QuerySendDetails and QuerySendStatistics (spec 5): the same records and rollups API 3.0 reads, for the
caller's whole account (Alibaba's calls name no application), in Alibaba's names and exact JSON types."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.alibaba.sends import phone_number
from api.alibaba.wire import ActionHandler, AliCall, Params, Result, invalid
from core.domain.masking import mask_content
from core.domain.phone import normalize_phone
from core.domain.serial import parse_biz_id
from core.services import reports, statistics
from core.services.reports import SendDetailRow

DETAILS_LOOKBACK_DAYS = 30  # QuerySendDetails: a SendDate within the last 30 days
STATISTICS_SPAN_DAYS = 31
MAX_PAGE_SIZE = 50
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
TIME = "%Y-%m-%d %H:%M:%S"
# SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered.
WAITING, FAILED, DELIVERED = 1, 2, 3


def _day(params: Params, name: str) -> date:
    text = params.text(name)
    try:
        if not (len(text) == 8 and text.isascii() and text.isdigit()):
            raise ValueError(text)
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise invalid(f"{name} must be a date written yyyyMMdd.") from None
    # The day after, at local midnight, and its UTC instant must exist (year 1 and 9999 overflow).
    if not FIRST_DAY <= day <= LAST_DAY:
        raise invalid(f"{name} must be between {FIRST_DAY:%Y%m%d} and {LAST_DAY:%Y%m%d}.")
    return day


def _today(call: AliCall) -> date:
    return datetime.fromtimestamp(call.now, ZoneInfo(call.state.settings.timezone)).date()


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _send_status(status: str) -> int:
    if status == "delivered":
        return DELIVERED
    if status == "failed":
        return FAILED
    return WAITING  # queued, sending, sent, unknown: no final receipt yet


def _detail(row: SendDetailRow, zone: ZoneInfo, phone: str) -> dict[str, Any]:
    r = row.record
    status = _send_status(r.status)
    final = status != WAITING and r.reported_at is not None
    return {
        "PhoneNum": phone,
        "SendStatus": status,
        "ErrCode": "DELIVERED" if status == DELIVERED else r.error,
        "TemplateCode": f"SMS_{row.template_id}",
        "Content": mask_content(r.content, r.template_text, r.sign_name),
        "SendDate": r.accepted_at.astimezone(zone).strftime(TIME),
        "ReceiveDate": r.reported_at.astimezone(zone).strftime(TIME) if final and r.reported_at else "",
        "OutId": row.session_context,
    }


async def query_send_details(call: AliCall) -> Result:
    params = call.params
    raw = params.text("PhoneNumber")
    phone = normalize_phone(phone_number(raw))
    if phone is None or "," in raw:
        raise invalid("PhoneNumber must be one valid number.")
    day = _day(params, "SendDate")
    today = _today(call)
    if not today - timedelta(days=DETAILS_LOOKBACK_DAYS) <= day <= today:
        raise invalid(f"SendDate must be within the last {DETAILS_LOOKBACK_DAYS} days.")
    size = params.integer("PageSize", low=1, high=MAX_PAGE_SIZE)
    page = params.integer("CurrentPage", low=1, high=1_000_000)
    biz = params.text("BizId", required=False)
    request_no = parse_biz_id(biz) if biz else None
    if biz and request_no is None:  # not one of ours: nothing was sent under it
        return _details("0", []), {"code": "OK", "items": 0}
    zone = ZoneInfo(call.state.settings.timezone)
    total, rows = await reports.send_details(
        call.state.platform,
        call.key.account.id,
        phone.e164,
        begin=_local_midnight(day, zone),
        end=_local_midnight(day + timedelta(days=1), zone),
        request_no=request_no,
        limit=size,
        offset=(page - 1) * size,
    )
    shown = raw.strip() or phone.national
    return _details(str(total), [_detail(r, zone, shown) for r in rows]), {"code": "OK", "items": len(rows)}


def _details(total: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    # TotalCount is a string in the SDK's model (spec 5); the list sits one object deeper than it looks.
    return {"TotalCount": total, "SmsSendDetailDTOs": {"SmsSendDetailDTO": items}}


async def query_send_statistics(call: AliCall) -> Result:
    params = call.params
    globe = params.integer("IsGlobe", low=1, high=2)
    start, end = _day(params, "StartDate"), _day(params, "EndDate")
    if end < start or (end - start).days >= STATISTICS_SPAN_DAYS:
        raise invalid(f"EndDate must be on or after StartDate, at most {STATISTICS_SPAN_DAYS} days in all.")
    page = params.integer("PageIndex", required=False, default=1, low=1, high=1_000_000)
    size = params.integer("PageSize", required=False, default=10, low=1, high=MAX_PAGE_SIZE)
    for name in ("TemplateType", "SignName"):
        if params.text(name, required=False):
            # The rollups count per application and country, not per signature or template type.
            raise invalid(f"Filtering the statistics by {name} is not offered by this platform.")
    zone = ZoneInfo(call.state.settings.timezone)
    rows = await statistics.daily(
        call.state.platform,
        since=_local_midnight(start, zone),
        until=_local_midnight(end + timedelta(days=1), zone),
        account_id=call.key.account.id,
    )
    days: dict[date, list[int]] = {}
    for row in rows:
        if not row.iso_code or (row.iso_code == "CN") != (globe == 1):
            continue  # callback counters (no country), or the other side of IsGlobe
        t = days.setdefault(row.day, [0, 0, 0])
        t[0] += row.totals.accepted
        t[1] += row.totals.delivered
        t[2] += row.totals.failed
    ordered = sorted(days.items(), reverse=True)
    targets = [
        {
            "SendDate": f"{day:%Y%m%d}",
            "TotalCount": sent,
            "RespondedSuccessCount": delivered,
            "RespondedFailCount": failed,
            "NoRespondedCount": max(sent - delivered - failed, 0),
        }
        for day, (sent, delivered, failed) in ordered[(page - 1) * size : page * size]
    ]
    return {"Data": {"TotalSize": len(ordered), "TargetList": targets}}, {"code": "OK", "days": len(targets)}


ACTIONS: dict[str, ActionHandler] = {
    "QuerySendDetails": query_send_details,
    "QuerySendStatistics": query_send_statistics,
}
