"""Requests really produced by the unmodified Alibaba SDKs verify with api.alibaba.auth, and only as sent.

Clients (spec sections 1, 2 and 9): the Tea SDK alibabacloud_dysmsapi20170525 with its default ACS3-HMAC-SHA256
and with Config(signature_algorithm="v2") (RPC HMAC-SHA1), each sync and async (the async client leaves `:`,
`*` and `/` raw in the query, spec 9.3), and the legacy aliyunsdkcore AcsClient. Each sends SendSms (all in the
query) and SendBatchSms (a form body for Tea, the query for legacy) to a capture server on 127.0.0.1; values
carry a space, `*`, `~`, `:`, `/`, `+`, `%`, `&`, `=` and Chinese.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import pytest
from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client as TeaClient
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkdysmsapi.request.v20170525 import SendBatchSmsRequest, SendSmsRequest

from api.alibaba.auth import (
    Acs3Check,
    Acs3Failure,
    RpcCheck,
    RpcFailure,
    is_fresh,
    parse_acs3_authorization,
    parse_acs_date,
    rpc_param,
    verify_acs3,
    verify_rpc,
)
from tests.alibaba_capture import FORM_CONTENT_TYPE, OK_ENVELOPE, Captured, CaptureServer

AK = "LTAI5tCaptureTestKey"
SECRET = "capture-test-secret"
VALUE = "a b*~:/+%&=阿里云"
PHONES_JSON = '["13800000000","+8613900000000"]'
SIGNS_JSON = '["阿里云","阿里云"]'
PARAMS_JSON = json.dumps([{"code": VALUE}, {"code": "1234"}], ensure_ascii=False)
TEMPLATE_PARAM = json.dumps({"code": VALUE}, ensure_ascii=False)

TEA_KINDS = ("tea-acs3", "tea-acs3-async", "tea-v2", "tea-v2-async")
KINDS = (*TEA_KINDS, "legacy")
ACTIONS = ("SendSms", "SendBatchSms")
CASES = [(kind, action) for kind in KINDS for action in ACTIONS]
ACS3_CASES = [(kind, action) for kind, action in CASES if "acs3" in kind]
FORM_BODY_CASES = [(kind, "SendBatchSms") for kind in TEA_KINDS]


# --- driving the SDKs -----------------------------------------------------------------------------------


def tea_client(endpoint: str, kind: str, secret: str) -> TeaClient:
    config = openapi_models.Config(
        access_key_id=AK, access_key_secret=secret, endpoint=endpoint, protocol="http"
    )
    if "v2" in kind:
        config.signature_algorithm = "v2"
    return TeaClient(config)


def send_tea(server: CaptureServer, kind: str, action: str, secret: str) -> Any:
    client = tea_client(server.endpoint, kind, secret)
    if action == "SendSms":
        sms = sms_models.SendSmsRequest(
            phone_numbers="13800000000,+8613900000000",
            sign_name="阿里云",
            template_code="SMS_154950909",
            template_param=TEMPLATE_PARAM,
            out_id=VALUE,
        )
        if kind.endswith("async"):
            return asyncio.run(client.send_sms_async(sms))
        return client.send_sms(sms)
    batch = sms_models.SendBatchSmsRequest(
        phone_number_json=PHONES_JSON,
        sign_name_json=SIGNS_JSON,
        template_code="SMS_154950909",
        template_param_json=PARAMS_JSON,
        out_id=VALUE,
    )
    if kind.endswith("async"):
        return asyncio.run(client.send_batch_sms_async(batch))
    return client.send_batch_sms(batch)


def legacy_request(action: str) -> Any:
    if action == "SendSms":
        request = SendSmsRequest.SendSmsRequest()
        request.set_PhoneNumbers("13800000000,+8613900000000")
        request.set_SignName("阿里云")
        request.set_TemplateParam(TEMPLATE_PARAM)
        request.set_OutId(VALUE)
    else:
        request = SendBatchSmsRequest.SendBatchSmsRequest()
        request.set_PhoneNumberJson(PHONES_JSON)
        request.set_SignNameJson(SIGNS_JSON)
        request.set_TemplateParamJson(PARAMS_JSON)
        # aliyun-python-sdk-dysmsapi 2.1.2 has no OutId setter on SendBatchSms; its public generic one.
        request.add_query_param("OutId", VALUE)
    request.set_TemplateCode("SMS_154950909")
    request.set_endpoint("127.0.0.1")
    request.set_protocol_type("http")
    return request


def send_legacy(server: CaptureServer, action: str, secret: str) -> tuple[bytes, str]:
    """The raw response body and the string to sign the SDK computed."""
    request = legacy_request(action)
    body = AcsClient(AK, secret, "cn-hangzhou", port=server.port).do_action_with_exception(request)
    return body, request.string_to_sign


def send(server: CaptureServer, kind: str, action: str, secret: str = SECRET) -> Any:
    if kind == "legacy":
        return send_legacy(server, action, secret)
    return send_tea(server, kind, action, secret)


@dataclass(frozen=True)
class Sent:
    captured: Captured
    sdk_string_to_sign: str  # legacy only: what aliyunsdkcore signed


@pytest.fixture(scope="module")
def sent() -> Iterator[dict[tuple[str, str], Sent]]:
    """Every (client, action) sent once to a capture server."""
    requests: dict[tuple[str, str], Sent] = {}
    with CaptureServer() as server:
        for kind, action in CASES:
            result = send(server, kind, action)
            if kind == "legacy":
                body, string_to_sign = result
                assert json.loads(body) == OK_ENVELOPE
            else:
                assert result.status_code == 200 and result.body.code == "OK" and result.body.biz_id == "1^0"
                string_to_sign = ""
            requests[kind, action] = Sent(server.requests[-1], string_to_sign)
    yield requests


# --- the server side, as the front door will do it ------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What the verifier sees: decoded query pairs, lower-case headers with every value, raw body."""

    method: str
    path: str
    query_pairs: tuple[tuple[str, str], ...]
    headers: Mapping[str, Sequence[str]]
    body: bytes

    @classmethod
    def of(cls, captured: Captured) -> Received:
        return cls(
            captured.method,
            captured.path,
            tuple(captured.query_pairs()),
            captured.header_lists(),
            captured.body,
        )

    def form_pairs(self) -> list[tuple[str, str]]:
        content_types = [
            value.split(";")[0].strip().lower() for value in self.headers.get("content-type", [])
        ]
        if FORM_CONTENT_TYPE not in content_types:
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def with_header(self, name: str, values: list[str]) -> Received:
        return replace(self, headers={**self.headers, name: values})

    def with_query_value(self, index: int, value: str) -> Received:
        pairs = list(self.query_pairs)
        pairs[index] = (pairs[index][0], value)
        return replace(self, query_pairs=tuple(pairs))


