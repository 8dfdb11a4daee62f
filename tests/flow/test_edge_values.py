"""Issue 14, finding 6, one test per cause found by the fuzz suites (tests/fuzz/): each request below was answered
InternalError (API 3.0), 60008 (v5) or a plain-text HTTP 500 (carrier webhooks). Now each is the dialect's
parameter error in its own envelope."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from core.infra.metrics import API_REQUESTS
from tests.flow.harness import TOKEN, Platform, Tenant, running_platform
from tests.flow.tc3_client import Reply, Tc3Client, encode
from tests.flow.test_legacy_v5 import app_key, url
from tests.flow.test_legacy_v5_manage import spec_sig
from tests.fuzz.alibaba_wire import raw_http

NOW = 1_780_000_000
BIG = "9" * 5000  # past Python's 4,300-digit int() limit


@dataclass
class Env:
    platform: Platform
    tenant: Tenant
    client: Tc3Client

    async def v3(self, action: str, version: str = "2021-01-11", **params: Any) -> Reply:
        payload = encode(params)
        headers = self.client.headers(payload, timestamp=NOW, action=action, version=version)
        return await self.client.send(payload, headers)

    async def v5(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """Signed as spec A2 says, `&mobile=` included for a send."""
        random = f"{zlib.crc32(endpoint.encode()):010d}"
        key = await app_key(self.platform, self.tenant)
        tel = body.get("tel")
        sig = spec_sig(key, random, NOW)
        if isinstance(tel, dict):
            text = f"appkey={key}&random={random}&time={NOW}&mobile={tel['mobile']}"
            sig = hashlib.sha256(text.encode()).hexdigest()
        signed = {"sig": sig, "time": NOW, **body}
        target = f"{url(self.platform, endpoint)}?sdkappid={self.tenant.sdk_app_id}&random={random}"
        async with self.platform.http.post(target, json=signed) as resp:
            assert resp.status == 200
            answer: dict[str, Any] = await resp.json(content_type=None)
        return answer

    async def carrier(self, path: str, data: bytes) -> tuple[int, str, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        async with self.platform.http.post(self.platform.api_url + path, data=data, headers=headers) as resp:
            return resp.status, resp.content_type, await resp.json(content_type=None)


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, clock=lambda: float(NOW)) as platform:
        tenant = await platform.add_tenant()
        client = Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key)
        yield Env(platform, tenant, client)


def error_code(reply: Reply) -> str | None:
    assert reply.status == 200 and reply.content_type == "application/json", reply.text
    return reply.error_code


# --- API 3.0: "--1" and 5,000-digit integers reached int() ---------------------------------------------------


async def test_v3_integer_text_that_int_cannot_read_is_invalid_parameter(env: Env) -> None:
    hours = {
        "SmsSdkAppId": env.tenant.sdk_app_id,
        "BeginTime": "2026052800",
        "EndTime": "2026052800",
        "Limit": 0,
    }
    for offset in ("--1", BIG, "-" + BIG, "٣"):
        for action, params in (
            ("SendStatusStatistics", {**hours, "Offset": offset}),
            ("DeleteSmsSign", {"SignId": offset}),
            ("DeleteSmsTemplate", {"TemplateId": offset}),
            ("DescribeSmsTemplateList", {"TemplateIdSet": [offset], "International": 0}),
        ):
            code = error_code(await env.v3(action, **params))
            assert code == "InvalidParameter", (action, offset[:8], code)


async def test_v3_integer_over_int64_is_invalid_parameter(env: Env) -> None:
    assert error_code(await env.v3("DeleteSmsSign", SignId=2**63)) == "InvalidParameter"
    # The largest int64 is an id like any other: it does not exist.
    assert error_code(await env.v3("DeleteSmsSign", SignId=2**63 - 1)) != "InternalError"


async def test_v3_get_with_double_minus_is_invalid_parameter(env: Env) -> None:
    query = f"SmsSdkAppId={env.tenant.sdk_app_id}&Limit=--1"
    reply = await env.client.get(query, timestamp=NOW, action="PullSmsSendStatus")
    assert error_code(reply) == "InvalidParameter"


@pytest.mark.parametrize("index", ["²", "٣", BIG])
async def test_v3_get_list_index_that_int_cannot_read_is_a_plain_name(env: Env, index: str) -> None:
    """`Name.0`, `Name.1` rebuild a list; any other suffix is just part of an unknown parameter's name."""
    query = f"SmsSdkAppId={env.tenant.sdk_app_id}&PhoneNumberSet.{quote(index)}=%2B8613800138000"
    reply = await env.client.get(query, timestamp=NOW, action="DescribePhoneNumberInfo")
    assert error_code(reply) == "MissingParameter"


