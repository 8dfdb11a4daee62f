"""The load generator's Alibaba dialect (issue 15: `make bench --dialect alibaba`): SendSms built as the Tea SDK
sends it by default, signed so that the platform's own ACS3 verifier accepts it, and answers counted by Code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp import web

from api.alibaba.auth import (
    EMPTY_BODY_SHA256,
    Acs3Failure,
    format_acs_date,
    lower_header_lists,
    parse_acs3_authorization,
    verify_acs3,
)
from bench.loadgen import AlibabaRequestBuilder, LoadConfig, phone_numbers, run_load
from core.domain.phone import normalize_phone
from tests.unit.bench.test_loadgen import SECRET_ID, SECRET_KEY, config, serve

NOW = 1_795_322_496.75  # 2026-11-22T04:41:36.75Z
NONCE = "0123456789abcdef0123456789abcdef"


def ali(api_url: str = "http://127.0.0.1:42601", **overrides: Any) -> LoadConfig:
    return replace(config(api_url, dialect="alibaba", numbers_per_request=200), **overrides)


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _check(secret: str, url: str, headers: dict[str, str], body: bytes) -> Acs3Failure | None:
    signed = parse_acs3_authorization(headers["Authorization"])
    assert signed is not None
    lowered = lower_header_lists(headers.items())
    return verify_acs3(
        secret, signed, method="POST", path="/", query_pairs=_query(url), headers=lowered, body=body
    ).failure


def test_request_is_the_tea_sdks_sendsms_with_200_numbers_in_the_query() -> None:
    cfg = ali(first_number=1000)
    url, body, headers = AlibabaRequestBuilder(cfg).build(2, NOW, NONCE)
    assert url.startswith("http://127.0.0.1:42601/?") and body == b""
    query = _query(url)
    assert [k for k, _ in query] == ["PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"]
    params = dict(query)
    numbers = params["PhoneNumbers"].split(",")
    assert len(numbers) == 200 and len(set(numbers)) == 200
    # Bare mainland numbers, the same ones the Tencent dialect sends for this request index.
    assert [normalize_phone(n).e164 for n in numbers] == phone_numbers(cfg, 2)  # type: ignore[union-attr]
    assert numbers[0] == "13800001400"
    assert params["SignName"] == "腾讯云" and params["TemplateCode"] == "SMS_1110"
    assert params["TemplateParam"] == '{"1": "123456", "2": "5"}'  # by name, for the tenant's {1} template
    assert headers["x-acs-action"] == "SendSms" and headers["x-acs-version"] == "2017-05-25"
    assert headers["x-acs-date"] == "2026-11-22T04:41:36Z" == format_acs_date(NOW)
    assert headers["x-acs-signature-nonce"] == NONCE and headers["host"] == "127.0.0.1:42601"
    assert headers["x-acs-content-sha256"] == EMPTY_BODY_SHA256
    assert "content-type" not in headers  # no body, no content type (as the SDK)


def test_request_verifies_with_the_platforms_acs3_verifier_and_only_with_its_secret() -> None:
    url, body, headers = AlibabaRequestBuilder(ali()).build(0, NOW, NONCE)
    signed = parse_acs3_authorization(headers["Authorization"])
    assert signed is not None and signed.access_key_id == SECRET_ID
    # Every header the Tea SDK signs (spec 2.1), so none of them can be changed on the way.
    assert signed.signed_headers == (
        "accept", "host", "user-agent", "x-acs-action", "x-acs-content-sha256", "x-acs-credentials-provider",
        "x-acs-date", "x-acs-signature-nonce", "x-acs-version",
    )  # fmt: skip
    assert _check(SECRET_KEY, url, headers, body) is None
    assert _check("x" * 32, url, headers, body) is Acs3Failure.SIGNATURE_MISMATCH
    assert _check(SECRET_KEY, url.replace("13800000007", "13800000008"), headers, body) is not None
    assert _check(SECRET_KEY, url, {**headers, "x-acs-signature-nonce": "f" * 32}, body) is not None


def test_the_nonce_and_the_clock_are_signed() -> None:
    builder = AlibabaRequestBuilder(ali())
    first = builder.build(0, NOW, NONCE)[2]
    other_nonce = builder.build(0, NOW, "f" * 32)[2]
    later = builder.build(0, NOW + 60, NONCE)[2]
    assert len({first["Authorization"], other_nonce["Authorization"], later["Authorization"]}) == 3
    assert later["x-acs-date"] == "2026-11-22T04:42:36Z"


def test_dialect_is_validated() -> None:
    assert config().dialect == "tencent"
    with pytest.raises(ValueError, match="dialect"):
        config(dialect="aliyun")


class AliServer:
    """Verifies each request as it arrived on the wire (the query form-decoded, the headers aiohttp sent)
    and answers as the Alibaba door does: OK, OK with refused numbers, a refusal, a gateway error."""

    def __init__(self) -> None:
        self.failures: list[Acs3Failure | None] = []
        self.nonces: list[str] = []
        self.numbers: list[str] = []
        self.content: list[tuple[str | None, str | None]] = []
        self.calls = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.read()
        signed = parse_acs3_authorization(request.headers["Authorization"])
        assert signed is not None
        query = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
        check = verify_acs3(
            SECRET_KEY, signed, method=request.method, path=request.rel_url.raw_path, query_pairs=query,
            headers=lower_header_lists(request.headers.items()), body=body,
        )  # fmt: skip
        self.failures.append(check.failure)
        self.nonces.append(request.headers["x-acs-signature-nonce"])
        self.numbers.extend(dict(query)["PhoneNumbers"].split(","))
        self.content.append((request.headers.get("Content-Type"), request.headers.get("Content-Length")))
        match self.calls % 5:
            case 1:
                return web.json_response({"RequestId": "r", "Code": "OK", "Message": "OK", "BizId": "1^0"})
            case 2:
                refused = [{"PhoneNumber": "13800000000", "Code": "isv.BLACK_KEY_CONTROL_LIMIT"}]
                return web.json_response({"Code": "OK", "BizId": "2^0", "RefusedNumbers": refused})
            case 3:
                return web.json_response({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "slow down"})
            case 4:
                return web.json_response({"Code": "SignatureNonceUsed", "Message": "used"}, status=400)
            case _:
                return web.Response(status=502, text="bad gateway")


async def test_run_load_sends_verifiable_requests_and_counts_answers_by_code() -> None:
    server = AliServer()
    async with serve(server.handle) as url:
        result = await run_load(ali(url, clients=2, requests=10, numbers_per_request=5))
    assert server.failures == [None] * 10
    assert len(set(server.nonces)) == 10 and all(len(n) == 32 for n in server.nonces)
    assert len(server.numbers) == 50 and len(set(server.numbers)) == 50
    assert set(server.content) == {(None, "0")}  # an empty body, no content type: as the Tea SDK
    assert result.ok_requests == 4
    assert result.accepted_numbers == 2 * 5 + 2 * 4  # a refused number is not accepted
    assert result.errors == {"isv.BUSINESS_LIMIT_CONTROL": 2, "SignatureNonceUsed": 2, "HTTP502": 2}
    assert result.error_examples["isv.BUSINESS_LIMIT_CONTROL"] == "slow down"
