"""An application's emergency disable and re-enable (A3)."""

from __future__ import annotations

import structlog
from aiohttp import web

from api.admin.common import NOT_FOUND, AdminError, Handler, json_response, operator, state_of
from core.services import policy
from core.services.policy import AppNotFound

log = structlog.get_logger("api.admin")


def app_status(status: str) -> Handler:
    """The handler that sets an application's status: `disabled` or `active`."""

    async def handle(request: web.Request) -> web.Response:
        sdk_app_id = request.match_info["sdk_app_id"]
        actor = operator(request)
        try:
            await policy.set_app_status(state_of(request).platform, sdk_app_id, status)
        except AppNotFound as exc:
            raise AdminError(404, NOT_FOUND, str(exc)) from None
        log.info("app status set", sdk_app_id=sdk_app_id, status=status, actor=actor)
        return json_response({"sdk_app_id": sdk_app_id, "status": status})

    handle.__name__ = "app_" + {"disabled": "disable", "active": "enable"}[status]
    return handle
