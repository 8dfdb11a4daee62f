"""Customer callbacks (B2, B3): how a request to the customer's URL is signed and checked, what counts as the
customer's acknowledgement, and how queued items are grouped into requests. Which URLs a customer may configure
is core.domain.customer_urls' rule, shared with the alarm webhooks.

Every callback request carries two headers:

    X-Sms-Timestamp: <Unix seconds>
    X-Sms-Signature: sha256=<hex HMAC-SHA256, keyed with the application's AppKey, over b"<timestamp>." + body>

so the customer can tell our requests from forged ones and refuse replays (verify_callback).

An application chooses the bodies' format (CallbackFormat): the platform's own (Tencent's, spec 9) or Alibaba
Cloud SMS's batch push (core.domain.alibaba_push). The format also decides what counts as acknowledged and when
a failure is tried again (is_acknowledged, retry_after_s); the signature headers are the same for both."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from core.domain import alibaba_push
from core.domain.alibaba_push import PushedMessage
from core.domain.phone import split_phone
from core.domain.retries import retry_delay

TIMESTAMP_HEADER = "X-Sms-Timestamp"
SIGNATURE_HEADER = "X-Sms-Signature"
SIGNATURE_PREFIX = "sha256="


class CallbackFormat(StrEnum):
    TENCENT = "tencent"  # the platform's own (spec 9), the default
    ALIBABA = "alibaba"  # Alibaba Cloud SMS's HTTP batch push (SmsReport / SmsUp arrays)


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


def is_acknowledged(fmt: CallbackFormat, status: int, body: bytes | None) -> bool:
    """The customer took the request, as its format says: a 2xx answering {"result": 0} (tencent), or HTTP
    200 with a numeric `code` (alibaba_push.is_acknowledged)."""
    if fmt is CallbackFormat.ALIBABA:
        return alibaba_push.is_acknowledged(status, body)
    return 200 <= status < 300 and body is not None and is_success(body)


def expected_answer(fmt: CallbackFormat) -> str:
    """How a failure's log line says what was expected (no customer data)."""
    return 'HTTP 200 and a numeric "code"' if fmt is CallbackFormat.ALIBABA else '2xx and {"result": 0}'


def retry_after_s(fmt: CallbackFormat, failures: int, *, base_s: float, max_s: float) -> float | None:
    """The wait before the next try of items that have now failed `failures` times (1 after the first), or
    None to give them up now. Tencent: exponential backoff until the give-up period (the caller's) is over;
    Alibaba: 1, 5 and 10 minutes, then given up (spec 7)."""
    if fmt is CallbackFormat.ALIBABA:
        delay = alibaba_push.retry_delay_s(failures)
        return None if delay is None else float(delay)
    return retry_delay(failures, base_s=base_s, max_s=max_s)


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


def build_requests(
    items: Sequence[QueuedItem],
    tz: tzinfo,
    *,
    max_reports: int,
    fmt: CallbackFormat = CallbackFormat.TENCENT,
    messages: Mapping[str, PushedMessage] | None = None,
) -> list[CallbackRequest]:
    """The requests that deliver `items` in queue order. Tencent (spec 9): consecutive status reports go
    together as one JSON array (at most `max_reports` a request), each reply alone as one JSON object.
    Alibaba (spec 7): consecutive items of one kind go together as one array (SmsReport or SmsUp), at most
    `max_reports` a request; `messages` are the statuses' messages by serial number."""
    requests: list[CallbackRequest] = []
    group: list[QueuedItem] = []
    found = messages or {}

    def element(q: QueuedItem) -> dict[str, Any]:
        if fmt is CallbackFormat.ALIBABA:
            if q.kind == "status":
                return alibaba_push.sms_report(q.item, found.get(q.item["serial_no"]), tz)
            return alibaba_push.sms_up(q.item, int(q.item.get("id", q.id)), tz)
        return callback_status(q.item, tz)

    def close_group() -> None:
        if group:
            body = _dumps([element(q) for q in group])
            requests.append(CallbackRequest(group[0].kind, tuple(q.id for q in group), body))
            group.clear()

    for queued in items:
        if queued.kind == "status" or fmt is CallbackFormat.ALIBABA:
            if len(group) >= max_reports or (group and group[0].kind != queued.kind):
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
