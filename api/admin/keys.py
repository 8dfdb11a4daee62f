"""Admin API: an API key and the application its sends use when their calls name none (Alibaba, UCloud),
GET /admin/v1/keys/{secret_id} and PUT /admin/v1/keys/{secret_id}/application. The SecretKey is never shown.
Mounted by api.admin.routes, behind its bearer token, error shape and request log."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    json_response,
    read_body,
    reject_unknown,
    state_of,
)
from core.domain.errors import Code
from core.services import api_keys
from core.services.api_keys import KeyNotFound, UnknownApplication

# As an SDK AppID is written elsewhere in the admin API (api.admin.records).
_APP_ID = re.compile(r"[0-9A-Za-z_-]{1,32}", re.ASCII)


def _chosen_app(body: dict[str, Any]) -> str | None:
    reject_unknown(body, {"sdk_app_id"})
    if "sdk_app_id" not in body:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give `sdk_app_id` (null clears the choice).")
    value = body["sdk_app_id"]
    if value is None:
        return None
    if not isinstance(value, str) or not _APP_ID.fullmatch(value):
        raise AdminError(
            400,
            Code.INVALID_PARAMETER_VALUE.value,
            "`sdk_app_id` must be an SDK AppID (1 to 32 letters, digits, '_' or '-') or null.",
        )
    return value


async def key_get(request: web.Request) -> web.Response:
    try:
        found = await api_keys.key_application(state_of(request).platform, request.match_info["secret_id"])
    except KeyNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return json_response(found.to_json())


async def key_application_put(request: web.Request) -> web.Response:
    secret_id = request.match_info["secret_id"]
    sdk_app_id = _chosen_app(await read_body(request))
    try:
        found = await api_keys.set_key_application(state_of(request).platform, secret_id, sdk_app_id)
    except KeyNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    except UnknownApplication as exc:
        # Another tenant's application is refused exactly like one that does not exist.
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, str(exc)) from None
    return json_response(found.to_json())
