"""TC3-HMAC-SHA256 verification (spec section 3) against requests signed by the official Python SDK."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign
from tencentcloud.sms.v20210111 import sms_client

from api.tencent_v3.auth import (
    Tc3Authorization,
    check_timestamp,
    parse_authorization,
    tc3_signature,
    verify_tc3,
)

SECRET_ID = "AKIDexampleSecretId0000000000000000"
SECRET_KEY = "exampleSecretKey"
HOST = "127.0.0.1:42601"
TS = 1795322496  # spec 2.1 capture: 2026-11-22 UTC
DATE = "2026-11-22"
SEND_SMS = {
    "PhoneNumberSet": ["+8618511122233"],
    "SmsSdkAppId": "1400006666",
    "TemplateId": "1110",
    "SignName": "腾讯云",
    "TemplateParamSet": ["12345"],
}
# Spec 2.1: the captured request.
CAPTURED_BODY = (
    b'{"PhoneNumberSet": ["+8618511122233"], "SmsSdkAppId": "1400006666", "TemplateId": "1110", '
    b'"SignName": "\\u817e\\u8baf\\u4e91", "TemplateParamSet": ["12345"]}'
)
CAPTURED_AUTHORIZATION = (
    "TC3-HMAC-SHA256 Credential=AKIDexampleSecretId0000000000000000/2026-11-22/sms/tc3_request, "
    "SignedHeaders=content-type;host, "
    "Signature=dae3fe35dd345dd4ec1814410c1818611a416decbf39bbe5a0c3e0ca97d48f8b"
)
# What the SDK (3.1.x) signs for the captured request with SECRET_KEY: a fixed vector, computed by the SDK.
SDK_SIGNATURE_FOR_CAPTURE = "0a31c3b98b72add2f8ea6e07cd9f1f0e46c204aced8994d306e874b0c337e6fc"


@dataclass(frozen=True)
class Received:
    """A request as the server sees it: lower-cased header names, raw query, raw body."""

    method: str
    query: str
    headers: dict[str, str]
    payload: bytes
    timestamp: int
    auth: Tc3Authorization


def sdk_request(
    *,
    method: str = "POST",
    endpoint: str = HOST,
    secret_key: str = SECRET_KEY,
    timestamp: int = TS,
    unsigned_payload: bool = False,
    params: dict[str, Any] | None = None,
) -> Received:
    """Build and sign a SendSms request with the SDK's own code path (AbstractClient._build_req_inter)."""
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http", reqMethod=method))
    profile.unsignedPayload = unsigned_payload
    client = sms_client.SmsClient(credential.Credential(SECRET_ID, secret_key), "ap-guangzhou", profile)
    req = RequestInternal(endpoint, method, "/")
    # The SDK reads the clock itself; pin it (a fraction of a second in, as int(time.time()) truncates).
    with mock.patch.object(abstract_client, "time", SimpleNamespace(time=lambda: timestamp + 0.7)):
        client._build_req_inter("SendSms", SEND_SMS if params is None else params, req)
    headers = {name.lower(): value for name, value in req.header.items()}
    auth = parse_authorization(headers["authorization"])
    assert auth is not None
    if method == "GET":
        return Received(method, req.data, headers, b"", int(headers["x-tc-timestamp"]), auth)
    return Received(method, "", headers, req.data.encode(), int(headers["x-tc-timestamp"]), auth)


def verify(req: Received, *, secret_key: str = SECRET_KEY, **changes: Any) -> bool:
    fields: dict[str, Any] = {
        "method": req.method,
        "query": req.query,
        "headers": req.headers,
        "payload": req.payload,
        "timestamp": req.timestamp,
    }
    fields.update(changes)
    return verify_tc3(secret_key, req.auth, **fields)


# --- parsing -------------------------------------------------------------------------------------------


def test_parse_spec_captured_authorization() -> None:
    assert parse_authorization(CAPTURED_AUTHORIZATION) == Tc3Authorization(
        secret_id=SECRET_ID,
        date=DATE,
        service="sms",
        signed_headers=("content-type", "host"),
        signature="dae3fe35dd345dd4ec1814410c1818611a416decbf39bbe5a0c3e0ca97d48f8b",
    )


