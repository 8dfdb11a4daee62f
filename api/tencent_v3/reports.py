"""API 3.0 reports out (spec 6.3-6.8, 6.20): pull queues, pulls and records by number, statistics. Every
action names an SmsSdkAppId, which must belong to the caller's account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.tencent_v3.report_items import pull_reply, pull_status
from api.tencent_v3.wire import ActionHandler, Call, Result
from core.domain.errors import Code, PlatformError
from core.domain.masking import mask_content
from core.domain.phone import normalize_phone
from core.domain.time_ranges import (
    RECORDS_LOOKBACK,
    page_limit,
    page_offset,
    parse_hour,
    pull_window,
    statistics_window,
)
from core.services import billing, reports, statistics
from core.services.reports import Kind, SendRecordRow

MAX_PACKAGES_PAGE = 500


async def _owned_app(call: Call) -> str:
    sdk_app_id = call.text("SmsSdkAppId")
    if await reports.app_owner(call.state.platform, sdk_app_id) != call.key.account.id:
        raise PlatformError(Code.APP_VERIFY_FAIL)
    return sdk_app_id


async def pull_send_status(call: Call) -> Result:
    limit = page_limit(call.integer("Limit"))
    app = await _owned_app(call)
    items = await reports.pull(call.state.platform, app, "status", limit)
    out = [pull_status(i) for i in items]
    return {"PullSmsSendStatusSet": out}, {"app": app, "code": "Ok", "items": len(out)}


async def pull_reply_status(call: Call) -> Result:
    limit = page_limit(call.integer("Limit"))
    app = await _owned_app(call)
    items = await reports.pull(call.state.platform, app, "reply", limit)
    out = [pull_reply(i) for i in items]
    return {"PullSmsReplyStatusSet": out}, {"app": app, "code": "Ok", "items": len(out)}


class _ByNumber:
    """The parameters shared by the by-number lookups (spec 6.4, 6.6, 6.20)."""

    def __init__(self, call: Call, *, limit_required: bool = True, records: bool = False) -> None:
        begin = call.integer("BeginTime")
        end_raw = call.params.get("EndTime")
        end = None if end_raw is None else call.integer("EndTime")
        if records:
            self.window = pull_window(begin, end, now=call.now, lookback=RECORDS_LOOKBACK)
        else:
            self.window = pull_window(begin, end, now=call.now)
        self.limit = page_limit(call.integer("Limit", required=limit_required, default=10))
        self.offset = page_offset(call.integer("Offset", required=limit_required, default=0))
        phone = normalize_phone(call.text("PhoneNumber"))
        if phone is None:
            raise PlatformError(Code.INCORRECT_PHONE)
        self.phone = phone.e164


def _pull_by_number(
    kind: Kind,
    render: Callable[[dict[str, Any]], dict[str, Any]],
    field: str,
) -> ActionHandler:
    """PullSmsSendStatusByPhoneNumber / PullSmsReplyStatusByPhoneNumber: the same parameters, one lookup."""

    async def handle(call: Call) -> Result:
        q = _ByNumber(call)
        app = await _owned_app(call)
        rows = await reports.by_phone(
            call.state.platform,
            app,
            kind,
            q.phone,
            begin=q.window.begin,
            end=q.window.end,
            limit=q.limit,
            offset=q.offset,
        )
        out = [render(r) for r in rows]
        return {field: out}, {"app": app, "code": "Ok", "items": len(out)}

    return handle


pull_send_status_by_number = _pull_by_number("status", pull_status, "PullSmsSendStatusSet")
pull_reply_status_by_number = _pull_by_number("reply", pull_reply, "PullSmsReplyStatusSet")


# SendRecord.SendStatus (spec 6.21): 1 submit failed, 2 delivered, 3 sending, 4 delivery failed.
def _send_status(row: SendRecordRow) -> int:
    if row.status == "delivered":
        return 2
    if row.status == "failed":
        return 4 if row.carrier_id else 1
    return 3


def _seconds(at: datetime | None) -> int:
    return int(at.timestamp()) if at else 0


async def describe_send_record_list(call: Call) -> Result:
    q = _ByNumber(call, limit_required=False, records=True)
    app = await _owned_app(call)
    total, rows = await reports.send_records(
        call.state.platform,
        app,
        q.phone,
        begin=q.window.begin,
        end=q.window.end,
        limit=q.limit,
        offset=q.offset,
    )
    out = [
        {
            "PhoneNumber": r.phone,
            "SerialNo": r.serial_no,
            "SendStatus": _send_status(r),
            "RequestCode": "Ok",
            "StatusCode": "DELIVRD" if r.status == "delivered" else r.error,
            "IsoCode": r.iso_code,
            "Content": mask_content(r.content, r.template_text, r.sign_name),
            "SendTime": _seconds(r.accepted_at),
            "UserReceiveTime": _seconds(r.reported_at) if r.status == "delivered" else 0,
        }
        for r in rows
    ]
    fields = {"SendRecordSet": out, "TotalCount": total}
    return fields, {"app": app, "code": "Ok", "items": len(out)}


def _statistics_args(call: Call) -> tuple[datetime, datetime]:
    page_offset(call.integer("Offset"))  # required, fixed 0 in the spec: any non-negative value is ignored
    if call.integer("Limit") < 0:
        raise PlatformError(Code.LIMIT_VERIFY_FAIL, "Limit must not be negative.")
    window = statistics_window(
        call.text("BeginTime"), call.text("EndTime"), tz=ZoneInfo(call.state.settings.timezone), now=call.now
    )
    return window.begin.astimezone(UTC), window.end.astimezone(UTC)


async def send_status_statistics(call: Call) -> Result:
    since, until = _statistics_args(call)
    app = await _owned_app(call)
    t = await statistics.app_totals(call.state.platform, app, since=since, until=until)
    fields = {"FeeCount": t.fee_parts, "RequestCount": t.requests, "RequestSuccessCount": t.accepted}
    return {"SendStatusStatistics": fields}, {"app": app, "code": "Ok"}


async def callback_status_statistics(call: Call) -> Result:
    since, until = _statistics_args(call)
    app = await _owned_app(call)
    t = await statistics.app_totals(call.state.platform, app, since=since, until=until)
    fields = {
        "CallbackCount": t.reports,
        "RequestSuccessCount": t.accepted,
        "CallbackFailCount": t.failed,
        "CallbackSuccessCount": t.delivered,
        "InternalErrorCount": t.internal_error,
        "InvalidNumberCount": t.invalid_number,
        "ShutdownErrorCount": t.shutdown,
        "BlackListCount": t.blacklist,
        "FrequencyLimitCount": t.frequency_limit,
    }
    return {"CallbackStatusStatistics": fields}, {"app": app, "code": "Ok"}


async def sms_packages_statistics(call: Call) -> Result:
    """Spec 6.9: the packages of the application's account created between BeginTime and EndTime."""
    limit = call.integer("Limit")
    if not 0 <= limit <= MAX_PACKAGES_PAGE:
        raise PlatformError(Code.LIMIT_VERIFY_FAIL, f"Limit must be between 0 and {MAX_PACKAGES_PAGE}.")
    offset = page_offset(call.integer("Offset"))
    tz = ZoneInfo(call.state.settings.timezone)
    first = parse_hour(call.text("BeginTime"), tz)
    if first is None:
        raise PlatformError(Code.BEGIN_TIME_VERIFY_FAIL, "BeginTime must be an hour as yyyymmddhh.")
    last = parse_hour(call.text("EndTime"), tz)
    if last is None or last < first:
        raise PlatformError(
            Code.END_TIME_VERIFY_FAIL, "EndTime must be an hour as yyyymmddhh, not before BeginTime."
        )
    app = await _owned_app(call)
    packages = await billing.packages(
        call.state.platform,
        call.key.account.id,
        created_since=first.astimezone(UTC),
        created_until=(last + timedelta(hours=1)).astimezone(UTC),
        limit=limit,
        offset=offset,
    )
    out = [
        {
            "PackageCreateTime": _seconds(p.created_at),
            "PackageEffectiveTime": _seconds(p.valid_from),
            "PackageExpiredTime": _seconds(p.valid_until),
            "PackageAmount": p.parts_total,
            "PackageType": p.package_type,
            "PackageId": p.id,
            "CurrentUsage": p.parts_used,
        }
        for p in packages
    ]
    return {"SmsPackagesStatisticsSet": out}, {
        "app": app,
        "code": "Ok",
        "items": len(out),
    }


ACTIONS: dict[str, ActionHandler] = {
    "SmsPackagesStatistics": sms_packages_statistics,
    "PullSmsSendStatus": pull_send_status,
    "PullSmsReplyStatus": pull_reply_status,
    "PullSmsSendStatusByPhoneNumber": pull_send_status_by_number,
    "PullSmsReplyStatusByPhoneNumber": pull_reply_status_by_number,
    "DescribeSendRecordList": describe_send_record_list,
    "SendStatusStatistics": send_status_statistics,
    "CallbackStatusStatistics": callback_status_statistics,
}
