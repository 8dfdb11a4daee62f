"""`HttpConnector` against real HTTP servers: the simulator, and small carrier apps that misbehave on purpose.

Rule C1: upstream calls use persistent connections in a pool; a connection idle for the idle timeout (90 s in
production) is closed and a new one opened when needed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from core.services.connectors import (
    OutboundMessage,
    PermanentCarrierError,
    SubmitResult,
    TransientCarrierError,
)
from worker.carriers.http import HttpConnector
from worker.carriers.simulator import SIMULATOR, Simulator, SimulatorConfig, create_simulator_app, serve

TOKEN = "connector-test-token"
WAIT_S = 5.0


def messages(count: int, prefix: str = "m") -> list[OutboundMessage]:
    return [OutboundMessage(f"{prefix}{i}", f"+86138000{i:05d}", "hello", "S") for i in range(count)]


@asynccontextmanager
async def connector_for(url: str, **options: Any) -> AsyncIterator[HttpConnector]:
    connector = HttpConnector(
        url, options.pop("token", TOKEN), pool_size=options.pop("pool_size", 4), **options
    )
    try:
        yield connector
    finally:
        await connector.close()


@asynccontextmanager
async def simulator(**overrides: Any) -> AsyncIterator[tuple[str, Simulator]]:
    app = create_simulator_app(SimulatorConfig(token=TOKEN, **overrides))
    async with serve(app) as url:
        yield url, app[SIMULATOR]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def carrier(handler: Handler) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/submit", handler)
    async with serve(app, shutdown_timeout=0.5) as url:
        yield url


class EchoCarrier:
    """Accepts everything and records, per request, the client's port (one port = one TCP connection)."""

    def __init__(self) -> None:
        self.client_ports: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        self.client_ports.append(request.transport.get_extra_info("peername")[1])
        body = await request.json()
        results = [{"ref": m["ref"], "carrier_id": "C" + m["ref"], "error": ""} for m in body["messages"]]
        return web.json_response({"results": results})


