"""Async SendSms load generator, run as its own process by the benchmark:

    python -m bench.loadgen --config FILE.json --out RESULT.json

Requests are signed exactly as the official Python SDKs sign them and carry phone numbers that are unique across
the whole run. Two dialects: Tencent's SendSms (TC3-HMAC-SHA256, content-type;host, a JSON body) and Alibaba's
(the Tea SDK's default: ACS3-HMAC-SHA256, every parameter in the query, an empty body, a fresh nonce each). In rate mode requests start on a fixed open-loop schedule and
latency is measured from the scheduled start, so a stalled platform shows up as latency (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp
from yarl import URL

from api.alibaba import auth as ali_auth
from api.tencent_v3.auth import ALGORITHM, SERVICE, tc3_signature, utc_date

MAX_NUMBERS = 10**8  # "+86138" + 8 digits
MAX_ERROR_EXAMPLES = 5
_SIGNED_HEADERS = ("content-type", "host")
DIALECTS = ("tencent", "alibaba")
# What the Tea SDK (alibabacloud_tea_openapi) sends on every call besides the x-acs-* headers; it signs them all.
ALI_USER_AGENT = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"


@dataclass(frozen=True)
class LoadConfig:
    api_url: str
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    template_id: str
    params: tuple[str, ...]
    clients: int
    requests: int
    numbers_per_request: int = 200
    first_number: int = 0  # offset of the first phone number, so phases never reuse numbers
    rate_rps: float | None = None  # None: as fast as possible; else open-loop starts at this rate
    timeout_s: float = 30.0
    dialect: str = "tencent"  # see DIALECTS; Alibaba's sends name no application (the tenant has one)

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {DIALECTS}")
        if self.clients < 1 or self.requests < 1 or self.numbers_per_request < 1:
            raise ValueError("clients, requests and numbers_per_request must be >= 1")
        if (
            self.first_number < 0
            or self.first_number + self.requests * self.numbers_per_request > MAX_NUMBERS
        ):
            raise ValueError(f"phone numbers must stay within [0, {MAX_NUMBERS})")
        if self.rate_rps is not None and not self.rate_rps > 0:
            raise ValueError("rate_rps must be > 0 or null")
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be > 0")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LoadConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:  # a typo would otherwise silently fall back to a default
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        values = dict(raw)
        for name in ("sdk_app_id", "template_id"):  # JSON numbers are fine here
            if name in values:
                values[name] = str(values[name])
        values["params"] = tuple(str(p) for p in values.get("params", ()))
        rate = values.get("rate_rps")
        values["rate_rps"] = None if rate is None else float(rate)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    index: int
    scheduled_s: float | None  # planned start (rate mode), seconds since run start
    start_s: float  # actual send start, seconds since run start
    end_s: float
    wall_start: float  # wall clock of the latency reference: scheduled start in rate mode, else actual start
    latency_ms: float  # end minus scheduled start (rate mode) or actual start
    accepted: int
    error: str | None


@dataclass
class LoadResult:
    started_at: float
    finished_at: float
    duration_s: float
    requests: int
    ok_requests: int
    accepted_numbers: int
    errors: dict[str, int]
    error_examples: dict[str, str]
    latency_ms: dict[str, float]
    records: list[RequestRecord] = field(repr=False)

    @property
    def numbers_per_s(self) -> float:
        return self.accepted_numbers / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "requests": self.requests,
            "ok_requests": self.ok_requests,
            "accepted_numbers": self.accepted_numbers,
            "errors": self.errors,
            "error_examples": self.error_examples,
            "latency_ms": self.latency_ms,
            "numbers_per_s": self.numbers_per_s,
            "requests_per_s": self.requests_per_s,
            "samples": [[round(r.wall_start, 6), round(r.latency_ms, 3), r.accepted] for r in self.records],
            # Which requests were accepted: a request's numbers follow from its index (make chaos checks each).
            "accepted_by_index": [[r.index, r.accepted] for r in self.records if r.accepted],
        }


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (0 < p <= 100) of ascending values: the smallest value with at least p% of the
    values at or below it. p == 0 gives the minimum."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("p must be within [0, 100]")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def phone_number(k: int) -> str:
    """The k-th number of the benchmark's number space: valid mainland mobiles +86138xxxxxxxx."""
    if not 0 <= k < MAX_NUMBERS:
        raise ValueError(f"number index {k} out of range")
    return f"+86138{k:08d}"


def first_number_of(config: LoadConfig, index: int) -> int:
    return config.first_number + index * config.numbers_per_request


def phone_numbers(config: LoadConfig, index: int) -> list[str]:
    start = first_number_of(config, index)
    return [phone_number(k) for k in range(start, start + config.numbers_per_request)]


class Builder(Protocol):
    def request(self, index: int) -> tuple[str | URL, bytes, dict[str, str]]:
        """The URL, body and headers of request `index`, signed now."""
        ...

    def outcome(self, status: int, raw: bytes) -> tuple[int, str | None, str]:
        """(accepted numbers, error code or None, error message) of one HTTP answer."""
        ...