def verify(received: Received, secret: str = SECRET) -> Acs3Check | RpcCheck:
    """ACS3 when an ACS3 Authorization header is present, else RPC over the query + form body (spec 3)."""
    authorizations = received.headers.get("authorization", [])
    if authorizations:
        auth = parse_acs3_authorization(authorizations[0])
        assert auth is not None and auth.access_key_id == AK
        return verify_acs3(
            secret,
            auth,
            method=received.method,
            path=received.path,
            query_pairs=received.query_pairs,
            headers=received.headers,
            body=received.body,
        )
    params = [*received.query_pairs, *received.form_pairs()]
    signature = rpc_param(params, "Signature")
    assert signature is not None  # without one it is not an RPC request at all
    return verify_rpc(secret, signature, method=received.method, params=params)


MISMATCH = (Acs3Failure.SIGNATURE_MISMATCH, RpcFailure.SIGNATURE_MISMATCH)


# --- the tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "action"), CASES)
def test_sdk_request_verifies_with_the_right_secret(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    received = Received.of(sent[kind, action].captured)
    check = verify(received)
    assert check.ok, check
    # The awkward value really travelled in the signed request, decoded back exactly.
    params = dict([*received.query_pairs, *received.form_pairs()])
    assert params.get("AccessKeyId", AK) == AK
    assert params["OutId"] == VALUE
    assert VALUE in (params.get("TemplateParam") or params["TemplateParamJson"])
    # And the request time is one the window accepts.
    sent_at = received.headers["x-acs-date"][0] if "acs3" in kind else params["Timestamp"]
    parsed = parse_acs_date(sent_at)
    assert parsed is not None and is_fresh(parsed, time.time())


@pytest.mark.parametrize(("kind", "action"), CASES)
def test_sdk_request_is_refused_with_a_wrong_secret(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    received = Received.of(sent[kind, action].captured)
    assert verify(received, SECRET + "x").failure in MISMATCH
    assert verify(received, SECRET.upper()).failure in MISMATCH


def test_the_clients_encode_the_same_value_differently_on_the_wire(
    sent: dict[tuple[str, str], Sent],
) -> None:
    """Why the query must be form-decoded before canonicalising (spec 2.1, 2.3, 9.3)."""
    raw = {kind: sent[kind, "SendSms"].captured.raw_query for kind in KINDS}
    assert "OutId=a+b%2A~%3A%2F%2B" in raw["tea-acs3"]
    assert "OutId=a+b*~:/%2B" in raw["tea-acs3-async"]
    assert "OutId=a%20b%2A~%3A%2F%2B" in raw["legacy"]
    assert (
        "Timestamp=20" in raw["tea-v2-async"] and "%3A" not in raw["tea-v2-async"].split("Timestamp=")[1][:20]
    )


@pytest.mark.parametrize(("kind", "action"), ACS3_CASES)
def test_changing_any_signed_header_is_refused(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    received = Received.of(sent[kind, action].captured)
    auth = parse_acs3_authorization(received.headers["authorization"][0])
    assert auth is not None
    # The SDK signs every header it set, including ones the spec does not require.
    assert {"accept", "user-agent", "x-acs-credentials-provider"} <= set(auth.signed_headers)
    assert ("content-type" in auth.signed_headers) is (action == "SendBatchSms")
    for name in auth.signed_headers:
        value = received.headers[name][0]
        for changed in {value + "0", value.upper(), value.lower()} - {value}:
            check = verify(received.with_header(name, [changed]))
            expected = (
                Acs3Failure.CONTENT_SHA256_MISMATCH
                if name == "x-acs-content-sha256"
                else Acs3Failure.SIGNATURE_MISMATCH
            )
            assert check.failure is expected, (name, changed)
        assert verify(received.with_header(name, [])).failure is Acs3Failure.HEADER_MISSING, name
        assert not verify(received.with_header(name, [value, value])).ok, name


@pytest.mark.parametrize(("kind", "action"), ACS3_CASES)
def test_headers_the_http_library_adds_are_not_signed(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    received = Received.of(sent[kind, action].captured)
    auth = parse_acs3_authorization(received.headers["authorization"][0])
    assert auth is not None
    unsigned = set(received.headers) - set(auth.signed_headers) - {"authorization"}
    assert {"accept-encoding", "content-length"} <= unsigned
    for name in unsigned:
        assert verify(received.with_header(name, ["something else"])).ok, name
        assert verify(received.with_header(name, [])).ok, name


@pytest.mark.parametrize(("kind", "action"), CASES)
def test_changing_any_query_value_is_refused(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    received = Received.of(sent[kind, action].captured)
    assert received.query_pairs
    for index, (name, value) in enumerate(received.query_pairs):
        for changed in (value + "0", value + " ", value[:-1], "x"):
            if changed == value:
                continue
            check = verify(received.with_query_value(index, changed))
            assert not check.ok, (name, changed)
            if name not in ("SignatureMethod", "SignatureVersion"):  # those are refused before comparing
                assert check.failure in MISMATCH, (name, changed)
        if name != "Signature":
            dropped = replace(
                received, query_pairs=received.query_pairs[:index] + received.query_pairs[index + 1 :]
            )
            assert not verify(dropped).ok, name
    added = replace(received, query_pairs=(*received.query_pairs, ("OwnerId", "1")))
    assert verify(added).failure in MISMATCH


@pytest.mark.parametrize(("kind", "action"), FORM_BODY_CASES)
def test_changing_any_body_byte_is_refused(sent: dict[tuple[str, str], Sent], kind: str, action: str) -> None:
    received = Received.of(sent[kind, action].captured)
    assert received.body.startswith(b"PhoneNumberJson=")  # the JSON arrays travel in a form body
    assert "PhoneNumberJson" not in dict(received.query_pairs)
    for position in range(len(received.body)):
        replacement = b"B" if received.body[position : position + 1] == b"A" else b"A"
        body = received.body[:position] + replacement + received.body[position + 1 :]
        check = verify(replace(received, body=body))
        expected = Acs3Failure.CONTENT_SHA256_MISMATCH if "acs3" in kind else RpcFailure.SIGNATURE_MISMATCH
        assert check.failure is expected, position
    if "acs3" in kind:  # RPC signs the decoded pairs: see the next test
        assert not verify(replace(received, body=received.body + b"&")).ok
    assert not verify(replace(received, body=received.body[:-1])).ok


def test_an_empty_trailing_form_pair_is_the_same_rpc_request(sent: dict[tuple[str, str], Sent]) -> None:
    """RPC signs decoded parameters, so an encoding that decodes the same is the same request."""
    received = Received.of(sent["tea-v2", "SendBatchSms"].captured)
    assert verify(replace(received, body=received.body + b"&")).ok
    assert verify(replace(received, body=received.body.replace(b"+", b"%20"))).ok


@pytest.mark.parametrize(("kind", "action"), [(kind, action) for kind, action in CASES if "acs3" in kind])
def test_changing_method_or_path_is_refused(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    received = Received.of(sent[kind, action].captured)
    assert verify(replace(received, method="GET")).failure is Acs3Failure.SIGNATURE_MISMATCH
    assert verify(replace(received, path="/x")).failure is Acs3Failure.SIGNATURE_MISMATCH


@pytest.mark.parametrize(("kind", "action"), [(kind, action) for kind, action in CASES if "acs3" not in kind])
def test_changing_the_method_is_refused_for_rpc(
    sent: dict[tuple[str, str], Sent], kind: str, action: str
) -> None:
    assert verify(replace(Received.of(sent[kind, action].captured), method="GET")).failure is (
        RpcFailure.SIGNATURE_MISMATCH
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_our_string_to_sign_is_the_legacy_sdks(sent: dict[tuple[str, str], Sent], action: str) -> None:
    item = sent["legacy", action]
    check = verify(Received.of(item.captured))
    assert item.sdk_string_to_sign.startswith("POST&%2F&AccessKeyId%3D")
    assert check.string_to_sign == item.sdk_string_to_sign


# --- end to end through a verifying server --------------------------------------------------------------


def verifying_answer(captured: Captured) -> tuple[int, dict[str, Any]]:
    """A minimal front door: the spec 3.3 SignatureDoesNotMatch envelope, or the OK one."""
    check = verify(Received.of(captured))
    if check.ok:
        return 200, OK_ENVELOPE
    return 400, {
        "RequestId": "E",
        "HostId": "dysmsapi.aliyuncs.com",
        "Code": "SignatureDoesNotMatch",
        "Message": "Specified signature is not matched with our calculation. server string to sign is:"
        + check.string_to_sign,
    }


@pytest.fixture(scope="module")
def verifying_server() -> Iterator[CaptureServer]:
    with CaptureServer(answer=verifying_answer) as server:
        yield server


@pytest.mark.parametrize(("kind", "action"), CASES)
def test_sdk_goes_through_a_verifying_server_and_a_wrong_secret_does_not(
    verifying_server: CaptureServer, kind: str, action: str
) -> None:
    result = send(verifying_server, kind, action)
    if kind == "legacy":
        assert json.loads(result[0])["Code"] == "OK"
    else:
        assert result.body.code == "OK"

    def wrong() -> Any:
        return send(verifying_server, kind, action, secret="not-the-secret")

    if kind == "legacy":
        # aliyunsdkcore compares our string to sign with its own: equal means only the secret is wrong.
        with pytest.raises(ServerException) as legacy_error:
            wrong()
        assert legacy_error.value.get_error_code() == "InvalidAccessKeySecret"
        assert legacy_error.value.get_http_status() == 400
    else:
        with pytest.raises(ClientException) as tea_error:
            wrong()
        assert tea_error.value.code == "SignatureDoesNotMatch"
        assert "server string to sign is:" in tea_error.value.message
