"""Where carriers (and the simulator) POST delivery reports: authenticated by a shared token, applied to the
records in one statement per request."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web

from api.context import STATE
from core.domain.phone import normalize_phone
from core.domain.replies import is_unsubscribe, stored_text
from core.services import reports as reports_service
from core.services.reports import DeliveryReport, IncomingReply

MAX_REPORTS_PER_REQUEST = 5000
log = structlog.get_logger("api.carrier")


def _bad(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"result": 1, "errmsg": reason}, status=status)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def _batch(request: web.Request, field: str, limit: int) -> list[Any]:
    """The carrier's authenticated batch: the list under `field`, at most `limit` items."""
    expected = f"Bearer {request.app[STATE].settings.carrier_webhook_token}".encode()
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected):
        raise _Refused(_bad("unauthorized", 401))
    try:
        items = (await request.json())[field]
    except (ValueError, KeyError, TypeError):
        raise _Refused(_bad(f"malformed {field} batch")) from None
    if not isinstance(items, list) or len(items) > limit:
        raise _Refused(_bad(f"{field} must be a list of at most {limit} items"))
    return items


async def reports(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        parsed = [_report(item) for item in await _batch(request, "reports", MAX_REPORTS_PER_REQUEST)]
    except _Refused as refused:
        return refused.response
    except (ValueError, KeyError, TypeError):
        return _bad("malformed reports batch")
    applied = await reports_service.record_carrier_reports(state.platform, parsed)
    return web.json_response({"result": 0, "applied": applied})


def _report(item: Any) -> DeliveryReport:
    if not isinstance(item, dict):
        raise TypeError("report must be an object")
    return DeliveryReport(
        serial_no=str(item["ref"]),
        carrier_id=str(item.get("carrier_id") or ""),
        delivered=bool(item["delivered"]),
        error=str(item.get("error") or ""),
        report_time=datetime.fromtimestamp(float(item["report_time"]), UTC),
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
    except (ValueError, KeyError, TypeError):
        return _bad("malformed replies batch")
    recorded = await reports_service.record_carrier_replies(state.platform, parsed)
    return web.json_response({"result": 0, "stored": recorded.stored})


def _reply(item: Any, now: float) -> IncomingReply:
    if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
        raise TypeError("reply must be an object with a text")
    raw_phone = str(item["phone"])
    phone = normalize_phone(raw_phone)
    text = str(item.get("text") or "")
    received = item.get("time")
    return IncomingReply(
        received_at=datetime.fromtimestamp(float(received) if received is not None else now, UTC),
        phone=phone.e164 if phone else raw_phone[:32],  # an unparsable sender is kept as given, unattributed
        text=stored_text(text),
        sign=str(item.get("sign") or "")[:64],
        extend_code=str(item.get("extend") or "")[:32],
        unsubscribe=is_unsubscribe(text),
    )
