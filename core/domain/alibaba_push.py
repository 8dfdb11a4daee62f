"""Callbacks in Alibaba Cloud SMS's "HTTP batch push" format (aliyun-dysmsapi spec section 7): the bodies
(SmsReport and SmsUp arrays), what counts as the receiver's acknowledgement, and when a failed push is tried
again. Built from the same queue items as the platform's own format (core.domain.callbacks).

Choices the spec leaves open:
- `phone_number`: the national digits of a +86 number (Alibaba's 11-digit mainland form), else the E.164
  number without its '+', as Alibaba writes international numbers;
- `send_time`: when the platform accepted the send request (the moment SendSms answered with the BizId);
- `biz_id`: made from the message's request number; a message accepted before request numbers existed
  (migration 0015) has none and gets its serial number instead;
- `sequence_id`: the reply's id, a JSON number (the older documented type; receivers accept both); a reply
  queued before the reply's id was part of its queue item (issue 15) gets its queue item's id, also unique."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from core.domain.phone import split_phone
from core.domain.serial import biz_id

DELIVERED = "DELIVERED"  # Alibaba's err_code of a delivered message (the carriers say DELIVRD)
DELIVERED_MSG = "用户接收成功"
# The waits after the 1st, 2nd and 3rd failure of a push; when the 3rd retry fails too, it is given up.
RETRY_DELAYS_S = (60, 300, 600)
TEMPLATE_CODE_PREFIX = "SMS_"


@dataclass(frozen=True)
class PushedMessage:
    """What an SmsReport needs of a message beyond its queued status (looked up when the push is built)."""

    accepted_at: int  # epoch seconds
    parts: int
    request_no: int | None
    sign_name: str
    template_id: int


def phone_number(e164: str) -> str:
    country, national = split_phone(e164)
    return national if country == "86" else country + national


def _time(epoch: int, tz: tzinfo) -> str:
    return f"{datetime.fromtimestamp(epoch, tz):%Y-%m-%d %H:%M:%S}"


def sms_report(item: dict[str, Any], message: PushedMessage | None, tz: tzinfo) -> dict[str, Any]:
    """One SmsReport from a queued status (core.domain.callbacks' item: serial_no, phone, delivered, error,
    report_time, session_context). `message` None: the message row is gone (past its retention); the report
    still goes, with what the status itself tells (sent at its report time, one part, no sign or template)."""
    delivered = bool(item["delivered"])
    code = DELIVERED if delivered else (item["error"] or "UNKNOWN")
    serial = item["serial_no"]
    return {
        "phone_number": phone_number(item["phone"]),
        "send_time": _time(message.accepted_at if message else item["report_time"], tz),
        "report_time": _time(item["report_time"], tz),
        "success": delivered,
        "err_code": code,
        "err_msg": DELIVERED_MSG if delivered else code,
        "sms_size": str(message.parts if message else 1),
        "biz_id": biz_id(message.request_no) if message and message.request_no is not None else serial,
        "out_id": item.get("session_context") or "",
        "sign_name": message.sign_name if message else "",
        "template_code": f"{TEMPLATE_CODE_PREFIX}{message.template_id}" if message else "",
        "message_id": serial,
    }


def sms_up(item: dict[str, Any], sequence_id: int, tz: tzinfo) -> dict[str, Any]:
    """One SmsUp from a queued reply (phone, text, sign, extend, time)."""
    return {
        "phone_number": phone_number(item["phone"]),
        "send_time": _time(item["time"], tz),
        "content": item["text"],
        "sign_name": item["sign"],
        "dest_code": item["extend"],
        "sequence_id": sequence_id,
    }


def _not_json(name: str) -> Any:
    raise ValueError(
        f"{name} is not JSON"
    )  # NaN, Infinity: Python's json takes them, JSON has no such number


def is_acknowledged(status: int, body: bytes | None) -> bool:
    """The receiver took the push: HTTP 200 and a JSON object whose `code` is a number (its value does not
    matter, spec 7; a boolean is not a number). Anything else is a failure to retry."""
    if status != 200 or body is None:
        return False
    try:
        answer = json.loads(body, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(answer, dict):
        return False
    code = answer.get("code")
    return isinstance(code, int | float) and not isinstance(code, bool)


def retry_delay_s(failures: int) -> int | None:
    """The wait before the next try of a push that has now failed `failures` times (1 for the first failure);
    None: the three retries are spent, give it up."""
    return RETRY_DELAYS_S[failures - 1] if 1 <= failures <= len(RETRY_DELAYS_S) else None
