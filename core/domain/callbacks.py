"""Customer callbacks (B2, B3): how a request to the customer's URL is signed and checked, what counts as the
customer's acknowledgement, and how queued items are grouped into requests. Which URLs a customer may configure
is core.domain.customer_urls' rule, shared with the alarm webhooks.

Every callback request carries two headers:

    X-Sms-Timestamp: <Unix seconds>
    X-Sms-Signature: sha256=<hex HMAC-SHA256, keyed with the application's AppKey, over b"<timestamp>." + body>

so the customer can tell our requests from forged ones and refuse replays (verify_callback)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from core.domain.phone import split_phone

TIMESTAMP_HEADER = "X-Sms-Timestamp"
SIGNATURE_HEADER = "X-Sms-Signature"
SIGNATURE_PREFIX = "sha256="


def sign_callback(app_key: str, timestamp: int | str, body: bytes) -> str:
    """The X-Sms-Signature value for `body` sent at `timestamp` (the X-Sms-Timestamp value)."""
    digest = hmac.new(app_key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_callback(
    app_key: str, timestamp: str, body: bytes, header: str, now: float, tolerance_s: float = 300
) -> bool:
    """What a customer runs on each request: the signature matches (constant time) and the timestamp is
    within `tolerance_s` of `now`, so a captured request cannot be replayed later."""
    if not timestamp.isascii() or not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    expected = sign_callback(app_key, timestamp, body).encode()
    return hmac.compare_digest(header.encode("utf-8", "surrogateescape"), expected)


def is_success(body: bytes) -> bool:
    """The customer took the callback: it answered the JSON object {"result": 0, ...} (result the number 0).
    Anything else (no JSON, another shape, a non-zero or non-numeric result) is a failure to retry."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(answer, dict):
        return False
    result = answer.get("result")
    return isinstance(result, int | float) and not isinstance(result, bool) and result == 0


@dataclass(frozen=True)
class QueuedItem:
    """A callback-queue item as the request builder needs it."""

    id: int
    kind: str  # 'status' or 'reply'
    item: dict[str, Any]


@dataclass(frozen=True)
class CallbackRequest:
    kind: str
    ids: tuple[int, ...]
    body: bytes


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def build_requests(items: Sequence[QueuedItem], tz: tzinfo, *, max_reports: int) -> list[CallbackRequest]:
    """The requests that deliver `items` in queue order: consecutive status reports go together as one JSON
    array (at most `max_reports` a request), each reply alone as one JSON object (spec 9)."""
    requests: list[CallbackRequest] = []
    group: list[QueuedItem] = []

    def close_group() -> None:
        if group:
            body = _dumps([callback_status(q.item, tz) for q in group])
            requests.append(CallbackRequest("status", tuple(q.id for q in group), body))
            group.clear()

    for queued in items:
        if queued.kind == "status":
            if len(group) >= max_reports:
                close_group()
            group.append(queued)
        else:
            close_group()
            requests.append(CallbackRequest("reply", (queued.id,), _dumps(callback_reply(queued.item))))
    close_group()
    return requests


def signed_headers(app_key: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_callback(app_key, timestamp, body),
    }


# The bodies (spec 9): the Tencent callback format is the platform's callback format for every dialect so far.
def _description(item: dict[str, Any]) -> str:
    if item["delivered"]:
        return "The SMS message is successfully delivered"
    return f"The SMS message failed to deliver ({item['error'] or 'unknown'})"


def callback_status(item: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """One element of a status-report callback array (spec 9): exactly its 7 documented keys, all strings;
    the time in the platform's time zone, as the console shows it."""
    country, national = split_phone(item["phone"])
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
    country, national = split_phone(item["phone"])
    return {
        "extend": item["extend"],
        "mobile": national,
        "nationcode": country,
        "sign": item["sign"],
        "text": item["text"],
        "time": item["time"],
    }