class RequestBuilder:
    """Builds signed Tencent SendSms requests. Everything constant is computed once; per request only the numbers,
    the timestamp and the signature change."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        parts = urlsplit(config.api_url)
        # The SDK sends and signs its endpoint verbatim as Host (port included) and POSTs to "/".
        self.host = parts.netloc
        self.url = config.api_url if parts.path else config.api_url + "/"
        rest = {
            "SmsSdkAppId": config.sdk_app_id,
            "TemplateId": config.template_id,
            "SignName": config.sign_name,
            "TemplateParamSet": list(config.params),
        }
        # Same bytes as json.dumps({"PhoneNumberSet": [...], **rest}) with the SDK's key order and separators.
        self._prefix = '{"PhoneNumberSet": ['
        self._suffix = "], " + json.dumps(rest)[1:]
        self._base_headers = {
            "Content-Type": "application/json",
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": "ap-guangzhou",
            "X-TC-Language": "zh-CN",
        }
        self._signed_values = {"content-type": "application/json", "host": self.host}

    def body(self, index: int) -> bytes:
        start = first_number_of(self.config, index)
        # Digits only, so no JSON escaping is needed: cheaper than json.dumps of 200 strings.
        numbers = ", ".join(
            [f'"+86138{k:08d}"' for k in range(start, start + self.config.numbers_per_request)]
        )
        return (self._prefix + numbers + self._suffix).encode("ascii")

    def build(self, index: int, timestamp: int) -> tuple[bytes, dict[str, str]]:
        body = self.body(index)
        date = utc_date(timestamp)
        assert date is not None
        signature = tc3_signature(
            self.config.secret_key,
            method="POST",
            query="",
            headers=self._signed_values,
            signed_headers=_SIGNED_HEADERS,
            payload=body,
            timestamp=timestamp,
            date=date,
            service=SERVICE,
            normalize_header_values=False,  # the SDK signs raw values
        )
        headers = dict(self._base_headers)
        headers["X-TC-Timestamp"] = str(timestamp)
        headers["Authorization"] = (
            f"{ALGORITHM} Credential={self.config.secret_id}/{date}/{SERVICE}/tc3_request, "
            f"SignedHeaders={';'.join(_SIGNED_HEADERS)}, Signature={signature}"
        )
        return body, headers

    def request(self, index: int) -> tuple[str | URL, bytes, dict[str, str]]:
        body, headers = self.build(index, int(time.time()))
        return self.url, body, headers

    def outcome(self, status: int, raw: bytes) -> tuple[int, str | None, str]:
        return _outcome(status, raw)


class AlibabaRequestBuilder:
    """Builds Alibaba SendSms requests as the Tea SDK sends them by default (spec aliyun-dysmsapi 2.1): POST
    `/?<query>` with every parameter urlencoded in the query, an empty body, ACS3-HMAC-SHA256 over the SDK's
    headers. The numbers are bare mainland mobiles joined by commas (Alibaba's documented form); the values go
    by name: {"1": .., "2": ..} for the tenant's `{1}` template."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        parts = urlsplit(config.api_url)
        self.host = parts.netloc
        self._base = f"{parts.scheme}://{parts.netloc}/?"
        values = {str(i): value for i, value in enumerate(config.params, start=1)}
        # The rest of the query, in the SDK's key order; json.dumps with its default separators, as the SDK.
        self._fixed = [
            ("SignName", config.sign_name),
            ("TemplateCode", f"SMS_{config.template_id}"),
            ("TemplateParam", json.dumps(values)),
        ]
        self._fixed_query = urlencode(self._fixed)

    def phone_numbers(self, index: int) -> str:
        start = first_number_of(self.config, index)
        # "138" + 8 digits: the same numbers as phone_number(k), in Alibaba's form without "+86".
        return ",".join([f"138{k:08d}" for k in range(start, start + self.config.numbers_per_request)])

    def build(self, index: int, now: float, nonce: str) -> tuple[str, bytes, dict[str, str]]:
        """now: the clock's time (x-acs-date, second precision); nonce: fresh randomness per request."""
        numbers = self.phone_numbers(index)
        headers = {
            "host": self.host,
            "x-acs-version": ali_auth.API_VERSION,
            "x-acs-action": "SendSms",
            "user-agent": ALI_USER_AGENT,
            "x-acs-date": ali_auth.format_acs_date(now),
            "x-acs-signature-nonce": nonce,
            "accept": "application/json",
            "x-acs-content-sha256": ali_auth.EMPTY_BODY_SHA256,
            "x-acs-credentials-provider": "static_ak",
        }
        headers["Authorization"] = ali_auth.sign_acs3(
            self.config.secret_id,
            self.config.secret_key,
            method="POST",
            path="/",
            query_pairs=[("PhoneNumbers", numbers), *self._fixed],
            headers=headers,
            body=b"",
        )
        url = self._base + urlencode([("PhoneNumbers", numbers)]) + "&" + self._fixed_query
        return url, b"", headers

    def request(self, index: int) -> tuple[str | URL, bytes, dict[str, str]]:
        url, body, headers = self.build(index, time.time(), secrets.token_hex(16))
        return URL(url, encoded=True), body, headers  # sent as built, like the SDK's (no re-quoting)

    def outcome(self, status: int, raw: bytes) -> tuple[int, str | None, str]:
        return _alibaba_outcome(status, raw, self.config.numbers_per_request)


def builder_for(config: LoadConfig) -> Builder:
    return AlibabaRequestBuilder(config) if config.dialect == "alibaba" else RequestBuilder(config)


def _alibaba_outcome(status: int, raw: bytes, numbers: int) -> tuple[int, str | None, str]:
    """Success is HTTP 200 with Code "OK"; any other answer counts under its Code (auth failures are non-200
    with a Code), or its HTTP status when it has none. RefusedNumbers (the platform's extension) are not
    accepted."""
    try:
        answer = json.loads(raw)
        code, message = answer["Code"], answer.get("Message")
    except (ValueError, KeyError, TypeError) as exc:
        if status != 200:
            return 0, f"HTTP{status}", raw[:200].decode("utf-8", "replace")
        return 0, type(exc).__name__, str(exc)[:200]
    if status != 200 or code != "OK":
        return 0, str(code), str(message)[:200]
    return numbers - len(answer.get("RefusedNumbers") or ()), None, ""


def _outcome(status: int, raw: bytes) -> tuple[int, str | None, str]:
    """(accepted numbers, error code or None, error message) of one HTTP answer."""
    if status != 200:
        return 0, f"HTTP{status}", raw[:200].decode("utf-8", "replace")
    try:
        response = json.loads(raw)["Response"]
    except (ValueError, KeyError, TypeError) as exc:
        return 0, type(exc).__name__, str(exc)[:200]
    error = response.get("Error")
    if error is not None:
        return 0, str(error.get("Code")), str(error.get("Message"))[:200]
    statuses = response.get("SendStatusSet") or ()
    return sum(1 for s in statuses if s.get("Code") == "Ok"), None, ""


def _summarize(
    records: list[RequestRecord], examples: dict[str, str], started_at: float, duration_s: float
) -> LoadResult:
    errors: dict[str, int] = {}
    for r in records:
        if r.error is not None:
            errors[r.error] = errors.get(r.error, 0) + 1
    latencies = sorted(r.latency_ms for r in records)
    latency = {
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1],
        "mean": sum(latencies) / len(latencies),
    }
    return LoadResult(
        started_at=started_at,
        finished_at=started_at + duration_s,
        duration_s=duration_s,
        requests=len(records),
        ok_requests=sum(1 for r in records if r.error is None),
        accepted_numbers=sum(r.accepted for r in records),
        errors=errors,
        error_examples=examples,
        latency_ms=latency,
        records=sorted(records, key=lambda r: r.index),
    )


