"""Alibaba signatures (spec aliyun-dysmsapi.md sections 3 and 9): the spec's fixed vectors, Authorization
parsing, why a request is refused, and timestamps. Requests produced by the real SDKs are checked in
tests/integration/test_alibaba_sdk_signatures.py."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from api.alibaba.auth import (
    ACS3_REQUIRED_SIGNED_HEADERS,
    EMPTY_BODY_SHA256,
    Acs3Authorization,
    Acs3Failure,
    RpcFailure,
    acs3_canonical_request,
    acs3_request_headers,
    acs3_signature,
    acs3_string_to_sign,
    canonical_query,
    format_acs_date,
    is_fresh,
    lower_header_lists,
    parse_acs3_authorization,
    parse_acs_date,
    pct,
    rpc_param,
    rpc_request_params,
    rpc_string_to_sign,
    sign_acs3,
    sign_rpc,
    verify_acs3,
    verify_rpc,
)

# --- spec 3.1 / 3.2 test vectors ------------------------------------------------------------------------

AK = "testid"
SECRET = "testsecret"
BUSINESS = [
    ("PhoneNumbers", "13800000000"),
    ("SignName", "阿里云"),
    ("TemplateCode", "SMS_1"),
    ("TemplateParam", '{"code":"1234"}'),
]
VECTOR_HEADERS = {
    "host": "dysmsapi.aliyuncs.com",
    "x-acs-action": "SendSms",
    "x-acs-version": "2017-05-25",
    "x-acs-date": "2024-01-01T00:00:00Z",
    "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
    "x-acs-content-sha256": EMPTY_BODY_SHA256,
}
VECTOR_CANONICAL_QUERY = (
    "PhoneNumbers=13800000000&SignName=%E9%98%BF%E9%87%8C%E4%BA%91&TemplateCode=SMS_1"
    "&TemplateParam=%7B%22code%22%3A%221234%22%7D"
)
VECTOR_STRING_TO_SIGN = "ACS3-HMAC-SHA256\n926497c827d838600135bed4262c7adf4c45ddcaec5a1a9872b4bf3862c78e7f"
VECTOR_SIGNATURE = "c7b232c085af28b3a2573315cf22c74f539ccc71aa9ed79d390c632c2f0ebae6"
VECTOR_SIGNED = tuple(sorted(VECTOR_HEADERS))
VECTOR_AUTHORIZATION = (
    f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={';'.join(VECTOR_SIGNED)},Signature={VECTOR_SIGNATURE}"
)
RPC_PARAMS = [
    *BUSINESS,
    ("Action", "SendSms"),
    ("Version", "2017-05-25"),
    ("Format", "JSON"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureVersion", "1.0"),
    ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
    ("Timestamp", "2024-01-01T00:00:00Z"),
    ("AccessKeyId", AK),
]
RPC_SIGNATURE = "qdOa43DDTAMMEKkqFlxsDGJ83kk="


def vector_lists(**changes: list[str]) -> dict[str, list[str]]:
    headers = {name: [value] for name, value in VECTOR_HEADERS.items()}
    headers.update(changes)
    return {name: values for name, values in headers.items() if values}


def test_pct_encodes_everything_but_unreserved() -> None:
    assert pct("a b*~:/+%&=-_.阿") == "a%20b%2A~%3A%2F%2B%25%26%3D-_.%E9%98%BF"


def test_spec_vector_canonical_query() -> None:
    assert canonical_query(BUSINESS) == VECTOR_CANONICAL_QUERY
    assert canonical_query(reversed(BUSINESS)) == VECTOR_CANONICAL_QUERY


def test_spec_vector_acs3_string_to_sign_and_signature() -> None:
    canonical_request = acs3_canonical_request(
        method="POST",
        path="/",
        query_pairs=BUSINESS,
        headers=vector_lists(),
        signed_headers=VECTOR_SIGNED,
        payload_hash=EMPTY_BODY_SHA256,
    )
    assert canonical_request.split("\n")[2] == VECTOR_CANONICAL_QUERY
    assert "\n\nhost;x-acs-action;" in canonical_request  # CanonicalHeaders ends in \n: a blank line
    string_to_sign = acs3_string_to_sign(canonical_request)
    assert string_to_sign == VECTOR_STRING_TO_SIGN
    assert acs3_signature(SECRET, string_to_sign) == VECTOR_SIGNATURE


def test_spec_vector_acs3_verifies_and_is_what_our_signer_writes() -> None:
    auth = parse_acs3_authorization(VECTOR_AUTHORIZATION)
    assert auth == Acs3Authorization(AK, VECTOR_SIGNED, VECTOR_SIGNATURE)
    check = verify_acs3(
        SECRET, auth, method="POST", path="/", query_pairs=BUSINESS, headers=vector_lists(), body=b""
    )
    assert check.ok and check.failure is None and check.header == ""
    assert check.string_to_sign == VECTOR_STRING_TO_SIGN
    signed = sign_acs3(
        AK, SECRET, method="POST", path="/", query_pairs=BUSINESS, headers=VECTOR_HEADERS, body=b""
    )
    assert signed == VECTOR_AUTHORIZATION
    built = acs3_request_headers(
        AK,
        SECRET,
        host=VECTOR_HEADERS["host"],
        action="SendSms",
        query_pairs=BUSINESS,
        date=VECTOR_HEADERS["x-acs-date"],
        nonce=VECTOR_HEADERS["x-acs-signature-nonce"],
    )
    assert built == {**VECTOR_HEADERS, "authorization": VECTOR_AUTHORIZATION}


def test_spec_vector_rpc_signature() -> None:
    assert sign_rpc(SECRET, method="POST", params=RPC_PARAMS) == RPC_SIGNATURE
    check = verify_rpc(SECRET, RPC_SIGNATURE, method="POST", params=RPC_PARAMS)
    assert check.ok and check.failure is None
    # Double encoding: the Timestamp's colon is %3A in the canonical query, then %253A (spec 3.2 step 4).
    assert check.string_to_sign.startswith("POST&%2F&AccessKeyId%3Dtestid%26Action%3DSendSms%26")
    assert "Timestamp%3D2024-01-01T00%253A00%253A00Z" in check.string_to_sign
    assert check.string_to_sign == rpc_string_to_sign("POST", RPC_PARAMS)


# --- canonical query ------------------------------------------------------------------------------------


def test_canonical_query_sorts_by_key_then_value_and_keeps_empty_values() -> None:
    pairs = [("b", "2"), ("a", "z"), ("SignatureType", ""), ("a", "y"), ("B", "1")]
    assert canonical_query(pairs) == "B=1&SignatureType=&a=y&a=z&b=2"


def test_canonical_query_sorts_by_utf8_bytes() -> None:
    assert canonical_query([("é", "1"), ("z", "2"), ("Z", "3")]) == "Z=3&z=2&%C3%A9=1"


def test_canonical_query_is_computed_from_decoded_values() -> None:
    # The sync SDK sends `a+b%2A`, the async one `a+b*`, the legacy one `a%20b%2A`: all the same pair.
    assert canonical_query([("OutId", "a b*~:")]) == "OutId=a%20b%2A~%3A"
    assert canonical_query([]) == ""


def test_lower_header_lists_keeps_every_value() -> None:
    items = [("Host", "h"), ("Accept", "a"), ("accept", "b"), ("X-Acs-Date", "d")]
    assert lower_header_lists(items) == {"host": ["h"], "accept": ["a", "b"], "x-acs-date": ["d"]}


def test_repeated_signed_header_values_are_trimmed_sorted_and_joined() -> None:
    headers = {**VECTOR_HEADERS, "x-custom": "b"}
    authorization = sign_acs3(
        AK, SECRET, method="POST", path="/", query_pairs=BUSINESS, headers=headers, body=b""
    )
    auth = parse_acs3_authorization(authorization)
    assert auth is not None
    # A client that signed the single value "b" does not match a request carrying two values.
    two = vector_lists(**{"x-custom": [" b ", "a"]})
    check = verify_acs3(SECRET, auth, method="POST", path="/", query_pairs=BUSINESS, headers=two, body=b"")
    assert check.failure is Acs3Failure.SIGNATURE_MISMATCH
    assert "\nx-custom:a,b\n" in check.canonical_request


# --- Authorization parsing ------------------------------------------------------------------------------


def _authorization(
    algorithm: str = "ACS3-HMAC-SHA256",
    credential: str = "LTAI5tExample",
    signed: str = "host;x-acs-action",
    signature: str = "a" * 64,
    separator: str = ",",
) -> str:
    return f"{algorithm} Credential={credential}{separator}SignedHeaders={signed}{separator}Signature={signature}"


@pytest.mark.parametrize("separator", [",", ", ", ",  "])
def test_parse_accepts_optional_spaces_after_commas(separator: str) -> None:
    assert parse_acs3_authorization(_authorization(separator=separator)) == Acs3Authorization(
        "LTAI5tExample", ("host", "x-acs-action"), "a" * 64
    )


def test_parse_accepts_fields_in_any_order_and_an_sts_style_key_id() -> None:
    header = f"ACS3-HMAC-SHA256 Signature={'0' * 64},Credential=STS.NT.x_y-z,SignedHeaders=host"
    assert parse_acs3_authorization(header) == Acs3Authorization("STS.NT.x_y-z", ("host",), "0" * 64)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("", id="empty"),
        pytest.param("ACS3-HMAC-SHA256", id="algorithm-only"),
        pytest.param("ACS3-HMAC-SHA256 ", id="algorithm-and-space"),
        pytest.param(_authorization(algorithm="ACS3-HMAC-SM3"), id="sm3"),
        pytest.param(_authorization(algorithm="ACS3-RSA-SHA256"), id="rsa"),
        pytest.param(_authorization(algorithm="acs3-hmac-sha256"), id="algorithm-lower-case"),
        pytest.param(_authorization(algorithm="TC3-HMAC-SHA256"), id="tencent"),
        pytest.param(_authorization().replace("ACS3-HMAC-SHA256 ", "ACS3-HMAC-SHA256\t"), id="tab"),
        pytest.param(_authorization(credential=""), id="empty-credential"),
        pytest.param(_authorization(credential="a b"), id="space-in-credential"),
        pytest.param(_authorization(credential="阿里"), id="non-ascii-credential"),
        pytest.param(_authorization(signed=""), id="empty-signed-headers"),
        pytest.param(_authorization(signed="host;;x-acs-action"), id="empty-header-name"),
        pytest.param(_authorization(signed="Host;x-acs-action"), id="upper-case-header-name"),
        pytest.param(_authorization(signed="host;x acs"), id="space-in-header-name"),
        pytest.param(_authorization(signed="host;host"), id="repeated-header-name"),
        pytest.param(_authorization(signed="x-acs-action;host"), id="unsorted-header-names"),
        pytest.param(_authorization(signed="host;"), id="trailing-semicolon"),
        pytest.param(_authorization(signature="a" * 63), id="short-signature"),
        pytest.param(_authorization(signature="a" * 65), id="long-signature"),
        pytest.param(_authorization(signature="A" * 64), id="upper-case-hex"),
        pytest.param(_authorization(signature="g" * 64), id="non-hex"),
        pytest.param(_authorization() + ",Signature=" + "b" * 64, id="repeated-field"),
        pytest.param(_authorization() + ",Extra=1", id="unknown-field"),
        pytest.param(_authorization() + ",", id="trailing-comma"),
        pytest.param(_authorization().replace(",Signature=", ",Signature"), id="field-without-equals"),
        pytest.param(
            _authorization().replace(",SignedHeaders=host;x-acs-action", ""), id="no-signed-headers"
        ),
        pytest.param(_authorization().replace("Credential=LTAI5tExample,", ""), id="no-credential"),
        pytest.param(_authorization().replace(",", ";"), id="semicolons-for-commas"),
        pytest.param(_authorization(separator=" ,"), id="space-before-comma"),
        pytest.param(_authorization(signature="a" * 64 + " "), id="trailing-space-in-value"),
    ],
)
def test_malformed_authorization_parses_to_none(header: str) -> None:
    assert parse_acs3_authorization(header) is None


# --- why an ACS3 request is refused ---------------------------------------------------------------------

BODY = b"PhoneNumberJson=%5B%2213800000000%22%5D&TemplateParamJson=%5B%7B%7D%5D"
FORM = "application/x-www-form-urlencoded"


def signed_form_request() -> tuple[Acs3Authorization, dict[str, list[str]]]:
    headers = acs3_request_headers(
        AK,
        SECRET,
        host="127.0.0.1:8080",
        action="SendBatchSms",
        query_pairs=[("TemplateCode", "SMS_1")],
        date="2026-12-01T00:00:00Z",
        nonce="n" * 32,
        body=BODY,
        content_type=FORM,
    )
    auth = parse_acs3_authorization(headers.pop("authorization"))
    assert auth is not None
    return auth, {name: [value] for name, value in headers.items()}


def check_form(
    auth: Acs3Authorization, headers: dict[str, list[str]], *, secret: str = SECRET, **changes: Any
) -> Any:
    fields: dict[str, Any] = {
        "method": "POST",
        "path": "/",
        "query_pairs": [("TemplateCode", "SMS_1")],
        "headers": headers,
        "body": BODY,
    }
    fields.update(changes)
    return verify_acs3(secret, auth, **fields)


def test_form_request_verifies_and_signs_content_type() -> None:
    auth, headers = signed_form_request()
    assert "content-type" in auth.signed_headers
    assert check_form(auth, headers).ok
    # Headers the HTTP library adds are not signed and may say anything.
    extra = {**headers, "content-length": ["99"], "accept-encoding": ["gzip"]}
    assert check_form(auth, extra).ok


def test_wrong_secret_is_a_signature_mismatch_with_the_servers_string_to_sign() -> None:
    auth, headers = signed_form_request()
    right, wrong = check_form(auth, headers), check_form(auth, headers, secret="other")
    assert wrong.failure is Acs3Failure.SIGNATURE_MISMATCH and not wrong.ok
    assert wrong.string_to_sign == right.string_to_sign
    assert wrong.string_to_sign.startswith("ACS3-HMAC-SHA256\n")


@pytest.mark.parametrize("name", [*ACS3_REQUIRED_SIGNED_HEADERS, "content-type"])
def test_changed_signed_header_is_refused(name: str) -> None:
    auth, headers = signed_form_request()
    check = check_form(auth, {**headers, name: [headers[name][0] + "0"]})
    expected = (
        Acs3Failure.CONTENT_SHA256_MISMATCH
        if name == "x-acs-content-sha256"
        else Acs3Failure.SIGNATURE_MISMATCH
    )
    assert check.failure is expected


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"method": "GET"}, id="method"),
        pytest.param({"path": "/x"}, id="path"),
        pytest.param({"query_pairs": [("TemplateCode", "SMS_2")]}, id="query-value"),
        pytest.param({"query_pairs": [("TemplateCode", "SMS_1"), ("OutId", "")]}, id="query-pair-added"),
        pytest.param({"query_pairs": []}, id="query-pair-removed"),
    ],
)
def test_changed_request_line_is_a_signature_mismatch(changes: dict[str, Any]) -> None:
    auth, headers = signed_form_request()
    assert check_form(auth, headers, **changes).failure is Acs3Failure.SIGNATURE_MISMATCH


def test_changed_body_is_a_content_hash_mismatch_and_the_server_hashes_what_it_received() -> None:
    auth, headers = signed_form_request()
    check = check_form(auth, headers, body=BODY + b"&x=1")
    assert check.failure is Acs3Failure.CONTENT_SHA256_MISMATCH
    assert check.header == "x-acs-content-sha256"
    assert check.canonical_request.endswith(hashlib.sha256(BODY + b"&x=1").hexdigest())


def test_content_hash_header_sent_twice_is_refused() -> None:
    auth, headers = signed_form_request()
    twice = {**headers, "x-acs-content-sha256": headers["x-acs-content-sha256"] * 2}
    assert check_form(auth, twice).failure is Acs3Failure.HEADER_REPEATED


@pytest.mark.parametrize("name", ACS3_REQUIRED_SIGNED_HEADERS)
def test_required_header_must_be_signed(name: str) -> None:
    auth = parse_acs3_authorization(VECTOR_AUTHORIZATION)
    assert auth is not None
    unsigned = dataclasses.replace(auth, signed_headers=tuple(h for h in auth.signed_headers if h != name))
    check = verify_acs3(
        SECRET, unsigned, method="POST", path="/", query_pairs=BUSINESS, headers=vector_lists(), body=b""
    )
    assert (check.failure, check.header) == (Acs3Failure.HEADER_NOT_SIGNED, name)


def test_content_type_must_be_signed_when_there_is_a_body_only() -> None:
    auth, headers = signed_form_request()
    unsigned = dataclasses.replace(
        auth, signed_headers=tuple(h for h in auth.signed_headers if h != "content-type")
    )
    check = check_form(unsigned, headers)
    assert (check.failure, check.header) == (Acs3Failure.HEADER_NOT_SIGNED, "content-type")
    # Empty body: the async client's unsigned `Content-Type: application/octet-stream` is fine (spec 9.3).
    auth = parse_acs3_authorization(VECTOR_AUTHORIZATION)
    assert auth is not None
    octet = vector_lists(**{"content-type": ["application/octet-stream"]})
    assert verify_acs3(
        SECRET, auth, method="POST", path="/", query_pairs=BUSINESS, headers=octet, body=b""
    ).ok


@pytest.mark.parametrize("name", VECTOR_SIGNED)
def test_signed_header_absent_from_the_request_is_missing(name: str) -> None:
    auth = parse_acs3_authorization(VECTOR_AUTHORIZATION)
    assert auth is not None
    headers = vector_lists(**{name: []})
    check = verify_acs3(
        SECRET, auth, method="POST", path="/", query_pairs=BUSINESS, headers=headers, body=b""
    )
    assert (check.failure, check.header) == (Acs3Failure.HEADER_MISSING, name)


@pytest.mark.parametrize("name", ["x-acs-date", "x-acs-signature-nonce", "host"])
def test_required_header_sent_twice_is_refused(name: str) -> None:
    auth = parse_acs3_authorization(VECTOR_AUTHORIZATION)
    assert auth is not None
    headers = vector_lists(**{name: [VECTOR_HEADERS[name]] * 2})
    check = verify_acs3(
        SECRET, auth, method="POST", path="/", query_pairs=BUSINESS, headers=headers, body=b""
    )
    assert (check.failure, check.header) == (Acs3Failure.HEADER_REPEATED, name)


def test_undecodable_bytes_and_odd_text_never_raise() -> None:
    auth = parse_acs3_authorization(VECTOR_AUTHORIZATION)
    assert auth is not None
    # aiohttp hands undecodable header bytes over as surrogate escapes; a lone surrogate may reach us too.
    headers = vector_lists(host=["h\udcff"], **{"x-acs-date": ["\ud800"]})
    check = verify_acs3(
        SECRET, auth, method="POST", path="/", query_pairs=[("\udcff", "\ud800")], headers=headers, body=b""
    )
    assert check.failure is Acs3Failure.SIGNATURE_MISMATCH
    assert verify_rpc(SECRET, "\ud800", method="POST", params=[*RPC_PARAMS, ("k", "\udcff")]).failure is (
        RpcFailure.SIGNATURE_MISMATCH
    )


# --- RPC ------------------------------------------------------------------------------------------------


def replaced(params: list[tuple[str, str]], name: str, *values: str) -> list[tuple[str, str]]:
    return [pair for pair in params if pair[0] != name] + [(name, value) for value in values]


def test_rpc_wrong_secret_or_changed_parameter_is_a_mismatch() -> None:
    assert verify_rpc("other", RPC_SIGNATURE, method="POST", params=RPC_PARAMS).failure is (
        RpcFailure.SIGNATURE_MISMATCH
    )
    assert verify_rpc(SECRET, RPC_SIGNATURE, method="GET", params=RPC_PARAMS).failure is (
        RpcFailure.SIGNATURE_MISMATCH
    )
    for name, value in RPC_PARAMS:
        if name in ("SignatureMethod", "SignatureVersion"):
            continue
        changed = replaced(RPC_PARAMS, name, value + "0")
        assert verify_rpc(SECRET, RPC_SIGNATURE, method="POST", params=changed).failure is (
            RpcFailure.SIGNATURE_MISMATCH
        ), name
    extra = [*RPC_PARAMS, ("SignatureType", "")]  # an empty value is signed too
    assert not verify_rpc(SECRET, RPC_SIGNATURE, method="POST", params=extra).ok


def test_rpc_signature_parameter_is_not_signed() -> None:
    with_signature = [*RPC_PARAMS, ("Signature", RPC_SIGNATURE)]
    assert verify_rpc(SECRET, RPC_SIGNATURE, method="POST", params=with_signature).ok
    assert rpc_param(with_signature, "Signature") == RPC_SIGNATURE


@pytest.mark.parametrize(
    ("name", "values", "failure"),
    [
        ("SignatureMethod", ("HMAC-SHA256",), RpcFailure.UNSUPPORTED_SIGNATURE_METHOD),
        ("SignatureMethod", ("hmac-sha1",), RpcFailure.UNSUPPORTED_SIGNATURE_METHOD),
        ("SignatureMethod", (), RpcFailure.UNSUPPORTED_SIGNATURE_METHOD),
        ("SignatureMethod", ("HMAC-SHA1", "HMAC-SHA1"), RpcFailure.UNSUPPORTED_SIGNATURE_METHOD),
        ("SignatureVersion", ("2.0",), RpcFailure.UNSUPPORTED_SIGNATURE_VERSION),
        ("SignatureVersion", ("1",), RpcFailure.UNSUPPORTED_SIGNATURE_VERSION),
        ("SignatureVersion", (), RpcFailure.UNSUPPORTED_SIGNATURE_VERSION),
    ],
)
def test_rpc_method_and_version_must_be_the_supported_ones(
    name: str, values: tuple[str, ...], failure: RpcFailure
) -> None:
    params = replaced(RPC_PARAMS, name, *values)
    # Even correctly signed, an unsupported scheme is refused.
    signature = sign_rpc(SECRET, method="POST", params=params)
    check = verify_rpc(SECRET, signature, method="POST", params=params)
    assert check.failure is failure
    assert check.string_to_sign == rpc_string_to_sign("POST", params)


def test_rpc_param_wants_exactly_one_value() -> None:
    assert rpc_param([("a", "1")], "a") == "1"
    assert rpc_param([("a", "")], "a") == ""
    assert rpc_param([("a", "1"), ("a", "1")], "a") is None
    assert rpc_param([], "a") is None


def test_rpc_request_params_sign_query_and_form_body() -> None:
    body = [("PhoneNumberJson", '["13800000000"]')]
    query = rpc_request_params(
        AK,
        SECRET,
        action="SendBatchSms",
        params=[("TemplateCode", "SMS_1")],
        timestamp="2026-12-01T00:00:00Z",
        nonce="n" * 32,
        body_params=body,
    )
    assert query[-1][0] == "Signature"
    assert rpc_param(query, "AccessKeyId") == AK and rpc_param(query, "Action") == "SendBatchSms"
    signature = rpc_param(query, "Signature")
    assert signature is not None
    assert verify_rpc(SECRET, signature, method="POST", params=[*query, *body]).ok
    assert not verify_rpc(SECRET, signature, method="POST", params=query).ok


# --- timestamps (spec 3.1 step 9, 3.2 step 6) -----------------------------------------------------------

T0 = 1704067200.0  # 2024-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", T0),
        ("2024-01-01T00:00:10.973Z", T0 + 10.973),
        ("2024-01-01T00:00:10.5Z", T0 + 10.5),
        ("2024-01-01T00:00:10.123456789Z", T0 + 10.123456789),
        ("2024-02-29T23:59:59Z", 1709251199.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("9999-12-31T23:59:59Z", 253402300799.0),
    ],
)
def test_parse_acs_date(text: str, expected: float) -> None:
    parsed = parse_acs_date(text)
    assert parsed == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-01-01T00:00:00",  # no Z
        "2024-01-01T00:00:00z",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00Z",
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00.1234567890Z",
        " 2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z ",
        "2024-1-01T00:00:00Z",
        "20240101T000000Z",
        "2023-02-29T00:00:00Z",  # not a leap year
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z",
        "2024-01-01T00:00:60Z",  # leap seconds are not a thing here
        "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "10000-01-01T00:00:00Z",
        "２０２４-01-01T00:00:00Z",  # full-width digits
        "Mon, 01 Jan 2024 00:00:00 GMT",
        "1704067200",
        "\udcff",
    ],
)
def test_parse_acs_date_refuses_anything_else(text: str) -> None:
    assert parse_acs_date(text) is None


def test_format_acs_date_round_trips() -> None:
    assert format_acs_date(T0 + 0.999) == "2024-01-01T00:00:00Z"
    assert parse_acs_date(format_acs_date(T0)) == T0


@pytest.mark.parametrize(
    ("offset", "fresh"),
    [(0, True), (899, True), (900, True), (901, False), (-899, True), (-900, True), (-901, False)],
)
def test_fifteen_minute_window_both_sides(offset: float, fresh: bool) -> None:
    assert is_fresh(T0, T0 + offset) is fresh


def test_freshness_of_absurd_values_is_false() -> None:
    assert not is_fresh(float("nan"), T0)
    assert not is_fresh(float("inf"), T0)
    assert not is_fresh(0.0, T0)
