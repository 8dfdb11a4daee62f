"""The API process: create_app(settings) wires the dialects, the carrier webhook and health onto one app."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from api import health, metrics
from api.admin.routes import setup_admin
from api.alibaba import dispatch as alibaba
from api.carrier import webhooks as carrier_webhooks
from api.context import STATE, ApiState
from api.legacy_v5.routes import setup_legacy_v5
from api.tencent_v3 import dispatch as tencent_v3
from api.ucloud import dispatch as ucloud
from core.infra.settings import Settings
from core.services.platform import open_platform


async def _open_platform(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    async with open_platform(state.settings, clock=state.clock) as platform:
        state.opened = platform
        yield
        state.opened = None


async def front_door(request: web.Request) -> web.Response:
    """`/` is shared by the vendors' APIs that post to the endpoint's root: each says whose a request is by
    the headers or parameters its SDKs always send (Alibaba: x-acs-* headers, ACS3 Authorization, or RPC
    parameters in the query; else Tencent's)."""
    if alibaba.claims(request):
        return await alibaba.handle(request)  # any method: Alibaba's refusal of PUT is in its own envelope
    if await ucloud.claims(request):
        return await ucloud.handle(request)
    if request.method not in ("GET", "POST"):  # HEAD too: a signed HEAD must not run an action
        return await tencent_v3.other_method(request)
    return await tencent_v3.handle(request)


@web.middleware
async def close_when_unread(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A body not read to its end (too large, or not in its Content-Encoding) leaves the connection unusable:
    the server closes it after the answer. Say so in the answer (`Connection: close`), in every door, or a
    client keeping the connection alive sends its next request into a closed socket and gets no answer."""
    response = await handler(request)
    body = request.content
    if request.body_exists and (not body.is_eof() or body.exception() is not None):
        response.force_close()
    return response


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> web.Application:
    # Oversized bodies surface as HTTPRequestEntityTooLarge, answered in each dialect's own shape.
    # The request line (path and query) may be longer than the HTTP server's usual 8 KB: Alibaba's SendSms
    # carries up to 1,000 numbers in the query. Set on the app, it holds however the app is served.
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        handler_args={"max_line_size": settings.max_request_line_bytes},
        middlewares=[close_when_unread],
    )
    app[STATE] = ApiState(settings=settings, clock=clock)
    app.cleanup_ctx.append(_open_platform)
    app.router.add_post("/", front_door)
    app.router.add_get("/", front_door)
    app.router.add_route("*", "/usms", ucloud.handle)  # UCloud's SDK posts to exactly its base_url
    app.router.add_post("/carrier/reports", carrier_webhooks.reports)
    app.router.add_post("/carrier/replies", carrier_webhooks.replies)
    # Other methods are answered in each door's own words (after the routes above, which match first); on
    # `/`, whose door it is is decided as for POST.
    app.router.add_route("*", "/", front_door)
    app.router.add_route("*", "/carrier/reports", carrier_webhooks.other_method)
    app.router.add_route("*", "/carrier/replies", carrier_webhooks.other_method)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics.metrics)
    setup_admin(app)
    setup_legacy_v5(app)
    return app