def _header(
    algorithm: str = "TC3-HMAC-SHA256",
    credential: str = f"id/{DATE}/sms/tc3_request",
    signed: str = "content-type;host",
    signature: str = "a" * 64,
) -> str:
    return f"{algorithm} Credential={credential}, SignedHeaders={signed}, Signature={signature}"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("", id="empty"),
        pytest.param("TC3-HMAC-SHA256", id="algorithm-only"),
        pytest.param(_header(algorithm="HMAC-SHA256"), id="wrong-algorithm"),
        pytest.param(_header(algorithm="tc3-hmac-sha256"), id="algorithm-lower-case"),
        pytest.param(_header().rpartition(", ")[0], id="no-signature"),
        pytest.param(_header().replace(" SignedHeaders=content-type;host,", ""), id="no-signed-headers"),
        pytest.param(_header().replace(f"Credential=id/{DATE}/sms/tc3_request, ", ""), id="no-credential"),
        pytest.param(_header(credential=f"id/{DATE}/sms"), id="credential-without-terminator"),
        pytest.param(_header(credential=f"id/{DATE}/sms/v4_request"), id="wrong-terminator"),
        pytest.param(_header(credential=f"/{DATE}/sms/tc3_request"), id="empty-secret-id"),
        pytest.param(_header(credential="id/22-11-2026/sms/tc3_request"), id="bad-date"),
        pytest.param(_header(credential=f"id/{DATE}//tc3_request"), id="empty-service"),
        pytest.param(_header(signed=""), id="empty-signed-headers"),
        pytest.param(_header(signed="content-type;;host"), id="empty-header-name"),
        pytest.param(_header(signed="content-type;Host"), id="upper-case-header-name"),
        pytest.param(_header(signed="host;host"), id="duplicate-header-name"),
        pytest.param(_header(signature="abc"), id="short-signature"),
        pytest.param(_header(signature="g" * 64), id="non-hex-signature"),
        pytest.param(_header(signature="A" * 64), id="upper-case-hex-signature"),
        pytest.param(_header() + ", Signature=" + "b" * 64, id="duplicate-field"),
        pytest.param(_header() + ", Extra=1", id="unknown-field"),
        pytest.param(_header().replace(",", ""), id="no-commas"),
    ],
)
def test_malformed_authorization_parses_to_none(header: str) -> None:
    assert parse_authorization(header) is None


def test_well_formed_header_helper_parses() -> None:
    """Guards the table above: without a defect, _header() is accepted."""
    assert parse_authorization(_header()) is not None


# --- good signatures -----------------------------------------------------------------------------------


