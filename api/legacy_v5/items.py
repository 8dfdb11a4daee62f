"""The items a pull answers with (A4): delivery reports (type 0) and replies (type 1). Pure."""

from __future__ import annotations

from typing import Any


def report_item(item: dict[str, Any], *, nationcode: str, mobile: str, receive_time: str) -> dict[str, Any]:
    """A type-0 pull item from a queued status (core.domain.reports): SUCCESS/FAIL with the carrier's code."""
    delivered = bool(item["delivered"])
    error = str(item["error"] or "")
    return {
        "user_receive_time": receive_time,
        "nationcode": nationcode,
        "mobile": mobile,
        "report_status": "SUCCESS" if delivered else "FAIL",
        "errmsg": error,
        "description": "user received" if delivered else f"delivery failed ({error or 'unknown'})",
        "sid": item["serial_no"],
    }


def reply_item(item: dict[str, Any], *, nationcode: str, mobile: str) -> dict[str, Any]:
    """A type-1 pull item from a queued reply."""
    return {
        "nationcode": nationcode,
        "mobile": mobile,
        "text": item["text"],
        "sign": item["sign"],
        "time": int(item["time"]),
        "extend": item["extend"],
    }
