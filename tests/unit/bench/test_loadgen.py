"""The benchmark's load generator: percentiles, the number space, SDK-identical signing, and a run against a
tiny local server."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from api.tencent_v3.auth import parse_authorization, verify_tc3
from bench.loadgen import (
    LoadConfig,
    RequestBuilder,
    percentile,
    phone_number,
    phone_numbers,
    run_load,
)
from core.domain.phone import normalize_phone

SECRET_ID = "AKIDloadgen0000000000000000000000000"
SECRET_KEY = "k" * 32


def config(api_url: str = "http://127.0.0.1:8080", **overrides: Any) -> LoadConfig:
    base = LoadConfig(
        api_url=api_url,
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        sdk_app_id="1400006666",
        sign_name="腾讯云",
        template_id="1110",
        params=("123456", "5"),
        clients=3,
        requests=12,
        numbers_per_request=4,
    )
    return replace(base, **overrides)


# --- percentile --------------------------------------------------------------------------------------------


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 99.5) == 100  # rank = ceil(99.5) = 100, never interpolated
    assert percentile([15.0, 20.0, 35.0, 40.0, 50.0], 30) == 20  # Wikipedia's nearest-rank example
    assert percentile([15.0, 20.0, 35.0, 40.0, 50.0], 40) == 20
    assert percentile([15.0, 20.0, 35.0, 40.0, 50.0], 50) == 35


def test_percentile_edge_cases() -> None:
    assert percentile([7.0], 0) == 7
    assert percentile([7.0], 99) == 7
    assert percentile([1.0, 2.0], 0) == 1
    assert percentile([1.0, 2.0], 50) == 1
    assert percentile([1.0, 2.0], 50.1) == 2
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)
    with pytest.raises(ValueError):
        percentile([1.0], -1)


# --- phone numbers -----------------------------------------------------------------------------------------


def test_numbers_unique_across_requests_and_phases() -> None:
    phase1 = config(requests=50, numbers_per_request=200)
    phase2 = config(requests=30, numbers_per_request=200, first_number=50 * 200)
    seen: list[str] = []
    for cfg in (phase1, phase2):
        for i in range(cfg.requests):
            seen.extend(phone_numbers(cfg, i))
    assert len(seen) == 80 * 200
    assert len(set(seen)) == len(seen)
    assert seen[0] == "+8613800000000" and seen[-1] == "+8613800015999"


@pytest.mark.parametrize("k", [0, 1, 9_999, 12_345_678, 10**8 - 1])
def test_numbers_are_valid_mainland_mobiles(k: int) -> None:
    phone = normalize_phone(phone_number(k))
    assert phone is not None
    assert phone.e164 == phone_number(k) and phone.iso == "CN"


def test_number_space_is_bounded() -> None:
    with pytest.raises(ValueError):
        phone_number(10**8)
    with pytest.raises(ValueError):
        config(requests=2, numbers_per_request=200, first_number=10**8 - 399)
    config(requests=2, numbers_per_request=200, first_number=10**8 - 400)  # exactly fills the space


def test_config_from_dict_defaults_and_typos() -> None:
    raw = {
        "api_url": "http://127.0.0.1:1",
        "secret_id": "a",
        "secret_key": "b",
        "sdk_app_id": 1400006666,
        "sign_name": "s",
        "template_id": 7,
        "params": ["1"],
        "clients": 2,
        "requests": 3,
    }
    cfg = LoadConfig.from_dict(raw)
    assert (cfg.sdk_app_id, cfg.template_id, cfg.params) == ("1400006666", "7", ("1",))
    assert (cfg.numbers_per_request, cfg.first_number, cfg.rate_rps, cfg.timeout_s) == (200, 0, None, 30.0)
    assert LoadConfig.from_dict({**raw, "rate_rps": 5}).rate_rps == 5.0
    with pytest.raises(ValueError, match="rate_rsp"):
        LoadConfig.from_dict({**raw, "rate_rsp": 5})


# --- signing -----------------------------------------------------------------------------------------------


def test_body_is_what_the_sdk_would_send() -> None:
    cfg = config()
    body, _ = RequestBuilder(cfg).build(3, 1_795_322_496)
    expected = {
        "PhoneNumberSet": phone_numbers(cfg, 3),
        "SmsSdkAppId": "1400006666",
        "TemplateId": "1110",
        "SignName": "腾讯云",
        "TemplateParamSet": ["123456", "5"],
    }
    assert body == json.dumps(expected).encode()  # same bytes: key order, separators, \u escapes


def test_signed_request_verifies_with_the_platform_verifier() -> None:
    timestamp = 1_795_322_496
    body, headers = RequestBuilder(config(api_url="http://127.0.0.1:42601")).build(0, timestamp)
    assert headers["Host"] == "127.0.0.1:42601"
    assert headers["X-TC-Action"] == "SendSms" and headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou" and headers["X-TC-Language"] == "zh-CN"
    assert headers["X-TC-Timestamp"] == str(timestamp)
    auth = parse_authorization(headers["Authorization"])
    assert auth is not None
    assert (auth.secret_id, auth.date, auth.service) == (SECRET_ID, "2026-11-22", "sms")
    assert auth.signed_headers == ("content-type", "host")
    lower = {k.lower(): v for k, v in headers.items()}

    def verifies(key: str, payload: bytes) -> bool:
        return verify_tc3(
            key, auth, method="POST", query="", headers=lower, payload=payload, timestamp=timestamp
        )

    assert verifies(SECRET_KEY, body)
    assert not verifies("x" * 32, body)
    assert not verifies(SECRET_KEY, body + b" ")


# --- runs against a local server ---------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.Response]]


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


ENVELOPE = {
    "Response": {
        "SendStatusSet": [
            {"PhoneNumber": "+8613800000000", "Code": "Ok", "Fee": 1},
            {"PhoneNumber": "+8613800000001", "Code": "Ok", "Fee": 1},
            {"PhoneNumber": "+8613800000002", "Code": "InvalidParameterValue.IncorrectPhoneNumber"},
        ],
        "RequestId": "r1",
    }
}


class Recorder:
    """Answers the fixed envelope, checking each request's signature and noting its client port and numbers."""

    def __init__(self) -> None:
        self.ports: set[int] = set()
        self.numbers: list[str] = []
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        assert peer is not None
        self.ports.add(peer[1])
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        auth = parse_authorization(headers["authorization"])
        timestamp = int(headers["x-tc-timestamp"])
        if auth is None or not verify_tc3(
            SECRET_KEY, auth, method="POST", query="", headers=headers, payload=body, timestamp=timestamp
        ):
            self.bad_signatures += 1
        self.numbers.extend(json.loads(body)["PhoneNumberSet"])
        return web.json_response(ENVELOPE)


