"""The admin API for applications (/admin/v1/apps/{sdk_app_id}/...) on the running platform: the sending policy
(rules L1, L4: stored and in force, partial updates validated, an individual's kept at the defaults), the
allowlist of numbers exempt from the per-number limits (L2: normalized, all-or-nothing, at most 100), and the
emergency disable (A3: the very next send is refused)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from core.domain.frequency import DEFAULT_POLICY
from tests.flow.harness import Platform, Tenant, running_platform

ADMIN_TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CN = "+8613800138000"
NOT_FOUND = "ResourceNotFound"
INDIVIDUAL = "UnauthorizedOperation.IndividualUserPolicyPermissionDeny"
DEFAULTS = DEFAULT_POLICY.to_json()


@dataclass
class Reply:
    status: int
    body: Any
    text: str


@dataclass
class Env:
    platform: Platform
    org: Tenant
    individual: Tenant

    async def call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        async with self.platform.http.request(
            method, self.platform.api_url + path, json=json, headers=AUTH if headers is None else headers
        ) as resp:
            text = await resp.text()
            body = await resp.json() if resp.content_type == "application/json" else text
            return Reply(resp.status, body, text)

    async def policy_row(self, sdk_app_id: str) -> dict[str, Any]:
        row = await self.platform.db.fetchrow(
            "SELECT limit_same_content_30s, limit_one_hour, limit_daily, limit_same_content_daily, cap_daily,"
            " cap_daily_mainland, cap_daily_international, policy_updated_at FROM apps WHERE sdk_app_id = $1",
            sdk_app_id,
        )
        assert row is not None
        return dict(row)

    async def allowed(self, sdk_app_id: str) -> list[str]:
        rows = await self.platform.db.fetch(
            "SELECT phone FROM app_allowlist WHERE sdk_app_id = $1 ORDER BY phone", sdk_app_id
        )
        return [r["phone"] for r in rows]


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, admin_token=ADMIN_TOKEN) as platform:
        org = await platform.add_tenant(name="Acme")
        individual = await platform.add_tenant(kind="individual", name="Li Lei")
        yield Env(platform, org, individual)


def error(reply: Reply, status: int, code: str) -> str:
    assert reply.status == status, reply.text
    assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code, reply.text
    assert "Traceback" not in reply.text
    message: str = reply.body["error"]["message"]
    assert message
    return message


async def test_every_app_route_needs_the_bearer_token(env: Env) -> None:
    app = env.org.sdk_app_id
    routes = [
        ("GET", f"/admin/v1/apps/{app}/policy"),
        ("PATCH", f"/admin/v1/apps/{app}/policy"),
        ("GET", f"/admin/v1/apps/{app}/allowlist"),
        ("POST", f"/admin/v1/apps/{app}/allowlist"),
        ("DELETE", f"/admin/v1/apps/{app}/allowlist"),
        ("POST", f"/admin/v1/apps/{app}/disable"),
        ("POST", f"/admin/v1/apps/{app}/enable"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            reply = await env.call(method, path, headers=headers, json={"daily": 5, "phones": [CN]})
            error(reply, 401, "AuthFailure.InvalidAuthorization")
    assert (await env.policy_row(app))["policy_updated_at"] is None
    assert await env.allowed(app) == []
    assert await env.platform.db.fetchval("SELECT status FROM apps WHERE sdk_app_id = $1", app) == "active"


async def test_an_organization_starts_with_the_defaults_and_changes_them(env: Env) -> None:
    app = env.org.sdk_app_id
    reply = await env.call("GET", f"/admin/v1/apps/{app}/policy")
    assert reply.status == 200, reply.text
    assert reply.body == {
        "sdk_app_id": app,
        "account_kind": "organization",
        "app_status": "active",
        "stored": DEFAULTS,
        "effective": DEFAULTS,
        "policy_updated_at": None,
        "note": None,
    }

    change = {"one_hour": 3, "daily": 10, "cap_daily": 50_000, "cap_daily_international": 1_000}
    reply = await env.call("PATCH", f"/admin/v1/apps/{app}/policy", json=change)
    assert reply.status == 200, reply.text
    expected = DEFAULTS | change
    assert reply.body["stored"] == reply.body["effective"] == expected
    assert reply.body["policy_updated_at"] is not None and reply.body["note"] is None
    row = await env.policy_row(app)
    assert (row["limit_one_hour"], row["limit_daily"], row["cap_daily"], row["cap_daily_international"]) == (
        3,
        10,
        50_000,
        1_000,
    )
    assert row["limit_same_content_30s"] == 1 and row["policy_updated_at"] is not None

    # A partial update keeps the other fields; null removes an optional limit.
    reply = await env.call(
        "PATCH", f"/admin/v1/apps/{app}/policy", json={"one_hour": None, "same_content_30s": 2}
    )
    assert reply.status == 200, reply.text
    expected = expected | {"one_hour": None, "same_content_30s": 2}
    assert reply.body["stored"] == expected
    assert (await env.call("GET", f"/admin/v1/apps/{app}/policy")).body["effective"] == expected
    assert (await env.policy_row(app))["limit_one_hour"] is None


BAD_POLICIES: list[tuple[Any, str]] = [
    ({"daily": -1}, "InvalidParameterValue"),
    ({"daily": 0}, "InvalidParameterValue"),
    ({"same_content_30s": 1_001}, "InvalidParameterValue"),
    ({"cap_daily": 10**12}, "InvalidParameterValue"),
    ({"daily": "5"}, "InvalidParameter"),
    ({"daily": 2.5}, "InvalidParameter"),
    ({"daily": True}, "InvalidParameter"),
    ({"one_hour": [1]}, "InvalidParameter"),
    ({"daily": None}, "InvalidParameterValue"),
    ({"same_content_30s": None}, "InvalidParameterValue"),
    ({"weekly": 5}, "InvalidParameter"),
    ({"one_hour": 3, "daily": 2}, "InvalidParameterValue"),
    ({"one_hour": 5}, "InvalidParameterValue"),  # above the stored daily limit of 2
    ({}, "MissingParameter"),
    ([1], "InvalidParameter"),
]


async def test_bad_policy_values_are_400_and_change_nothing(env: Env) -> None:
    app = env.org.sdk_app_id
    before = await env.policy_row(app)
    for body, code in BAD_POLICIES:
        reply = await env.call("PATCH", f"/admin/v1/apps/{app}/policy", json=body)
        error(reply, 400, code)
    error(await env.call("PATCH", f"/admin/v1/apps/{app}/policy"), 400, "MissingParameter")  # no body
    async with env.platform.http.patch(
        env.platform.api_url + f"/admin/v1/apps/{app}/policy", data=b"{nope", headers=AUTH
    ) as resp:
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "FailedOperation.JsonParseFail"
    assert await env.policy_row(app) == before


async def test_an_individual_keeps_the_defaults(env: Env) -> None:
    app = env.individual.sdk_app_id
    reply = await env.call("GET", f"/admin/v1/apps/{app}/policy")
    assert reply.status == 200 and reply.body["account_kind"] == "individual"
    assert reply.body["effective"] == DEFAULTS and "cannot be changed" in reply.body["note"]

    message = error(
        await env.call("PATCH", f"/admin/v1/apps/{app}/policy", json={"daily": 10}), 409, INDIVIDUAL
    )
    assert "L1" in message
    # Refused before the values are even looked at: a bad value gets the same answer.
    error(await env.call("PATCH", f"/admin/v1/apps/{app}/policy", json={"daily": -1}), 409, INDIVIDUAL)
    assert (await env.policy_row(app))["policy_updated_at"] is None

    # A policy stored anyway (e.g. before the account became an individual's) is shown, but not in force.
    await env.platform.db.execute("UPDATE apps SET limit_daily = 9 WHERE sdk_app_id = $1", app)
    reply = await env.call("GET", f"/admin/v1/apps/{app}/policy")
    assert reply.body["stored"]["daily"] == 9 and reply.body["effective"] == DEFAULTS
    assert "the stored policy is not" in reply.body["note"]


async def test_allowlist_add_list_remove(env: Env) -> None:
    app = env.org.sdk_app_id
    path = f"/admin/v1/apps/{app}/allowlist"
    reply = await env.call("GET", path)
    assert reply.status == 200 and reply.body == {"sdk_app_id": app, "limit": 100, "allowlist": []}

    sent = {"phones": ["13800138000", "+14155550123", "008613900139000"], "note": " on-call "}
    reply = await env.call("POST", path, json=sent, headers=AUTH | {"X-Operator": "alice"})
    assert reply.status == 200, reply.text
    assert reply.body["added"] == 3
    assert [e["phone"] for e in reply.body["allowlist"]] == ["+14155550123", CN, "+8613900139000"]
    entry = reply.body["allowlist"][1]
    assert entry["note"] == "on-call" and entry["added_by"] == "operator:alice" and entry["added_at"]

    # Already listed: left as it is (its note too), not counted.
    reply = await env.call("POST", path, json={"phones": [CN, "86" + CN[3:]], "note": "other"})
    assert reply.status == 200 and reply.body["added"] == 0
    assert [e["note"] for e in reply.body["allowlist"]] == ["on-call"] * 3
    assert (await env.call("GET", path)).body["allowlist"] == reply.body["allowlist"]

    reply = await env.call("DELETE", path, json={"phones": ["13800138000", "+8613700137000"]})
    assert reply.status == 200, reply.text
    assert reply.body["removed"] == 1
    assert await env.allowed(app) == ["+14155550123", "+8613900139000"]


async def test_allowlist_refusals_write_nothing(env: Env) -> None:
    app = env.org.sdk_app_id
    path = f"/admin/v1/apps/{app}/allowlist"
    message = error(
        await env.call("POST", path, json={"phones": [CN, "138 0013 8001", "12345"]}),
        400,
        "InvalidParameterValue.IncorrectPhoneNumber",
    )
    assert "138 0013 8001" in message and "12345" in message and CN not in message
    for body, code in [
        ({}, "MissingParameter"),
        ({"phones": []}, "MissingParameter"),
        ({"phones": CN}, "InvalidParameter"),
        ({"phones": [13800138000]}, "InvalidParameter"),
        ({"phones": [CN], "note": 5}, "InvalidParameter"),
        ({"phones": [CN], "note": "x" * 201}, "InvalidParameterValue"),
        ({"phones": [CN], "extra": 1}, "InvalidParameter"),
    ]:
        error(await env.call("POST", path, json=body), 400, code)
    error(
        await env.call("DELETE", path, json={"phones": ["junk"]}),
        400,
        "InvalidParameterValue.IncorrectPhoneNumber",
    )
    assert await env.allowed(app) == []

    # At most 100 numbers per application, counting what is listed already.
    batch = [f"+86139{n:08d}" for n in range(90)]
    assert (await env.call("POST", path, json={"phones": batch})).body["added"] == 90
    more = [f"+86137{n:08d}" for n in range(11)]
    message = error(
        await env.call("POST", path, json={"phones": more}), 409, "FailedOperation.AllowlistNumberLimit"
    )
    assert "100" in message
    assert len(await env.allowed(app)) == 90
    # Numbers already listed do not count twice; exactly 100 is fine.
    reply = await env.call("POST", path, json={"phones": batch[:5] + more[:10]})
    assert reply.status == 200 and reply.body["added"] == 10 and len(reply.body["allowlist"]) == 100
    error(
        await env.call("POST", path, json={"phones": [more[10]]}), 409, "FailedOperation.AllowlistNumberLimit"
    )
    assert len(await env.allowed(app)) == 100


async def test_disable_and_enable_an_app(env: Env) -> None:
    app = env.org.sdk_app_id
    reply = await env.call("POST", f"/admin/v1/apps/{app}/disable", headers=AUTH | {"X-Operator": "bob"})
    assert reply.status == 200 and reply.body == {"sdk_app_id": app, "status": "disabled"}
    assert await env.platform.db.fetchval("SELECT status FROM apps WHERE sdk_app_id = $1", app) == "disabled"
    assert (await env.call("GET", f"/admin/v1/apps/{app}/policy")).body["app_status"] == "disabled"
    with pytest.raises(TencentCloudSDKException) as err:
        await env.platform.send_sms(env.org, [CN], ["123456", "5"])
    assert err.value.code == "UnauthorizedOperation.SdkAppIdIsDisabled"
    # Idempotent, and the other tenant is untouched.
    assert (await env.call("POST", f"/admin/v1/apps/{app}/disable")).body["status"] == "disabled"
    other = await env.platform.db.fetchval(
        "SELECT status FROM apps WHERE sdk_app_id = $1", env.individual.sdk_app_id
    )
    assert other == "active"

    reply = await env.call("POST", f"/admin/v1/apps/{app}/enable")
    assert reply.status == 200 and reply.body == {"sdk_app_id": app, "status": "active"}
    assert await env.platform.db.fetchval("SELECT status FROM apps WHERE sdk_app_id = $1", app) == "active"
    resp = await env.platform.send_sms(env.org, [CN], ["123456", "5"])
    assert resp.SendStatusSet[0].Code == "Ok"


async def test_unknown_app_is_404(env: Env) -> None:
    for method, suffix, body in [
        ("GET", "policy", None),
        ("PATCH", "policy", {"daily": 5}),
        ("GET", "allowlist", None),
        ("POST", "allowlist", {"phones": [CN]}),
        ("DELETE", "allowlist", {"phones": [CN]}),
        ("POST", "disable", None),
        ("POST", "enable", None),
    ]:
        for app in ("1409999999", "nope"):
            message = error(
                await env.call(method, f"/admin/v1/apps/{app}/{suffix}", json=body), 404, NOT_FOUND
            )
            assert app in message
