"""Admin API: an application's callback URLs (B2, B3) and their format, GET and PUT /admin/v1/apps/{sdk_app_id}/callbacks.
Mounted by api.admin.routes, behind its bearer token, error shape and request log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    json_response,
    read_body,
    reject_unknown,
    request_endpoints,
    state_of,
)
from core.domain.errors import Code
from core.services import callbacks
from core.services.callbacks import AppNotFound


def _urls(body: dict[str, Any]) -> dict[str, str]:
    reject_unknown(body, {*callbacks.FIELDS, "format"})
    if not body:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give `status_url`, `reply_url` and/or `format`.")
    urls: dict[str, str] = {}
    for field in callbacks.FIELDS:
        if field not in body:
            continue
        value = body[field]
        if not isinstance(value, str):
            raise AdminError(
                400, Code.INVALID_PARAMETER.value, f"`{field}` must be a string ('' turns it off)."
            )
        urls[field] = value
    return urls


def _format(body: dict[str, Any]) -> callbacks.CallbackFormat | None:
    if "format" not in body:
        return None
    value = body["format"]
    if not isinstance(value, str) or value not in callbacks.FORMATS:
        raise AdminError(
            400,
            Code.INVALID_PARAMETER_VALUE.value,
            f"`format` must be one of {', '.join(callbacks.FORMATS)}.",
        )
    return callbacks.CallbackFormat(value)


async def callbacks_get(request: web.Request) -> web.Response:
    try:
        found = await callbacks.config(state_of(request).platform, request.match_info["sdk_app_id"])
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return json_response(found.to_json())


async def callbacks_put(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    body = await read_body(request)
    urls = _urls(body)
    fmt = _format(body)
    hosts, ports = request_endpoints(request)
    try:
        found = await callbacks.configure(
            state_of(request).platform,
            sdk_app_id,
            status_url=urls.get("status_url"),
            reply_url=urls.get("reply_url"),
            also_hosts=hosts,
            also_ports=ports,
            format=fmt,
        )
    except callbacks.InvalidCallbackUrl as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, str(exc)) from None
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return json_response(found.to_json())