async def test_run_load_counts_and_reuses_connections() -> None:
    recorder = Recorder()
    async with serve(recorder.handle) as url:
        result = await run_load(config(url, clients=3, requests=30, numbers_per_request=4))
    assert recorder.bad_signatures == 0
    assert 1 <= len(recorder.ports) <= 3  # keep-alive: never more sockets than clients
    assert len(recorder.numbers) == 30 * 4 and len(set(recorder.numbers)) == 30 * 4
    assert (result.requests, result.ok_requests, result.accepted_numbers, result.errors) == (30, 30, 60, {})
    assert [r.index for r in result.records] == list(range(30))
    assert all(r.scheduled_s is None and r.latency_ms >= 0 for r in result.records)
    out = result.to_json()
    assert set(out) >= {
        "started_at",
        "finished_at",
        "duration_s",
        "requests",
        "ok_requests",
        "accepted_numbers",
        "errors",
        "latency_ms",
        "numbers_per_s",
        "requests_per_s",
        "samples",
    }
    assert set(out["latency_ms"]) == {"p50", "p95", "p99", "max", "mean"}
    assert out["latency_ms"]["p50"] <= out["latency_ms"]["p99"] <= out["latency_ms"]["max"]
    assert len(out["samples"]) == 30 and all(s[2] == 2 for s in out["samples"])
    assert out["numbers_per_s"] == pytest.approx(60 / out["duration_s"])
    assert out["finished_at"] >= out["started_at"]
    json.dumps(out)


async def test_run_load_counts_errors() -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        await request.read()
        match calls % 4:
            case 1:
                return web.json_response(ENVELOPE)
            case 2:
                error = {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "r"}
                return web.json_response({"Response": error})
            case 3:
                return web.Response(status=500, text="boom")
            case _:
                return web.Response(text="not json", content_type="application/json")

    async with serve(flaky) as url:
        result = await run_load(config(url, clients=1, requests=8))
    assert result.errors == {"RequestLimitExceeded": 2, "HTTP500": 2, "JSONDecodeError": 2}
    assert result.error_examples["RequestLimitExceeded"] == "slow down"
    assert (result.ok_requests, result.accepted_numbers) == (2, 4)


async def test_run_load_counts_connection_failures() -> None:
    async with serve(Recorder().handle) as url:
        pass  # the port is closed again: every request fails to connect
    result = await run_load(config(url, clients=2, requests=4, timeout_s=5))
    assert result.ok_requests == 0 and sum(result.errors.values()) == 4
    assert set(result.errors) == {"ClientConnectorError"}


async def test_rate_mode_starts_on_schedule() -> None:
    async with serve(Recorder().handle) as url:
        result = await run_load(config(url, clients=2, requests=6, rate_rps=50))
    scheduled = [r.scheduled_s for r in result.records]
    assert scheduled == pytest.approx([i / 50 for i in range(6)])
    for r in result.records:
        assert r.scheduled_s is not None
        assert r.start_s >= r.scheduled_s - 0.002  # never early (beyond the loop's clock resolution)
        # latency is measured from the schedule, so any wait for a free client counts
        assert r.latency_ms == pytest.approx((r.end_s - r.scheduled_s) * 1000)
    walls = [r.wall_start for r in result.records]
    assert [b - a for a, b in itertools.pairwise(walls)] == pytest.approx([0.02] * 5)


async def test_cli_writes_the_result(tmp_path: Path) -> None:
    cfg = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "sdk_app_id": "1400006666",
        "sign_name": "腾讯云",
        "template_id": "1110",
        "params": ["1"],
        "clients": 2,
        "requests": 5,
        "numbers_per_request": 3,
        "first_number": 1000,
    }
    recorder = Recorder()
    async with serve(recorder.handle) as url:
        (tmp_path / "c.json").write_text(json.dumps({**cfg, "api_url": url}))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.loadgen",
            "--config",
            str(tmp_path / "c.json"),
            "--out",
            str(tmp_path / "r.json"),
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    out = json.loads((tmp_path / "r.json").read_text())
    assert (out["requests"], out["ok_requests"], out["accepted_numbers"]) == (5, 5, 10)
    assert len(out["samples"]) == 5
    assert min(recorder.numbers) == "+8613800001000" and len(set(recorder.numbers)) == 15
