"""The admin API's one route table: setup_admin mounts every resource's handlers on a sub-application under
/admin/v1/, so its middleware (auth, errors, the request log line) touches no other route. It also serves the
OpenAPI document describing these routes."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from api.admin import (
    alarms,
    allowlist,
    apps,
    billing,
    blocklist,
    callbacks,
    keys,
    policy,
    records,
    review,
    stats,
    unknown,
    words,
)
from api.admin.common import guard
from api.context import STATE
from core.services.review import review_hours

PREFIX = "/admin/v1"
OPENAPI_FILE = Path(__file__).parent / "openapi.yaml"
OPENAPI = web.AppKey("admin_openapi", bytes)


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], headers={"Content-Type": "application/yaml"})


def setup_admin(app: web.Application) -> None:
    """Mount the admin API under /admin/v1/ on the API app."""
    # A bad review-hours setting stops the API here rather than failing every queue request.
    review_hours(app[STATE].settings)
    admin = web.Application(client_max_size=app[STATE].settings.max_body_bytes, middlewares=[guard])
    admin[OPENAPI] = OPENAPI_FILE.read_bytes()
    router = admin.router
    router.add_get("/review/queue", review.review_queue)
    router.add_get("/review/{kind}/{id}", review.review_item)
    for name in review.ACTIONS:
        router.add_post(f"/review/{{kind}}/{{id}}/{name}", review.review_action(name))
    router.add_get("/documents/{id}", review.document)
    router.add_get("/words/{list}", words.words_get)
    router.add_post("/words/{list}", words.words_edit)
    router.add_get("/apps/{sdk_app_id}/policy", policy.policy_get)
    router.add_patch("/apps/{sdk_app_id}/policy", policy.policy_patch)
    router.add_get("/apps/{sdk_app_id}/allowlist", allowlist.allowlist_get)
    router.add_post("/apps/{sdk_app_id}/allowlist", allowlist.allowlist_add)
    router.add_delete("/apps/{sdk_app_id}/allowlist", allowlist.allowlist_remove)
    router.add_post("/apps/{sdk_app_id}/disable", apps.app_status("disabled"))
    router.add_post("/apps/{sdk_app_id}/enable", apps.app_status("active"))
    router.add_get("/openapi.yaml", openapi)
    router.add_put("/apps/{sdk_app_id}/countries", policy.countries_put)
    router.add_put("/accounts/{account_id}/alarm", alarms.alarm_put)
    router.add_get("/accounts/{account_id}/blocklist", blocklist.blocklist_get)
    router.add_post("/accounts/{account_id}/blocklist/{phone}/lift-request", blocklist.blocklist_lift_request)
    router.add_post("/accounts/{account_id}/blocklist/{phone}/lift", blocklist.blocklist_lift)
    router.add_get("/messages", records.records_search)
    router.add_get("/messages/export.csv", records.records_export)
    router.add_get("/stats", stats.stats_get)
    router.add_get("/prices", billing.prices_get)
    router.add_put("/prices", billing.prices_put)
    router.add_post("/accounts/{account_id}/recharge", billing.recharge_post)
    router.add_get("/accounts/{account_id}/statement", billing.statement_get)
    router.add_put("/accounts/{account_id}/settlement", billing.settlement_put)
    router.add_post("/accounts/{account_id}/packages", billing.package_post)
    router.add_get("/accounts/{account_id}/packages", billing.packages_get)
    router.add_get("/apps/{sdk_app_id}/callbacks", callbacks.callbacks_get)
    router.add_put("/apps/{sdk_app_id}/callbacks", callbacks.callbacks_put)
    router.add_get("/keys/{secret_id}", keys.key_get)
    router.add_put("/keys/{secret_id}/application", keys.key_application_put)
    router.add_get("/unknown-outcomes", unknown.unknown_list)
    router.add_post("/unknown-outcomes/resend", unknown.unknown_resend)
    router.add_post("/unknown-outcomes/fail", unknown.unknown_fail)
    app.add_subapp(PREFIX, admin)
