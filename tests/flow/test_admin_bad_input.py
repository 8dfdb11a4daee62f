"""Bad input to the admin API (issue 14, finding 6): whatever an operator's client sends, the answer is the
admin error shape {"error": {"code", "message"}} with 400 (405 for a method the path does not take), never a
500, and nothing is changed. Each case here was a 500 before the edge checks in api/admin/common.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import yaml

from core.store import admin
from tests.flow.harness import Platform, running_platform
from tests.flow.test_admin_review import ADMIN_TOKEN, AUTH, NOW, Reply, error
from tests.keyring import KEYRING

BAD_VALUE = "InvalidParameterValue"
BAD_JSON = "FailedOperation.JsonParseFail"


@dataclass
class Answer(Reply):
    headers: dict[str, str]


@dataclass
class Env:
    platform: Platform
    account_id: int
    sdk_app_id: str
    sign_id: int

    async def call(self, method: str, path: str, *, json: object = None, data: bytes | None = None) -> Answer:
        async with self.platform.http.request(
            method, self.platform.api_url + path, json=json, data=data, headers=AUTH
        ) as resp:
            raw = await resp.read()
            body = await resp.json() if resp.content_type == "application/json" else raw
            text = raw.decode(errors="replace")
            return Answer(resp.status, body, text, resp.content_type, dict(resp.headers))

    async def sign_status(self) -> str:
        status: str = await self.platform.db.fetchval(
            "SELECT status FROM signatures WHERE id = $1", self.sign_id
        )
        return status


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(
        database_url, redis_url, clock=lambda: float(NOW), admin_token=ADMIN_TOKEN
    ) as platform:
        acct = await admin.create_account(platform.db, KEYRING, name="Acme Ltd", kind="organization")
        app = await admin.create_app(platform.db, KEYRING, account_id=acct.account_id, name="Acme app")
        sign_id = await admin.create_signature(
            platform.db, account_id=acct.account_id, name="Acme", international=False, approve=False
        )
        yield Env(platform, acct.account_id, app.sdk_app_id, sign_id)


async def test_a_nul_in_a_json_string_is_400_and_changes_nothing(env: Env) -> None:
    """Finding 6: "\\u0000" in a body string reached Postgres (review history, word lists, allowlist note)."""
    cases = [
        ("POST", f"/admin/v1/review/signature/{env.sign_id}/reject", {"reason": "bad\u0000name"}),
        ("POST", "/admin/v1/words/neutral_sign", {"add": ["ok", "n\u0000ul"]}),
        (
            "POST",
            f"/admin/v1/apps/{env.sdk_app_id}/allowlist",
            {"phones": ["+8613800138000"], "note": "\u0000"},
        ),
        ("PUT", f"/admin/v1/apps/{env.sdk_app_id}/callbacks", {"status_url": "https://example.com/\u0000"}),
        ("POST", "/admin/v1/words/neutral_sign", {"add": ["ok"], "\u0000": 1}),  # in a key too
        ("POST", "/admin/v1/words/neutral_sign", {"add": ["\ud800"]}),  # an unpaired surrogate
    ]
    for method, path, body in cases:
        error(await env.call(method, path, json=body), 400, BAD_VALUE)
    assert await env.sign_status() == "pending"
    assert await env.platform.db.fetchval("SELECT count(*) FROM word_lists WHERE word = 'ok'") == 0
    assert await env.platform.db.fetchval("SELECT count(*) FROM app_allowlist") == 0


async def test_a_nul_in_a_path_segment_or_query_parameter_is_400(env: Env) -> None:
    """Finding 6: "%00" in a path or a query reached Postgres (policy, stats, records)."""
    for path in [
        "/admin/v1/apps/1400%0000001/policy",
        "/admin/v1/apps/1400%0000001/allowlist",
        "/admin/v1/apps/1400%0000001/callbacks",
        "/admin/v1/stats?app=14%0000",
        "/admin/v1/review/queue?kind=%00",
    ]:
        error(await env.call("GET", path), 400, BAD_VALUE)
    error(await env.call("POST", "/admin/v1/apps/1400%0000001/disable"), 400, BAD_VALUE)


async def test_json_nested_10000_deep_is_400(env: Env) -> None:
    """Finding 6: json.loads raised RecursionError (a 500) on a deeply nested body; anything deeper than 32
    levels is refused before a handler walks it."""
    deep = b'{"add": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    error(await env.call("POST", "/admin/v1/words/neutral_sign", data=deep), 400, BAD_JSON)
    nested_40 = b'{"reason": ' + b"[" * 40 + b"]" * 40 + b"}"
    path = f"/admin/v1/review/signature/{env.sign_id}/start"
    error(await env.call("POST", path, data=nested_40), 400, BAD_JSON)
    assert await env.sign_status() == "pending"


async def test_a_5000_digit_id_or_one_past_bigint_is_400(env: Env) -> None:
    """Finding 6: int() refuses more than 4,300 digits (a 500); ids past 2**63 - 1 overflowed bigint."""
    huge = "9" * 5000
    for path in [
        f"/admin/v1/review/signature/{huge}",
        f"/admin/v1/documents/{huge}",
        f"/admin/v1/accounts/{huge}/blocklist",
        f"/admin/v1/accounts/{2**63}/packages",
        f"/admin/v1/messages?account={huge}",
        f"/admin/v1/stats?account={huge}",
    ]:
        error(await env.call("GET", path), 400, BAD_VALUE)
    error(
        await env.call("GET", f"/admin/v1/review/queue?limit={huge}"),
        400,
        "InvalidParameterValue.LimitVerifyFail",
    )
    body = b'{"international": "daily", "x": ' + b"9" * 5000 + b"}"
    error(await env.call("PUT", f"/admin/v1/accounts/{env.account_id}/settlement", data=body), 400, BAD_JSON)
    big = {"parts": 2**64, "valid_from": "2026-01-01", "valid_until": "2026-02-01"}
    error(await env.call("POST", f"/admin/v1/accounts/{env.account_id}/packages", json=big), 400, BAD_VALUE)


async def test_times_outside_1970_to_9000_are_400(env: Env) -> None:
    """Finding 6: year 1 shifted by the platform's zone (or by the default 24 hours) left what datetime
    holds (a 500)."""
    account = env.account_id
    for path, code in [
        (
            f"/admin/v1/messages?account={account}&to=0001-01-01T00:00:00Z",
            "InvalidParameterValue.EndTimeVerifyFail",
        ),
        ("/admin/v1/stats?from=0001-01-01&to=0001-01-02", BAD_VALUE),
        (f"/admin/v1/accounts/{account}/statement?month=0001-01", BAD_VALUE),
    ]:
        error(await env.call("GET", path), 400, code)
    package = {"parts": 10, "valid_from": "0001-01-01", "valid_until": "0001-02-01"}
    error(await env.call("POST", f"/admin/v1/accounts/{account}/packages", json=package), 400, BAD_VALUE)
    assert await env.platform.db.fetchval("SELECT count(*) FROM sms_packages") == 0


async def test_a_method_the_path_does_not_take_is_405_with_allow(env: Env) -> None:
    """Finding 6: the 405 answer lost aiohttp's Allow header (RFC 9110 requires it)."""
    reply = await env.call("DELETE", "/admin/v1/stats")
    error(reply, 405, "UnsupportedOperation")
    assert set(reply.headers["Allow"].split(",")) == {"GET", "HEAD"}
    reply = await env.call("PATCH", f"/admin/v1/apps/{env.sdk_app_id}/allowlist")
    error(reply, 405, "UnsupportedOperation")
    assert set(reply.headers["Allow"].split(",")) == {"GET", "HEAD", "POST", "DELETE"}


async def test_an_oversized_body_is_a_documented_json_413(database_url: str, redis_url: str) -> None:
    """Finding 6: 413 is answered in the admin error shape, and the document lists it (with 400) for every
    operation that takes a body; it listed neither."""
    async with running_platform(
        database_url, redis_url, admin_token=ADMIN_TOKEN, max_body_bytes=1024
    ) as platform:
        async with platform.http.post(
            platform.api_url + "/admin/v1/words/neutral_sign", headers=AUTH, json={"add": ["x" * 2000]}
        ) as resp:
            body = await resp.json()
            assert resp.status == 413 and body["error"]["code"] == "RequestSizeLimitExceeded", body
        async with platform.http.get(platform.api_url + "/admin/v1/openapi.yaml", headers=AUTH) as resp:
            document = yaml.safe_load(await resp.text())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert "400" in operation["responses"], (method, path)
                if "requestBody" in operation:
                    assert "413" in operation["responses"], (method, path)