# --- API 3.0: times past year 9999 or before year 1 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "begin", "end"),
    [("2021-01-11", "BeginTime", "EndTime"), ("2019-07-11", "StartDateTime", "EndDataTime")],
)
async def test_v3_statistics_hours_at_the_ends_of_the_calendar(
    env: Env, version: str, begin: str, end: str
) -> None:
    app_field = "SmsSdkAppId" if version == "2021-01-11" else "SmsSdkAppid"
    base = {app_field: env.tenant.sdk_app_id, "Limit": 0, "Offset": 0}
    late = await env.v3("SendStatusStatistics", version, **base, **{begin: "2026052800", end: "9999123123"})
    assert error_code(late) == "InvalidParameterValue.EndTimeVerifyFail"
    early = await env.v3(
        "CallbackStatusStatistics", version, **base, **{begin: "0001010100", end: "0001010100"}
    )
    assert error_code(early) == "InvalidParameterValue.BeginTimeVerifyFail"


async def test_v3_sms_packages_statistics_to_the_last_hour_of_year_9999(env: Env) -> None:
    reply = await env.v3(
        "SmsPackagesStatistics",
        SmsSdkAppId=env.tenant.sdk_app_id,
        BeginTime="2026052800",
        EndTime="9999123123",
        Limit=10,
        Offset=0,
    )
    assert error_code(reply) == "InvalidParameterValue.EndTimeVerifyFail"


@pytest.mark.parametrize("action", ["DescribeSendRecordList", "PullSmsSendStatusByPhoneNumber"])
async def test_v3_end_time_past_year_9999_is_end_time_error(env: Env, action: str) -> None:
    reply = await env.v3(
        action,
        SmsSdkAppId=env.tenant.sdk_app_id,
        PhoneNumber="+8613800138000",
        BeginTime=NOW - 60,
        EndTime=2**62,
        Limit=10,
        Offset=0,
    )
    assert error_code(reply) == "InvalidParameterValue.EndTimeVerifyFail"


# --- legacy v5: ids over int64 reached Postgres; times past year 9999 -----------------------------------------


V5_CASES: list[tuple[str, dict[str, Any]]] = [
    ("del_template", {"tpl_id": [2**63]}),
    ("get_template", {"tpl_id": [-(2**63) - 1]}),
    ("del_sign", {"sign_id": 10**20}),
    ("mod_template", {"tpl_id": 2**64, "text": "Code {1}", "type": 0}),
    ("sendsms", {"tel": {"nationcode": "86", "mobile": "13800138000"}, "tpl_id": 2**63, "params": []}),
    (
        "pullstatus4mobile",
        {
            "type": 0,
            "max": 10,
            "nationcode": "86",
            "mobile": "13800138000",
            "begin_time": NOW - 60,
            "end_time": 2**62,
        },
    ),
    ("pullsendstatus", {"begin_date": 2026052800, "end_date": 9999123123}),
]


async def test_v5_values_outside_int64_or_the_calendar_are_1004(env: Env) -> None:
    for endpoint, body in V5_CASES:
        answer = await env.v5(endpoint, body)
        assert answer["result"] == 1004, (endpoint, answer)


# --- carrier webhooks: inf/1e20/NaN times, NUL bytes, deep nesting, oversize bodies ----------------------------


def _report(**changes: Any) -> dict[str, Any]:
    return {"ref": "x1", "carrier_id": "c1", "delivered": True, "error": "", "report_time": NOW, **changes}


BAD_REPORTS: list[bytes] = [
    b'{"reports": [{"ref": "x1", "delivered": true, "report_time": 1e400}]}',  # inf
    b'{"reports": [{"ref": "x1", "delivered": true, "report_time": 1e20}]}',
    b'{"reports": [{"ref": "x1", "delivered": true, "report_time": NaN}]}',
    b'{"reports": [{"ref": "x1", "delivered": true, "report_time": 253402300800}]}',  # year 10000
    b'{"reports": [{"ref": "x1", "delivered": true, "report_time": -62135596801}]}',  # before year 1
    b'{"reports": [{"ref": "x\\u0000", "delivered": true, "report_time": 1780000000}]}',
    b'{"reports": [{"ref": "x1", "error": "\\u0000", "delivered": true, "report_time": 1780000000}]}',
    b'{"reports": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
]


async def test_carrier_report_that_cannot_be_recorded_is_a_json_400(env: Env) -> None:
    for body in BAD_REPORTS:
        status, content_type, answer = await env.carrier("/carrier/reports", body)
        assert (status, content_type, answer["result"]) == (400, "application/json", 1), (body[:80], answer)
        assert isinstance(answer["errmsg"], str)


BAD_REPLIES: list[dict[str, Any]] = [
    {"phone": "+86138\u0000", "text": "hi"},
    {"phone": "+8613800138000", "text": "hi", "sign": "\u0000"},
    {"phone": "+8613800138000", "text": "hi", "extend": "a\u0000"},
    {"phone": "+8613800138000", "text": "hi", "time": 1e20},
    {"phone": "+8613800138000", "text": "hi", "time": 2**63},
]


