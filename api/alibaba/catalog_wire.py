"""Alibaba's words for the catalog (spec 5): review states as SignStatus / TemplateStatus numbers and AuditStatus
strings, dates, pages, and the fields of the newer calls the platform has nothing behind. Vocabulary only: what
may be submitted is decided by core.services.catalog."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from api.alibaba.wire import AliCall, Params, invalid

TIME = "%Y-%m-%d %H:%M:%S"
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10

# The platform's review states (core/domain/review.py) as SignStatus / TemplateStatus: 0 reviewing, 1 approved,
# 2 rejected (see Reason), 10 cancelled.
_STATUS = {"pending": 0, "reviewing": 0, "approved": 1, "rejected": 2, "deleted": 10}
_AUDIT = {
    "pending": "AUDIT_STATE_INIT",
    "reviewing": "AUDIT_STATE_INIT",
    "approved": "AUDIT_STATE_PASS",
    "rejected": "AUDIT_STATE_NOT_PASS",
    "deleted": "AUDIT_STATE_CANCEL",
}


def status_number(status: str) -> int:
    return _STATUS[status]


def audit_state(status: str) -> str:
    return _AUDIT[status]


def stamp(call: AliCall, at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(call.state.settings.timezone)).strftime(TIME)


def decided_at(call: AliCall, status: str, updated_at: datetime | None) -> str:
    """When the operator decided (the item's last change once approved or rejected); "" while waiting."""
    return stamp(call, updated_at) if status in ("approved", "rejected") else ""


def reject_reason(call: AliCall, status: str, reply: str, updated_at: datetime | None) -> dict[str, str]:
    """QuerySms*List's Reason object: the operator's review reply, for a rejected item."""
    rejected = status == "rejected"
    return {
        "RejectDate": stamp(call, updated_at) if rejected else "",
        "RejectInfo": reply if rejected else "",
        "RejectSubInfo": "",
    }


def page(params: Params) -> tuple[int, int]:
    """PageIndex (from 1) and PageSize (1-50): (limit, offset)."""
    index = params.integer("PageIndex", required=False, default=1, low=1, high=1_000_000)
    size = params.integer("PageSize", required=False, default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    return size, (index - 1) * size


def no_files(params: Params) -> None:
    """MoreData names files uploaded to Alibaba's storage (GetOSSInfoForUploadFile), which the platform does not
    offer: refused rather than dropped, so no one believes a file reached the reviewer."""
    value = params.json_value("MoreData", required=False)
    if value is None:
        return
    if not isinstance(value, list):
        raise invalid("MoreData must be a JSON array of strings.")
    if value:
        raise invalid(
            "MoreData (files in Alibaba's storage) is not offered by this platform: send the documents in "
            "AddSmsSign's SignFileList."
        )
