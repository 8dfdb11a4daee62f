"""Where carriers (and the simulator) POST delivery reports: authenticated by a shared token, applied to the
records in one statement per request."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web

from api.context import STATE
from core.db.messages import DeliveryReport, apply_reports

MAX_REPORTS_PER_REQUEST = 5000
log = structlog.get_logger("api.carrier_webhook")


def _bad(reason: str, status: int = 400) -> web.Response:
    return web.json_response({"result": 1, "errmsg": reason}, status=status)


async def reports(request: web.Request) -> web.Response:
    state = request.app[STATE]
    expected = f"Bearer {state.settings.carrier_webhook_token}".encode()
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected):
        return _bad("unauthorized", 401)
    try:
        payload = await request.json()
        items = payload["reports"]
        if not isinstance(items, list) or len(items) > MAX_REPORTS_PER_REQUEST:
            return _bad("reports must be a list of at most 5000 items")
        parsed = [_report(item) for item in items]
    except (ValueError, KeyError, TypeError):
        return _bad("malformed report batch")
    applied = await apply_reports(state.pool(), parsed)
    log.info("carrier reports", received=len(parsed), applied=applied)
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