async def test_carrier_reply_that_cannot_be_recorded_is_a_json_400(env: Env) -> None:
    for reply in BAD_REPLIES:
        status, content_type, answer = await env.carrier("/carrier/replies", encode({"replies": [reply]}))
        assert (status, content_type, answer["result"]) == (400, "application/json", 1), (reply, answer)


async def test_carrier_body_over_the_limit_is_a_json_413(env: Env) -> None:
    body = b'{"reports": [], "pad": "' + b"x" * (env.platform.settings.max_body_bytes + 1) + b'"}'
    status, content_type, answer = await env.carrier("/carrier/reports", body)
    assert (status, content_type, answer["result"]) == (413, "application/json", 1), answer


async def test_carrier_report_at_an_ordinary_time_is_still_accepted(env: Env) -> None:
    status, _, answer = await env.carrier("/carrier/reports", encode({"reports": [_report()]}))
    assert (status, answer) == (200, {"result": 0, "applied": 0})  # no such message: nothing to apply


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_on_the_api_root_get_the_tencent_envelope(env: Env, method: str) -> None:
    """A method the SDK never uses gets UnsupportedOperation in the envelope, not aiohttp's plain-text 405."""
    async with env.platform.http.request(method, env.platform.api_url + "/", data=b"{}") as resp:
        body = await resp.json(content_type=None)
    error = body["Response"]["Error"]
    assert error["Code"] == "UnsupportedOperation" and method in error["Message"]
    assert body["Response"]["RequestId"]


@pytest.mark.parametrize("path", ["/carrier/reports", "/carrier/replies"])
async def test_other_methods_on_the_carrier_webhooks_get_their_json_405(env: Env, path: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with env.platform.http.put(env.platform.api_url + path, headers=headers, data=b"{}") as resp:
        assert resp.status == 405 and resp.headers["Allow"] == "POST"
        assert (await resp.json())["result"] == 1


async def test_bodies_not_in_their_content_encoding_and_head_on_the_root(
    database_url: str, redis_url: str
) -> None:
    """A body that is not the gzip or deflate its Content-Encoding names is a bad request in each Tencent
    dialect's own words (it was an internal error); HEAD on `/` runs no action (aiohttp serves HEAD with GET)."""
    async with running_platform(database_url, redis_url) as platform:
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip"
        reply = await raw_http(platform.api_url, head + b"\r\nX-TC-Action: SendSms", b"not gzip")
        assert reply.status == 200
        assert reply.body["Response"]["Error"]["Code"] == "InvalidParameter"
        v5 = b"POST /v5/tlssmssvr/sendsms?sdkappid=1400000001&random=1 HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip"
        reply = await raw_http(platform.api_url, v5, b"not gzip")
        assert (reply.status, reply.body["result"]) == (200, 1004)  # BAD_BODY, not 60008 (internal error)
        # The action's handler counts every request it reads (sms_api_requests{action="SendSms"}): HEAD is
        # answered before it, GET is read by it.
        read = API_REQUESTS.labels("SendSms", "AuthFailure.InvalidAuthorization")
        before = read._value.get()
        async with platform.http.head(platform.api_url + "/", headers={"X-TC-Action": "SendSms"}) as resp:
            assert resp.status == 200  # the Tencent envelope's status, without its body
        assert read._value.get() == before
        async with platform.http.get(platform.api_url + "/", headers={"X-TC-Action": "SendSms"}) as resp:
            body = await resp.json()
            assert body["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
        assert read._value.get() == before + 1


async def test_every_door_says_it_closes_a_connection_whose_body_it_did_not_read(
    database_url: str, redis_url: str
) -> None:
    """After a body not in its Content-Encoding (left unread) the server closes the connection: each door's
    answer says `Connection: close`, so a client keeping connections alive does not send its next request into
    a closed one (found for the UCloud door by its fuzz suite; the same in Tencent's, v5's and Alibaba's). An
    oversized body is answered too, and the client's next request on its pool goes through."""
    async with running_platform(database_url, redis_url, ip_requests_per_second=0) as platform:
        big = b"x" * (platform.settings.max_body_bytes + 1)
        doors = (
            ("/", {"Content-Type": "application/json", "X-TC-Action": "SendSms"}),
            ("/v5/tlssmssvr/sendsms?sdkappid=1400000001&random=1", {"Content-Type": "application/json"}),
            ("/?Action=SendSms&Version=2017-05-25", {"Content-Type": "application/x-www-form-urlencoded"}),
        )
        for path, headers in doors:
            for body, extra in ((b"not gzip", {"Content-Encoding": "gzip"}), (big, {})):
                for _ in range(2):  # the second on the pool's connection, were the first left open
                    async with platform.http.post(
                        platform.api_url + path, data=body, headers={**headers, **extra}
                    ) as resp:
                        assert resp.content_type.startswith("application/json")
                        await resp.read()
                        if extra:  # left unread: the server closes the connection, and says so
                            assert resp.headers.get("Connection", "").lower() == "close", (path, resp.headers)
            async with platform.http.get(platform.api_url + "/healthz") as resp:  # and the pool still works
                assert resp.status == 200
