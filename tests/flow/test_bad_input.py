"""Bad input over raw HTTP, signed with the test's own TC3 signer (tests/flow/tc3_client.py). Whatever a
client sends, the answer is HTTP 200, Content-Type exactly `application/json` (else the SDK misses the error, spec
section 11.1) and the envelope {"Response": {"Error": {"Code", "Message"}, "RequestId"}} with the right code:
never a 500, never a stack trace (spec sections 3, 5, 8.3)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from core.store import admin
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.tc3_client import Reply, Tc3Client, encode
from tests.keyring import opened

# The API's fixed clock; requests are signed at this time unless a test is about the timestamp.
NOW = 1_780_000_000
PHONE = "+8613800138000"


@dataclass
class Env:
    platform: Platform
    tenant: Tenant
    client: Tc3Client

    def params(self, **changes: Any) -> dict[str, Any]:
        """A valid SendSms request; `changes` replace fields (None removes one)."""
        params: dict[str, Any] = {
            "PhoneNumberSet": [PHONE],
            "SmsSdkAppId": self.tenant.sdk_app_id,
            "TemplateId": str(self.tenant.template_id),
            "SignName": SIGN,
            "TemplateParamSet": ["123456", "5"],
        }
        params.update(changes)
        return {k: v for k, v in params.items() if v is not None}

    async def message_count(self) -> int:
        count: int = await self.platform.db.fetchval("SELECT count(*) FROM messages")
        return count


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, clock=lambda: float(NOW)) as platform:
        tenant = await platform.add_tenant()
        client = Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key)
        yield Env(platform, tenant, client)


def envelope(reply: Reply) -> dict[str, Any]:
    """The wire invariants every answer keeps; returns Response."""
    assert reply.status == 200, reply.text
    assert reply.content_type == "application/json"
    assert "Traceback" not in reply.text and 'File "' not in reply.text
    body = reply.body
    assert set(body) == {"Response"}
    response: dict[str, Any] = body["Response"]
    assert isinstance(response["RequestId"], str) and response["RequestId"]
    return response


def assert_error(reply: Reply, code: str) -> None:
    response = envelope(reply)
    assert set(response) == {"Error", "RequestId"}, response
    assert set(response["Error"]) == {"Code", "Message"}
    assert isinstance(response["Error"]["Message"], str) and response["Error"]["Message"]
    assert response["Error"]["Code"] == code, response


def assert_sent(reply: Reply) -> None:
    response = envelope(reply)
    assert "Error" not in response, response
    assert [(s["PhoneNumber"], s["Code"]) for s in response["SendStatusSet"]] == [(PHONE, "Ok")]


# --- body shape ---------------------------------------------------------------------------------------------

NOT_JSON = [
    pytest.param(b'{"PhoneNumberSet": [', id="truncated"),
    pytest.param(b"{'PhoneNumberSet': []}", id="single-quotes"),
    pytest.param(b'{"SignName": "\xff\xfe"}', id="not-utf8"),
    pytest.param(b'["PhoneNumberSet", "+8613800138000"]', id="json-array"),
    pytest.param(b'"SendSms"', id="json-string"),
    pytest.param(b"null", id="json-null"),
    pytest.param(b'{"PhoneNumberSet": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="nested-100k-deep"),
]


@pytest.mark.parametrize("payload", NOT_JSON)
async def test_body_that_is_not_a_json_object(env: Env, payload: bytes) -> None:
    """A correctly signed body that is not a JSON object: FailedOperation.JsonParseFail."""
    assert_error(await env.client.call(payload, timestamp=NOW), "FailedOperation.JsonParseFail")


WRONG_TYPES = [
    pytest.param({"PhoneNumberSet": PHONE}, id="PhoneNumberSet-string"),
    pytest.param({"PhoneNumberSet": [{"Number": PHONE}]}, id="PhoneNumberSet-dict-inside"),
    pytest.param({"PhoneNumberSet": [[PHONE]]}, id="PhoneNumberSet-list-inside"),
    pytest.param({"PhoneNumberSet": [True]}, id="PhoneNumberSet-bool-inside"),
    pytest.param({"PhoneNumberSet": [None]}, id="PhoneNumberSet-null-inside"),
    pytest.param({"SmsSdkAppId": ["1400000001"]}, id="SmsSdkAppId-list"),
    pytest.param({"SmsSdkAppId": 1400000001.5}, id="SmsSdkAppId-float"),
    pytest.param({"SmsSdkAppId": True}, id="SmsSdkAppId-bool"),
    pytest.param({"TemplateId": {"Id": 1}}, id="TemplateId-dict"),
    pytest.param({"TemplateParamSet": "123456"}, id="TemplateParamSet-string"),
    pytest.param({"TemplateParamSet": ["123456", {"v": 5}]}, id="TemplateParamSet-dict-inside"),
    pytest.param({"SignName": ["TestCorp"]}, id="SignName-list"),
    pytest.param({"SessionContext": {"a": 1}}, id="SessionContext-dict"),
]


@pytest.mark.parametrize("changes", WRONG_TYPES)
async def test_wrong_parameter_types(env: Env, changes: dict[str, Any]) -> None:
    assert_error(await env.client.call(env.params(**changes), timestamp=NOW), "InvalidParameter")
    assert await env.message_count() == 0


@pytest.mark.parametrize("name", ["SmsSdkAppId", "PhoneNumberSet", "TemplateId"])
async def test_missing_required_parameter(env: Env, name: str) -> None:
    assert_error(await env.client.call(env.params(**{name: None}), timestamp=NOW), "MissingParameter")


async def test_empty_body_is_missing_parameters(env: Env) -> None:
    assert_error(await env.client.call(b"", timestamp=NOW), "MissingParameter")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"SmsSdkAppId": "1400\x00001"}, id="nul-SmsSdkAppId"),
        pytest.param({"SignName": "Test\x00Corp"}, id="nul-SignName"),
        pytest.param({"TemplateParamSet": ["12\x0034", "5"]}, id="nul-TemplateParamSet"),
        pytest.param({"SessionContext": "order\x00-42"}, id="nul-SessionContext"),
        pytest.param({"TemplateId": "1\x00"}, id="nul-TemplateId"),
        pytest.param({"PhoneNumberSet": [PHONE, "\x00"]}, id="nul-PhoneNumberSet"),
        pytest.param({"SignName": "\ud800"}, id="surrogate-SignName"),
        pytest.param({"SessionContext": "\udcff"}, id="surrogate-SessionContext"),
        pytest.param({"PhoneNumberSet": ["\ud800"]}, id="surrogate-PhoneNumberSet"),
        pytest.param({"TemplateParamSet": ["\ud83d", "5"]}, id="surrogate-TemplateParamSet"),
    ],
)
async def test_nul_or_lone_surrogate_is_an_invalid_value(env: Env, changes: dict[str, Any]) -> None:
    """JSON can carry "\\u0000" and a lone "\\ud800", which neither Postgres text nor a UTF-8 answer can hold:
    the client's bad value (InvalidParameterValue), not an InternalError (retry, stack trace in the log)."""
    assert_error(await env.client.call(env.params(**changes), timestamp=NOW), "InvalidParameterValue")
    assert await env.message_count() == 0