async def run_load(config: LoadConfig) -> LoadResult:
    builder = builder_for(config)
    records: list[RequestRecord] = []
    examples: dict[str, str] = {}
    indices: Iterator[int] = iter(range(config.requests))  # shared: each client pulls the next index
    rate = config.rate_rps
    timeout = aiohttp.ClientTimeout(total=config.timeout_s)
    connector = aiohttp.TCPConnector(
        limit=config.clients
    )  # keep-alive pool; never more than `clients` sockets

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        t0 = time.monotonic()  # asyncio's loop clock is time.monotonic, so sleeps and stamps agree
        wall0 = time.time()

        async def client() -> None:
            for index in indices:
                scheduled: float | None = None
                if rate is not None:
                    scheduled = index / rate
                    delay = t0 + scheduled - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                start = time.monotonic() - t0
                accepted, error, message = 0, None, ""
                try:
                    url, body, headers = builder.request(index)
                    # An empty body goes without a Content-Type (aiohttp would add one), as the SDK sends it.
                    skip = None if body else ("Content-Type",)
                    async with session.post(
                        url, data=body or None, headers=headers, skip_auto_headers=skip
                    ) as resp:
                        raw = await resp.read()
                        status = resp.status
                    accepted, error, message = builder.outcome(status, raw)
                except Exception as exc:  # any failure is a data point, never the end of the run
                    error, message = type(exc).__name__, str(exc)[:200]
                end = time.monotonic() - t0
                ref = start if scheduled is None else scheduled
                if error is not None and error not in examples and len(examples) < MAX_ERROR_EXAMPLES:
                    examples[error] = message
                records.append(
                    RequestRecord(
                        index, scheduled, start, end, wall0 + ref, (end - ref) * 1000.0, accepted, error
                    )
                )

        await asyncio.gather(*(client() for _ in range(config.clients)))
        duration = time.monotonic() - t0

    return _summarize(records, examples, wall0, duration)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="load config JSON")
    parser.add_argument("--out", required=True, type=Path, help="where to write the result JSON")
    args = parser.parse_args(argv)
    config = LoadConfig.from_dict(json.loads(args.config.read_text()))
    result = asyncio.run(run_load(config))
    args.out.write_text(json.dumps(result.to_json()))
    print(
        f"{result.requests} requests ({result.ok_requests} ok) in {result.duration_s:.2f}s: "
        f"{result.numbers_per_s:.0f} numbers/s, p99 {result.latency_ms['p99']:.1f} ms, errors {result.errors}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
