"""An application's emergency disable and re-enable (A3)."""

from __future__ import annotations

import structlog
from aiohttp import web

from api.admin.common import NOT_FOUND, AdminError, Handler, json_response, operator, state_of
from core.store.admin import set_app_status
from core.store.policy import AppNotFound

log = structlog.get_logger("api.admin")


def app_status(status: str) -> Handler:
    """The handler that sets an application's status: `disabled` or `active`."""

    async def handle(request: web.Request) -> web.Response:
        sdk_app_id = request.match_info["sdk_app_id"]
        actor = operator(request)
        if not await set_app_status(state_of(request).platform.db, sdk_app_id, status):
            raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
        log.info("app status set", sdk_app_id=sdk_app_id, status=status, actor=actor)
        return json_response({"sdk_app_id": sdk_app_id, "status": status})

    handle.__name__ = "app_" + {"disabled": "disable", "active": "enable"}[status]
    return handle
