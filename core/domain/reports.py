"""Delivery reports and replies on their way out to the customer (B2, B3): what a carrier's status means for
the statistics, and the exact shapes of the pull answers (spec 6.21) and callback bodies (spec 9).

Queued items (pull queue, callback queue) are JSON objects written by SQL in core.store.report_feed:
a status is {serial_no, phone, delivered, error, report_time (Unix s), session_context};
a reply is {phone, text, sign, extend, time (Unix s)}."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from core.domain.phone import normalize_phone


class Outcome(StrEnum):
    """A final status as CallbackStatusStatistics counts it: delivered, or failed of one kind."""

    DELIVERED = "delivered"
    FAILED = "failed"  # a failure of no particular kind
    INTERNAL_ERROR = "internal_error"
    INVALID_NUMBER = "invalid_number"
    SHUTDOWN = "shutdown"
    BLACKLIST = "blacklist"
    FREQUENCY_LIMIT = "frequency_limit"


# Carrier status codes (CMPP/SMGP-style `stat` values) by failure kind. Unlisted codes count as plain
# failures. Submit failures (no carrier status at all) are internal errors.
_KINDS: dict[str, Outcome] = {
    **dict.fromkeys(("MK:0001", "MN:0001", "EMPTY", "UNKNOWN", "IC:0001", "MI:0013"), Outcome.INVALID_NUMBER),
    **dict.fromkeys(("MK:0005", "MN:0010", "SHUTDOWN", "POWEROFF", "MI:0020"), Outcome.SHUTDOWN),
    **dict.fromkeys(("BLACK", "BLACKLIST", "MK:0008", "MI:0008", "DB:0141"), Outcome.BLACKLIST),
    **dict.fromkeys(("FREQLIMIT", "MK:0012", "IB:0008", "MI:0012"), Outcome.FREQUENCY_LIMIT),
    **dict.fromkeys(("REJECTD", "ERR", "SYSERR", "MA:0001"), Outcome.INTERNAL_ERROR),
}


def report_outcome(delivered: bool, error: str) -> Outcome:
    if delivered:
        return Outcome.DELIVERED
    return _KINDS.get(error.strip().upper(), Outcome.FAILED)


def submit_failure_outcome() -> Outcome:
    """A message the carrier never took (refused at submit, or retries exhausted)."""
    return Outcome.INTERNAL_ERROR


def _split(phone: str) -> tuple[str, str]:
    parsed = normalize_phone(phone)
    return (parsed.country_code, parsed.national) if parsed else ("", phone.lstrip("+"))


def _description(item: dict[str, Any]) -> str:
    if item["delivered"]:
        return "The SMS message is successfully delivered"
    return f"The SMS message failed to deliver ({item['error'] or 'unknown'})"


def pull_status(item: dict[str, Any]) -> dict[str, Any]:
    """A PullSmsSendStatus entry (spec 6.21)."""
    country, national = _split(item["phone"])
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
    country, national = _split(item["phone"])
    return {
        "ExtendCode": item["extend"],
        "CountryCode": country,
        "PhoneNumber": item["phone"],
        "SignName": item["sign"],
        "ReplyContent": item["text"],
        "ReplyTime": item["time"],
        "SubscriberNumber": national,
    }


def callback_status(item: dict[str, Any], tz: timezone | Any) -> dict[str, Any]:
    """One element of a status-report callback array (spec 9): exactly its 7 documented keys, all strings;
    the time in the platform's time zone, as the console shows it."""
    country, national = _split(item["phone"])
    received = datetime.fromtimestamp(item["report_time"], tz)
    return {
        "user_receive_time": f"{received:%Y-%m-%d %H:%M:%S}",
        "nationcode": country,
        "mobile": national,
        "report_status": "SUCCESS" if item["delivered"] else "FAIL",
        "errmsg": item["error"],
        "description": _description(item),
        "sid": item["serial_no"],
    }


def callback_reply(item: dict[str, Any]) -> dict[str, Any]:
    """A reply callback body (spec 9): one object; `time` a number."""
    country, national = _split(item["phone"])
    return {
        "extend": item["extend"],
        "mobile": national,
        "nationcode": country,
        "sign": item["sign"],
        "text": item["text"],
        "time": item["time"],
    }
