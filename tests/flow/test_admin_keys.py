"""The admin API for API keys on the running platform (issue 15): GET /admin/v1/keys/{secret_id} shows a key
(never its SecretKey) and the application its Alibaba and UCloud sends use, PUT .../application chooses one
of its account's applications or clears the choice (null). Another tenant's application is refused exactly
as one that does not exist; bad bodies are 400 and change nothing; every route needs the bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.store import admin
from tests.flow.harness import Platform, Tenant, running_platform
from tests.flow.test_admin_review import ADMIN_TOKEN, AUTH, Reply, error
from tests.keyring import KEYRING

NOT_FOUND = "ResourceNotFound"
BAD_VALUE = "InvalidParameterValue"


@dataclass
class Env:
    platform: Platform
    ours: Tenant
    theirs: Tenant  # another tenant

    async def call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        async with self.platform.http.request(
            method, self.platform.api_url + path, json=json, headers=AUTH if headers is None else headers
        ) as resp:
            text = await resp.text()
            body = await resp.json() if resp.content_type == "application/json" else text
            return Reply(resp.status, body, text, resp.content_type)

    async def choose(self, sdk_app_id: str | None, secret_id: str | None = None) -> Reply:
        key = secret_id or self.ours.secret_id
        return await self.call("PUT", f"/admin/v1/keys/{key}/application", json={"sdk_app_id": sdk_app_id})

    async def stored(self) -> str | None:
        chosen: str | None = await self.platform.db.fetchval(
            "SELECT sdk_app_id FROM api_keys WHERE secret_id = $1", self.ours.secret_id
        )
        return chosen


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, admin_token=ADMIN_TOKEN) as platform:
        ours = await platform.add_tenant(name="Acme")
        theirs = await platform.add_tenant(name="Rival")
        yield Env(platform, ours, theirs)


def shown(tenant: Tenant, chosen: str | None, in_force: str | None, apps: int) -> dict[str, Any]:
    return {
        "secret_id": tenant.secret_id,
        "account_id": tenant.account_id,
        "project_id": f"org-{tenant.account_id}",
        "enabled": True,
        "sdk_app_id": chosen,
        "sdk_app_id_in_force": in_force,
        "account_apps": apps,
    }


async def test_show_choose_and_clear(env: Env) -> None:
    ours = env.ours
    reply = await env.call("GET", f"/admin/v1/keys/{ours.secret_id}")
    assert reply.status == 200, reply.text
    assert reply.body == shown(ours, None, ours.sdk_app_id, 1)  # the only application, untold
    assert ours.secret_key not in reply.text

    second = await admin.create_app(env.platform.db, KEYRING, account_id=ours.account_id, name="Second")
    reply = await env.call("GET", f"/admin/v1/keys/{ours.secret_id}")
    assert reply.body == shown(ours, None, None, 2)  # several, none chosen

    reply = await env.choose(second.sdk_app_id)
    assert reply.status == 200, reply.text
    assert reply.body == shown(ours, second.sdk_app_id, second.sdk_app_id, 2)
    assert await env.stored() == second.sdk_app_id
    assert (await env.call("GET", f"/admin/v1/keys/{ours.secret_id}")).body == reply.body

    reply = await env.choose(None)
    assert reply.status == 200, reply.text
    assert reply.body == shown(ours, None, None, 2)
    assert await env.stored() is None


async def test_another_tenants_application_is_refused_exactly_like_an_unknown_one(env: Env) -> None:
    assert (await env.choose(env.ours.sdk_app_id)).status == 200
    messages = []
    for sdk_app_id in (env.theirs.sdk_app_id, "1409999999"):
        message = error(await env.choose(sdk_app_id), 400, BAD_VALUE)
        messages.append(message.replace(sdk_app_id, "<id>"))
    assert messages[0] == messages[1] == "The key's account has no application <id>."
    assert await env.stored() == env.ours.sdk_app_id


async def test_an_unknown_key_is_404(env: Env) -> None:
    error(await env.call("GET", "/admin/v1/keys/AKIDnobody"), 404, NOT_FOUND)
    for choice in (env.ours.sdk_app_id, None):
        error(await env.choose(choice, "AKIDnobody"), 404, NOT_FOUND)


async def test_bad_bodies_are_400_and_change_nothing(env: Env) -> None:
    assert (await env.choose(env.ours.sdk_app_id)).status == 200
    path = f"/admin/v1/keys/{env.ours.secret_id}/application"
    for body, code in [
        ({}, "MissingParameter"),
        ({"sdk_app_id": 1400000001}, BAD_VALUE),
        ({"sdk_app_id": ""}, BAD_VALUE),
        ({"sdk_app_id": "x" * 33}, BAD_VALUE),
        ({"sdk_app_id": "14000 1"}, BAD_VALUE),
        ({"sdk_app_id": [env.ours.sdk_app_id]}, BAD_VALUE),
        ({"sdk_app_id": None, "secret_key": "x"}, "InvalidParameter"),
        ([env.ours.sdk_app_id], "InvalidParameter"),
    ]:
        error(await env.call("PUT", path, json=body), 400, code)
    assert await env.stored() == env.ours.sdk_app_id


async def test_every_key_route_needs_the_bearer_token(env: Env) -> None:
    assert (await env.choose(env.ours.sdk_app_id)).status == 200
    for method, path in [
        ("GET", f"/admin/v1/keys/{env.ours.secret_id}"),
        ("PUT", f"/admin/v1/keys/{env.ours.secret_id}/application"),
    ]:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            reply = await env.call(method, path, json={"sdk_app_id": None}, headers=headers)
            error(reply, 401, "AuthFailure.InvalidAuthorization")
            assert env.ours.sdk_app_id not in reply.text
    assert await env.stored() == env.ours.sdk_app_id
