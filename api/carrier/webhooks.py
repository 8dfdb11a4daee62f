"""Where carriers (and the simulator) POST delivery reports: authenticated by a shared token, applied to the
records in one statement per request."""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from api.context import STATE
from core.domain.bounds import int64, unix_time
from core.domain.phone import normalize_phone
from core.domain.replies import is_unsubscribe, stored_text
from core.domain.text import is_storable
from core.services import reports as reports_service
from core.services.reports import DeliveryReport, IncomingReply

MAX_REPORTS_PER_REQUEST = 5000
log = structlog.get_logger("api.carrier")


def _bad(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"result": 1, "errmsg": reason}, status=status)


async def other_method(request: web.Request) -> web.Response:
    """Any method but POST: the webhooks' own JSON, not the router's plain-text 405."""
    response = _bad(f"method {request.method} not allowed: POST", status=405)
    response.headers["Allow"] = "POST"
    return response


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


class _Malformed(ValueError):
    """An item the webhook cannot record: the whole batch is refused (400), nothing applied."""


async def _batch(request: web.Request, field: str, limit: int) -> list[Any]:
    """The carrier's authenticated batch: the list under `field`, at most `limit` items."""
    expected = f"Bearer {request.app[STATE].settings.carrier_webhook_token}".encode()
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected):
        raise _Refused(_bad("unauthorized", 401))
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _Refused(_bad("the request body is too large", 413)) from None
    try:
        items = json.loads(body)[field]
    # RecursionError: arrays nested ~1000 deep; ValueError: not JSON, not UTF-8, over 4,300 digits.
    except (ValueError, KeyError, TypeError, RecursionError):
        raise _Refused(_bad(f"malformed {field} batch")) from None
    if not isinstance(items, list) or len(items) > limit:
        raise _Refused(_bad(f"{field} must be a list of at most {limit} items"))
    return items


def _text(item: dict[str, Any], name: str, *, required: bool = False, max_chars: int | None = None) -> str:
    """A string field (a number is taken as its digits, as a carrier may send one), storable in Postgres."""
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise _Malformed(f"{name} is missing")
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and int64(value) is not None:
        value = str(value)
    if not isinstance(value, str) or not is_storable(value):
        raise _Malformed(f"{name} must be a string without NUL")
    return value if max_chars is None else value[:max_chars]


def _time(item: dict[str, Any], name: str, default: float | None = None) -> datetime:
    value = item.get(name)
    at = unix_time(default if value is None else value)
    if at is None:
        raise _Malformed(f"{name} must be Unix seconds within years 1-9999")
    return at


async def reports(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        parsed = [_report(item) for item in await _batch(request, "reports", MAX_REPORTS_PER_REQUEST)]
    except _Refused as refused:
        return refused.response
    except _Malformed as exc:
        return _bad(f"malformed reports batch: {exc}")
    applied = await reports_service.record_carrier_reports(state.platform, parsed)
    return web.json_response({"result": 0, "applied": applied})


def _report(item: Any) -> DeliveryReport:
    if not isinstance(item, dict):
        raise _Malformed("a report must be an object")
    delivered = item.get("delivered")
    if not isinstance(delivered, bool):
        raise _Malformed("delivered must be true or false")
    return DeliveryReport(
        serial_no=_text(item, "ref", required=True),
        carrier_id=_text(item, "carrier_id"),
        delivered=delivered,
        error=_text(item, "error"),
        report_time=_time(item, "report_time"),
    )


MAX_REPLIES_PER_REQUEST = 1000


async def replies(request: web.Request) -> web.Response:
    """Mobile-originated messages from the carrier: stored (free, P4), attributed, unsubscribes blocklisted."""
    state = request.app[STATE]
    try:
        items = await _batch(request, "replies", MAX_REPLIES_PER_REQUEST)
        parsed = [_reply(item, state.clock()) for item in items]
    except _Refused as refused:
        return refused.response
    except _Malformed as exc:
        return _bad(f"malformed replies batch: {exc}")
    recorded = await reports_service.record_carrier_replies(state.platform, parsed)
    return web.json_response({"result": 0, "stored": recorded.stored})


def _reply(item: Any, now: float) -> IncomingReply:
    if not isinstance(item, dict):
        raise _Malformed("a reply must be an object")
    raw_phone = _text(item, "phone", required=True)
    phone = normalize_phone(raw_phone)
    text = _text(item, "text")
    return IncomingReply(
        received_at=_time(item, "time", default=now),
        phone=phone.e164 if phone else raw_phone[:32],  # an unparsable sender is kept as given, unattributed
        text=stored_text(text),
        sign=_text(item, "sign", max_chars=64),
        extend_code=_text(item, "extend", max_chars=32),
        unsubscribe=is_unsubscribe(text),
    )