async def test_nul_in_a_get_query_is_an_invalid_value(env: Env) -> None:
    """Same over GET (spec 2.3), where "%00" decodes to NUL."""
    query = f"PhoneNumberSet.0=%2B8613800138000&SmsSdkAppId={env.tenant.sdk_app_id}&TemplateId=1%00"
    assert_error(await env.client.get(query, timestamp=NOW), "InvalidParameterValue")


async def test_get_signed_by_the_raw_client(env: Env) -> None:
    """GET with flattened lists (spec 2.3), signing the raw query string: the control for the test above."""
    query = urlencode(
        {
            "PhoneNumberSet.0": PHONE,
            "SmsSdkAppId": env.tenant.sdk_app_id,
            "TemplateId": str(env.tenant.template_id),
            "SignName": SIGN,
            "TemplateParamSet.0": "123456",
            "TemplateParamSet.1": "5",
        }
    )
    assert_sent(await env.client.get(query, timestamp=NOW))


async def test_get_with_percent_encoded_values(env: Env) -> None:
    """The GET signature covers the query string exactly as sent and values are decoded once (spec 3.5, 2.3):
    a CJK signature, a space sent as "+", a literal "+" and "%" must arrive intact."""
    await admin.create_signature(
        env.platform.db, account_id=env.tenant.account_id, name="腾讯云", international=False, approve=True
    )
    query = urlencode(
        {
            "PhoneNumberSet.0": PHONE,
            "SmsSdkAppId": env.tenant.sdk_app_id,
            "TemplateId": str(env.tenant.template_id),
            "SignName": "腾讯云",
            "TemplateParamSet.0": "a+b %41",
            "TemplateParamSet.1": "5",
        }
    )
    assert "%E8%85%BE" in query and "a%2Bb+%2541" in query
    assert_sent(await env.client.get(query, timestamp=NOW))
    content = opened(await env.platform.db.fetchrow("SELECT content FROM messages"))["content"]
    assert content == "【腾讯云】Your code is a+b %41, valid for 5 minutes."