class RawKeepAliveCarrier:
    """A bare HTTP/1.1 keep-alive server that counts requests per TCP connection and signals when the
    client closes one; aiohttp's server gives no hook for that."""

    def __init__(self) -> None:
        self.requests_per_connection: list[int] = []
        self.closed_by_client = asyncio.Event()

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.requests_per_connection)
        self.requests_per_connection.append(0)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                headers = dict(line.split(b":", 1) for line in head.strip().split(b"\r\n")[1:])
                length = int({k.strip().lower(): v for k, v in headers.items()}[b"content-length"])
                body = json.loads(await reader.readexactly(length))
                results = [
                    {"ref": m["ref"], "carrier_id": "C" + m["ref"], "error": ""} for m in body["messages"]
                ]
                answer = json.dumps({"results": results}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
                self.requests_per_connection[index] += 1
        except asyncio.IncompleteReadError:  # EOF between requests: the client closed the socket
            self.closed_by_client.set()
        finally:
            writer.close()


async def test_submit_returns_one_result_per_message_in_input_order() -> None:
    async with (
        simulator(rejected_numbers=frozenset({"+8613800000001"})) as (url, sim),
        connector_for(url) as c,
    ):
        results = await c.submit(messages(3))
    assert [r.ref for r in results] == ["m0", "m1", "m2"]
    assert results[1] == SubmitResult("m1", None, "REJECTD")
    assert results[0].carrier_id and results[2].carrier_id and results[0].carrier_id != results[2].carrier_id
    assert sim.received_refs == ["m0", "m1", "m2"]


async def test_a_retried_submit_gets_the_same_carrier_ids_from_the_idempotent_simulator() -> None:
    async with simulator() as (url, sim), connector_for(url) as connector:
        first = await connector.submit(messages(2))
        second = await connector.submit(messages(2))
    assert first == second
    assert sim.received_refs == ["m0", "m1", "m0", "m1"] and sim.duplicates == 2


async def test_an_empty_submit_makes_no_call_and_more_than_200_is_refused() -> None:
    async with simulator() as (url, sim), connector_for(url) as connector:
        assert await connector.submit([]) == []
        with pytest.raises(ValueError, match="200"):
            await connector.submit(messages(201))
        assert sim.submit_calls == 0
        assert len(await connector.submit(messages(200))) == 200
        assert sim.submit_calls == 1  # 200 messages, ONE upstream call


async def test_consecutive_submits_reuse_one_keep_alive_connection_rule_c1() -> None:
    echo = EchoCarrier()
    async with carrier(echo.handle) as url, connector_for(url) as connector:
        for i in range(3):
            await connector.submit(messages(2, prefix=f"b{i}-"))
    assert len(echo.client_ports) == 3 and len(set(echo.client_ports)) == 1


async def test_an_idle_connection_is_closed_after_the_idle_timeout_and_a_new_one_opened_rule_c1() -> None:
    raw = RawKeepAliveCarrier()
    server = await asyncio.start_server(raw.serve_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with connector_for(f"http://127.0.0.1:{port}", idle_timeout_s=0.2) as connector:
            await connector.submit(messages(1))
            pool = connector.pool
            assert isinstance(pool, aiohttp.TCPConnector) and pool.limit == 4
            # The server never closes a connection itself: only the client's idle timeout can.
            await asyncio.wait_for(raw.closed_by_client.wait(), WAIT_S)
            await connector.submit(messages(1, prefix="later"))
        assert raw.requests_per_connection == [1, 1]
    finally:
        server.close()
        await server.wait_closed()


async def test_the_pool_never_opens_more_connections_than_pool_size_rule_c1() -> None:
    echo = EchoCarrier()
    async with carrier(echo.handle) as url, connector_for(url, pool_size=2) as connector:
        # Started together, ten submits would open ten sockets without the limit.
        await asyncio.gather(*(connector.submit(messages(1, prefix=f"p{i}-")) for i in range(10)))
    assert len(echo.client_ports) == 10 and len(set(echo.client_ports)) <= 2


async def test_the_idle_timeout_defaults_to_90_seconds_rule_c1() -> None:
    async with simulator() as (url, _sim), connector_for(url) as connector:
        await connector.start()
        pool = connector.pool
        assert isinstance(pool, aiohttp.TCPConnector)
        assert pool._keepalive_timeout == 90.0  # no public accessor in aiohttp


async def test_503_and_injected_submit_failures_raise_transient_errors() -> None:
    async with simulator() as (url, sim), connector_for(url) as connector:
        sim.fail_next_submits = 2
        for _ in range(2):
            with pytest.raises(TransientCarrierError, match="503") as refused:
                await connector.submit(messages(1))
            assert not refused.value.maybe_sent  # the carrier answered that it took nothing
        assert (await connector.submit(messages(1)))[0].carrier_id
        sim.config.failure_rate = 1.0
        with pytest.raises(TransientCarrierError):
            await connector.submit(messages(1))


async def test_429_is_transient_and_other_4xx_are_permanent() -> None:
    async def too_many(_request: web.Request) -> web.Response:
        return web.json_response({"error": "slow down"}, status=429)

    async def gone(_request: web.Request) -> web.Response:
        return web.json_response({"error": "account closed"}, status=403)

    async with carrier(too_many) as url, connector_for(url) as connector:
        with pytest.raises(TransientCarrierError, match="429: slow down"):
            await connector.submit(messages(1))
    async with carrier(gone) as url, connector_for(url) as connector:
        with pytest.raises(PermanentCarrierError, match="403: account closed"):
            await connector.submit(messages(1))


async def test_a_400_from_the_simulator_is_a_permanent_error() -> None:
    async with simulator() as (url, _sim), connector_for(url) as connector:
        with pytest.raises(PermanentCarrierError, match="400"):
            await connector.submit([OutboundMessage("", "+8613800000000", "x")])


async def test_a_wrong_token_is_a_permanent_error_whose_reason_hides_the_token() -> None:
    async with simulator() as (url, _sim), connector_for(url, token="not-the-token") as connector:
        with pytest.raises(PermanentCarrierError, match="401: unauthorized") as raised:
            await connector.submit(messages(1))
    assert "not-the-token" not in str(raised.value) and "not-the-token" not in repr(connector)


async def test_a_server_that_closes_the_connection_raises_a_transient_error() -> None:
    async def hang_up(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    async with carrier(hang_up) as url, connector_for(url) as connector:
        with pytest.raises(TransientCarrierError, match="ServerDisconnected") as lost:
            await connector.submit(messages(1))
        assert lost.value.maybe_sent  # the request was sent: the carrier may have taken it


async def test_a_server_that_does_not_answer_in_time_raises_a_transient_error() -> None:
    release = asyncio.Event()

    async def stall(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    try:
        async with carrier(stall) as url, connector_for(url, timeout_s=0.2) as connector:
            with pytest.raises(TransientCarrierError, match="Timeout") as timed_out:
                await connector.submit(messages(1))
            assert timed_out.value.maybe_sent
            release.set()
    finally:
        release.set()


async def test_nothing_listening_raises_a_transient_error() -> None:
    async with connector_for("http://127.0.0.1:1") as connector:
        with pytest.raises(TransientCarrierError) as unreachable:
            await connector.submit(messages(1))
        assert not unreachable.value.maybe_sent  # no connection: nothing was sent


@pytest.mark.parametrize("body", ["not json", "[]", '{"results": {}}', '{"results": [{"ref": 1}]}'])
async def test_a_200_with_an_unparseable_body_is_a_transient_error(body: str) -> None:
    async def garbage(_request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="application/json")

    async with carrier(garbage) as url, connector_for(url) as connector:
        with pytest.raises(TransientCarrierError, match="unparseable") as unreadable:
            await connector.submit(messages(1))
        assert unreadable.value.maybe_sent


async def test_results_are_matched_by_ref_and_a_missing_ref_becomes_a_per_message_error() -> None:
    async def partial(request: web.Request) -> web.Response:
        refs = [m["ref"] for m in (await request.json())["messages"]]
        # Out of order, one missing, one the request never held.
        results = [{"ref": r, "carrier_id": "C" + r, "error": ""} for r in reversed(refs[1:])]
        results.append({"ref": "stranger", "carrier_id": "X", "error": ""})
        return web.Response(text=json.dumps({"results": results}), content_type="application/json")

    async with carrier(partial) as url, connector_for(url) as connector:
        results = await connector.submit(messages(3))
    assert results == [
        SubmitResult("m0", None, "no result from carrier"),
        SubmitResult("m1", "Cm1", ""),
        SubmitResult("m2", "Cm2", ""),
    ]


async def test_error_reasons_never_carry_a_full_phone_number() -> None:
    async def echo_phone(request: web.Request) -> web.Response:
        phone = (await request.json())["messages"][0]["phone"]
        return web.json_response({"error": f"bad destination {phone}"}, status=422)

    async with carrier(echo_phone) as url, connector_for(url) as connector:
        with pytest.raises(PermanentCarrierError) as raised:
            await connector.submit([OutboundMessage("r", "+8613812345678", "x")])
    assert "13812345678" not in str(raised.value) and "5678" in str(raised.value)


async def test_a_closed_connector_refuses_to_submit() -> None:
    async with simulator() as (url, _sim):
        connector = HttpConnector(url, TOKEN, pool_size=1)
        await connector.start()
        await connector.close()
        assert connector.pool is None
        with pytest.raises(RuntimeError, match="closed"):
            await connector.submit(messages(1))
