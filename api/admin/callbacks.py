"""Admin API: an application's callback URLs (B2, B3), GET and PUT /admin/v1/apps/{sdk_app_id}/callbacks.
Mounted by api.admin.routes, behind its bearer token, error shape and request log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from api.admin.common import NOT_FOUND, AdminError, json_response, read_body, reject_unknown, state_of
from core.domain.callbacks import check_callback_url, platform_endpoints
from core.domain.errors import Code
from core.infra.settings import Settings
from core.store.callbacks_config import get_callback_config, set_callback_urls
from core.store.policy import AppNotFound

FIELDS = {"status_url": "status report", "reply_url": "reply"}


def own_endpoints(settings: Settings, request: web.Request) -> tuple[set[str], set[int]]:
    """The platform's configured hosts and ports, plus the Host this request was addressed to and the port
    it arrived on (the API may listen on a port the settings do not name)."""
    hosts, ports = platform_endpoints(settings.api_host, settings.api_port, settings.public_api_url)
    if request.url.host:
        hosts.add(request.url.host)
    if request.url.port:
        ports.add(request.url.port)
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        ports.add(sockname[1])
    return hosts, ports


def _urls(body: dict[str, Any], settings: Settings, request: web.Request) -> dict[str, str]:
    reject_unknown(body, set(FIELDS))
    if not body:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give `status_url` and/or `reply_url`.")
    hosts, ports = own_endpoints(settings, request)
    urls: dict[str, str] = {}
    for field, what in FIELDS.items():
        if field not in body:
            continue
        value = body[field]
        if not isinstance(value, str):
            raise AdminError(
                400, Code.INVALID_PARAMETER.value, f"`{field}` must be a string ('' turns it off)."
            )
        if value:
            problem = check_callback_url(value, platform_hosts=hosts, platform_port=ports)
            if problem:
                raise AdminError(
                    400, Code.INVALID_PARAMETER_VALUE.value, f"`{field}` ({what} callback): {problem}"
                )
        urls[field] = value
    return urls


async def callbacks_get(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    found = await get_callback_config(state_of(request).platform.db, sdk_app_id)
    if found is None:
        raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
    return json_response(found.to_json())


async def callbacks_put(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    state = state_of(request)
    urls = _urls(await read_body(request), state.settings, request)
    found = await set_callback_urls(
        state.platform.db,
        sdk_app_id,
        status_url=urls.get("status_url"),
        reply_url=urls.get("reply_url"),
        now=datetime.fromtimestamp(state.clock(), UTC),
    )
    if found is None:
        raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
    return json_response(found.to_json())