# "\u00b2" is a superscript two and "\u0661\u0660\u0660\u0660" Arabic-Indic 1000: str.isdigit() holds for both.
@pytest.mark.parametrize(
    "template_id", ["\u00b2", "\u0661\u0660\u0660\u0660", "+1000", "-1", "1000.0", "99999999999999999999"]
)
async def test_odd_template_id_is_just_not_found(env: Env, template_id: str) -> None:
    """A TemplateId that is not plain ASCII digits names no template (never an InternalError)."""
    reply = await env.client.call(env.params(TemplateId=template_id), timestamp=NOW)
    assert_error(reply, "FailedOperation.TemplateIncorrectOrUnapproved")


async def test_unknown_action(env: Env) -> None:
    reply = await env.client.call(env.params(), timestamp=NOW, action="SendSmsPlease")
    assert_error(reply, "InvalidAction")


async def test_an_empty_multi_send_has_its_own_code(env: Env) -> None:
    """SendMultiGlobalSms (served since issue 16) with no item: InvalidParameterValue.MultiSmsInfoSetEmpty."""
    reply = await env.client.call(
        {"SmsSdkAppId": "1400000001", "MultiSmsInfoSet": []}, timestamp=NOW, action="SendMultiGlobalSms"
    )
    assert_error(reply, "InvalidParameterValue.MultiSmsInfoSetEmpty")


async def test_body_over_one_mib(env: Env) -> None:
    """RequestSizeLimitExceeded, answered in the envelope like any other error (not aiohttp's 413)."""
    payload = encode(env.params(SessionContext="x" * (1024 * 1024)))
    assert len(payload) > 1024 * 1024
    assert_error(await env.client.call(payload, timestamp=NOW), "RequestSizeLimitExceeded")


async def test_body_of_exactly_one_mib_is_read(env: Env) -> None:
    """The limit is on what is over 1 MiB: a body of exactly 1 MiB (whitespace padding) is read and sent."""
    payload = encode(env.params(SessionContext=""))
    payload = payload[:-1] + b" " * (1024 * 1024 - len(payload)) + b"}"
    assert len(payload) == 1024 * 1024
    assert_sent(await env.client.call(payload, timestamp=NOW))


# --- authentication (spec section 3, 8.3) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("Bearer abc", id="other-scheme"),
        pytest.param("TC3-HMAC-SHA256 garbage", id="garbled"),
        pytest.param(
            "TC3-HMAC-SHA256 Credential=AKIDx/2026-05-28/sms, SignedHeaders=host, Signature=00", id="short"
        ),
    ],
)
async def test_missing_or_garbled_authorization(env: Env, authorization: str | None) -> None:
    payload = encode(env.params())
    headers = env.client.headers(payload, timestamp=NOW)
    if authorization is None:
        del headers["Authorization"]
    else:
        headers["Authorization"] = authorization
    assert_error(await env.client.send(payload, headers), "AuthFailure.InvalidAuthorization")


async def test_signature_not_hex_is_invalid_authorization(env: Env) -> None:
    payload = encode(env.params())
    headers = env.client.headers(payload, timestamp=NOW)
    headers["Authorization"] = headers["Authorization"][:-64] + "z" * 64
    assert_error(await env.client.send(payload, headers), "AuthFailure.InvalidAuthorization")


@pytest.mark.parametrize("offset", [-301, 301, -3600])
async def test_timestamp_more_than_300_seconds_off_expires(env: Env, offset: int) -> None:
    assert_error(await env.client.call(env.params(), timestamp=NOW + offset), "AuthFailure.SignatureExpire")
    assert await env.message_count() == 0


@pytest.mark.parametrize("offset", [-299, 299, -300, 300])
async def test_timestamp_within_300_seconds_is_accepted(env: Env, offset: int) -> None:
    assert_sent(await env.client.call(env.params(), timestamp=NOW + offset))
    assert await env.message_count() == 1


