"""The exact entries of API 3.0's pull answers (spec 6.21), built from a queued item (see core.store.report_feed:
a status is {serial_no, phone, delivered, error, report_time (Unix s), session_context}; a reply is
{phone, text, sign, extend, time (Unix s)})."""

from __future__ import annotations

from typing import Any

from core.domain.phone import split_phone


def pull_status(item: dict[str, Any]) -> dict[str, Any]:
    """A PullSmsSendStatus entry (spec 6.21)."""
    country, national = split_phone(item["phone"])
    return {
        "UserReceiveTime": item["report_time"],
        "CountryCode": country,
        "SubscriberNumber": national,
        "PhoneNumber": item["phone"],
        "SerialNo": item["serial_no"],
        "ReportStatus": "SUCCESS" if item["delivered"] else "FAIL",
        "Description": item["error"],
        "SessionContext": item["session_context"],
    }


def pull_reply(item: dict[str, Any]) -> dict[str, Any]:
    """A PullSmsReplyStatus entry (spec 6.21)."""
    country, national = split_phone(item["phone"])
    return {
        "ExtendCode": item["extend"],
        "CountryCode": country,
        "PhoneNumber": item["phone"],
        "SignName": item["sign"],
        "ReplyContent": item["text"],
        "ReplyTime": item["time"],
        "SubscriberNumber": national,
    }
