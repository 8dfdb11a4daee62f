"""Messages whose submit outcome is unknown (a dead worker's batch, a carrier that does not dedupe on our
serial): the operator's list, and the resend or fail that settles them (core.services.unknown_outcomes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from api.admin.common import AdminError, json_response, page_limit, read_body, reject_unknown, state_of
from core.domain.errors import Code
from core.domain.unknown_outcomes import BadOperatorRequest
from core.services import unknown_outcomes

MAX_APP_ID_CHARS = 64


async def unknown_list(request: web.Request) -> web.Response:
    limit = page_limit(request.query.get("limit", ""))
    sdk_app_id = request.query.get("sdk_app_id") or None
    if sdk_app_id is not None and (len(sdk_app_id) > MAX_APP_ID_CHARS or not sdk_app_id.isprintable()):
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, "`sdk_app_id` is not an SDK AppID.")
    found = await unknown_outcomes.list_unknown(
        state_of(request).platform, sdk_app_id=sdk_app_id, limit=limit
    )
    return json_response({"items": [u.to_json() for u in found]})


def _serials(body: Mapping[str, Any]) -> list[str]:
    given = body.get("serials")
    if given is None or given == []:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give the serial numbers in `serials`.")
    if not isinstance(given, list) or not all(isinstance(s, str) for s in given):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`serials` must be a list of strings.")
    return given


async def unknown_resend(request: web.Request) -> web.Response:
    body = await read_body(request)
    reject_unknown(body, {"serials", "fresh_ref"})
    serials = _serials(body)
    fresh_ref = body.get("fresh_ref", False)
    if not isinstance(fresh_ref, bool):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`fresh_ref` must be true or false.")
    try:
        done = await unknown_outcomes.resend(state_of(request).platform, serials, fresh_ref=fresh_ref)
    except BadOperatorRequest as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, str(exc)) from None
    return json_response(done.to_json())


async def unknown_fail(request: web.Request) -> web.Response:
    body = await read_body(request)
    reject_unknown(body, {"serials", "reason"})
    serials = _serials(body)
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`reason` must be a string.")
    try:
        done = await unknown_outcomes.fail(state_of(request).platform, serials, reason=reason)
    except BadOperatorRequest as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, str(exc)) from None
    return json_response(done.to_json())