def test_sdk_signature_matches_fixed_vector_for_the_spec_capture() -> None:
    req = sdk_request()
    assert req.payload == CAPTURED_BODY  # the SDK still produces the body the spec captured
    assert req.auth.signature == SDK_SIGNATURE_FOR_CAPTURE
    computed = tc3_signature(
        SECRET_KEY,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": HOST},
        signed_headers=("content-type", "host"),
        payload=CAPTURED_BODY,
        timestamp=TS,
        date=DATE,
        service="sms",
    )
    assert computed == SDK_SIGNATURE_FOR_CAPTURE


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(SEND_SMS, id="cjk-sign-name"),
        pytest.param({**SEND_SMS, "TemplateParamSet": []}, id="empty-list"),
        pytest.param(
            {**SEND_SMS, "PhoneNumberSet": [f"+86138001380{i:02d}" for i in range(50)]}, id="50-numbers"
        ),
        pytest.param({"SmsSdkAppId": 1400006666, "Limit": 10, "Offset": 0}, id="ints-not-strings"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_sdk_signed_requests_verify(params: dict[str, Any], method: str) -> None:
    assert verify(sdk_request(method=method, params=params))


def test_get_signs_the_raw_query_string() -> None:
    req = sdk_request(method="GET")
    assert req.query.startswith("PhoneNumberSet.0=%2B8618511122233&")  # spec 2.3
    assert verify(req)
    reordered = "&".join(sorted(req.query.split("&")))
    assert reordered != req.query
    assert not verify(req, query=reordered)  # never re-sort or re-encode
    assert not verify(req, query=req.query.replace("12345", "54321"))
    assert not verify(req, method="POST")
    assert verify(req, payload=b"ignored")  # GET signs an empty payload (spec section 3, step 4)


def test_sdk_raw_upper_case_host_verifies_via_raw_values() -> None:
    # The SDK signs header values verbatim; the doc rule would lower-case this Host.
    req = sdk_request(endpoint="SMS.Example.COM:8080")
    assert req.headers["host"] == "SMS.Example.COM:8080"
    assert verify(req)


def test_doc_rule_client_with_lower_cased_values_and_extra_header_verifies() -> None:
    """A client following Tencent's doc rule: values lower-cased and trimmed, x-tc-action signed too."""
    body = json.dumps(SEND_SMS).encode()
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            "content-type:application/json\nhost:sms.example.com:8080\nx-tc-action:sendsms\n",
            "content-type;host;x-tc-action",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(TS),
            f"{DATE}/sms/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    signature = Sign.sign_tc3(SECRET_KEY, DATE, "sms", string_to_sign)
    auth = Tc3Authorization(SECRET_ID, DATE, "sms", ("content-type", "host", "x-tc-action"), signature)
    headers = {"content-type": " Application/JSON ", "host": "SMS.example.com:8080", "x-tc-action": "SendSms"}
    kwargs: dict[str, Any] = {"method": "POST", "query": "", "payload": body, "timestamp": TS}
    assert verify_tc3(SECRET_KEY, auth, headers=headers, **kwargs)
    assert not verify_tc3(SECRET_KEY, auth, headers={**headers, "x-tc-action": "PullSmsSendStatus"}, **kwargs)


def test_unsigned_payload_mode() -> None:
    req = sdk_request(unsigned_payload=True)
    assert req.headers["x-tc-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert verify(req)
    # The body is not covered in this mode (that is what the client asked for) ...
    assert verify(req, payload=req.payload.replace(b"12345", b"99999"))
    # ... but dropping the marker header makes the server hash the body, which was not signed.
    headers = {k: v for k, v in req.headers.items() if k != "x-tc-content-sha256"}
    assert not verify(req, headers=headers)


def test_unsigned_payload_get() -> None:
    assert verify(sdk_request(method="GET", unsigned_payload=True))


# --- bad signatures ------------------------------------------------------------------------------------


def test_wrong_key_fails() -> None:
    req = sdk_request()
    assert not verify(req, secret_key=SECRET_KEY + "x")
    assert not verify(sdk_request(secret_key="anotherKey"))


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(CAPTURED_BODY.replace(b"+8618511122233", b"+8618511122234"), id="other-number"),
        pytest.param(CAPTURED_BODY + b" ", id="trailing-space"),
        pytest.param(json.dumps(SEND_SMS, separators=(",", ":")).encode(), id="re-serialised-compact"),
        pytest.param(json.dumps(SEND_SMS, ensure_ascii=False).encode(), id="re-serialised-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
def test_altered_body_fails(payload: bytes) -> None:
    req = sdk_request()
    assert verify(req)
    assert not verify(req, payload=payload)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("host", "127.0.0.1:42602"),
        ("host", "evil.example.com"),
        ("content-type", "application/x-www-form-urlencoded"),
    ],
)
def test_altered_signed_header_fails(header: str, value: str) -> None:
    req = sdk_request()
    assert not verify(req, headers={**req.headers, header: value})


def test_unsigned_header_may_change() -> None:
    req = sdk_request()
    assert verify(req, headers={**req.headers, "x-tc-region": "ap-beijing", "user-agent": "x"})


def test_missing_signed_header_fails() -> None:
    req = sdk_request()
    assert not verify(req, headers={k: v for k, v in req.headers.items() if k != "host"})


def test_altered_timestamp_fails() -> None:
    req = sdk_request()
    assert not verify(req, timestamp=TS + 1)


def test_scope_date_must_be_utc_date_of_timestamp() -> None:
    # Signed consistently with a scope date one day off: a valid HMAC, but not what the SDK would send.
    req = sdk_request()
    wrong_date = "2026-11-21"
    signature = tc3_signature(
        SECRET_KEY,
        method="POST",
        query="",
        headers=req.headers,
        signed_headers=req.auth.signed_headers,
        payload=req.payload,
        timestamp=TS,
        date=wrong_date,
        service="sms",
    )
    auth = dataclasses.replace(req.auth, date=wrong_date, signature=signature)
    assert not verify_tc3(
        SECRET_KEY, auth, method="POST", query="", headers=req.headers, payload=req.payload, timestamp=TS
    )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"service": "cvm"}, id="service-not-sms"),
        pytest.param({"signed_headers": ("content-type",)}, id="host-not-signed"),
        pytest.param({"signed_headers": ("host",)}, id="content-type-not-signed"),
    ],
)
def test_scope_and_signed_headers_are_enforced(change: dict[str, Any]) -> None:
    """Re-signed consistently with the change, so only the policy check can reject it."""
    req = sdk_request()
    auth = dataclasses.replace(req.auth, **change)
    auth = dataclasses.replace(
        auth,
        signature=tc3_signature(
            SECRET_KEY,
            method="POST",
            query="",
            headers=req.headers,
            signed_headers=auth.signed_headers,
            payload=req.payload,
            timestamp=TS,
            date=auth.date,
            service=auth.service,
        ),
    )
    assert not verify_tc3(
        SECRET_KEY, auth, method="POST", query="", headers=req.headers, payload=req.payload, timestamp=TS
    )


@pytest.mark.parametrize("timestamp", [-(10**20), 10**20])
def test_absurd_timestamp_fails_without_raising(timestamp: int) -> None:
    assert not verify(sdk_request(), timestamp=timestamp)


@pytest.mark.parametrize(
    ("now", "fresh"),
    [
        pytest.param(TS, True, id="same-second"),
        pytest.param(TS + 300, True, id="300s-late-ok"),
        pytest.param(TS - 300, True, id="300s-early-ok"),
        pytest.param(TS + 300.5, False, id="expired"),
        pytest.param(TS + 301, False, id="301s-late-expired"),
        pytest.param(TS - 301, False, id="301s-early-rejected"),
        pytest.param(TS + 86_400, False, id="a-day-old-replay"),
    ],
)
def test_timestamp_skew_300s(now: float, fresh: bool) -> None:
    assert check_timestamp(TS, now, 300) is fresh