async def test_unknown_secret_id(env: Env) -> None:
    stranger = Tc3Client(env.client.http, env.client.url, "AKID" + "0" * 32, env.tenant.secret_key)
    assert_error(await stranger.call(env.params(), timestamp=NOW), "AuthFailure.SecretIdNotFound")


async def test_wrong_secret_key(env: Env) -> None:
    forger = Tc3Client(env.client.http, env.client.url, env.tenant.secret_id, "k" * 32)
    assert_error(await forger.call(env.params(), timestamp=NOW), "AuthFailure.SignatureFailure")


async def test_body_altered_after_signing(env: Env) -> None:
    """Hash the raw bytes: even re-serialising the same JSON differently breaks the signature (spec 11.4)."""
    payload = encode(env.params())
    headers = env.client.headers(payload, timestamp=NOW)
    altered = encode(env.params(PhoneNumberSet=["+8613900139000"]))
    assert_error(await env.client.send(altered, headers), "AuthFailure.SignatureFailure")
    compact = json.dumps(env.params(), separators=(",", ":")).encode()
    assert_error(await env.client.send(compact, headers), "AuthFailure.SignatureFailure")
    assert await env.message_count() == 0


async def test_signed_for_another_timestamp(env: Env) -> None:
    payload = encode(env.params())
    headers = env.client.headers(payload, timestamp=NOW)
    headers["X-TC-Timestamp"] = str(NOW + 1)
    assert_error(await env.client.send(payload, headers), "AuthFailure.SignatureFailure")


async def test_disabled_key(env: Env) -> None:
    """A2: a leaked key can be disabled at once."""
    assert await admin.set_key_enabled(env.platform.db, env.tenant.secret_id, False)
    assert_error(await env.client.call(env.params(), timestamp=NOW), "AuthFailure.UnauthorizedOperation")
    assert await env.message_count() == 0
    assert await admin.set_key_enabled(env.platform.db, env.tenant.secret_id, True)
    assert_sent(await env.client.call(env.params(), timestamp=NOW))


# Header bytes that are not UTF-8 (aiohttp hands them over surrogate-escaped): the ordinary code, never a 500
# or an InternalError. "\udcff" is sent as the raw byte 0xff.
@pytest.mark.parametrize(
    ("header", "mutate", "code"),
    [
        pytest.param(
            "Authorization",
            lambda v: v.replace("Credential=AKID", "Credential=AK\udcffID"),
            "AuthFailure.SecretIdNotFound",
            id="Authorization",
        ),
        pytest.param("Host", lambda v: v + "\udcff", "AuthFailure.SignatureFailure", id="Host"),
        pytest.param(
            "Content-Type", lambda v: v + "\udcff", "AuthFailure.SignatureFailure", id="Content-Type"
        ),
        pytest.param("X-TC-Action", lambda v: v + "\udcff", "InvalidAction", id="X-TC-Action"),
        pytest.param("X-TC-Version", lambda v: v + "\udcff", "NoSuchVersion", id="X-TC-Version"),
    ],
)
async def test_header_bytes_not_utf8(env: Env, header: str, mutate: Callable[[str], str], code: str) -> None:
    payload = encode(env.params())
    headers = env.client.headers(payload, timestamp=NOW)
    headers[header] = mutate(headers[header])
    assert_error(await env.client.send_raw_path(payload, headers, path="/"), code)


# 2019-07-11 is served (a translation; tests/flow/test_tencent_v20190711.py): its neighbours and spellings are not.
@pytest.mark.parametrize("version", ["2019-07-12", "2021-01-12", "", "v20190711", "2017-03-12"])
async def test_wrong_version(env: Env, version: str) -> None:
    payload = encode(env.params())
    headers = env.client.headers(payload, timestamp=NOW, version=version)
    assert_error(await env.client.send(payload, headers), "NoSuchVersion")


# --- paths --------------------------------------------------------------------------------------------------


async def test_async_sdk_path_with_empty_query(env: Env) -> None:
    """The async SDK posts to `/?` (spec section 1); it is the same endpoint as `/`."""
    payload = encode(env.params())
    reply = await env.client.send_raw_path(payload, env.client.headers(payload, timestamp=NOW), path="/?")
    assert_sent(reply)
    assert await env.message_count() == 1


async def test_plain_path_over_raw_socket(env: Env) -> None:
    """The raw-socket sender itself, on `/` (so the `/?` test above is not passing by accident)."""
    payload = encode(env.params())
    reply = await env.client.send_raw_path(payload, env.client.headers(payload, timestamp=NOW), path="/")
    assert_sent(reply)
