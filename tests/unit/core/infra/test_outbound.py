"""The guarded outbound client for customers' URLs (issue 14, finding 4), against real local HTTP servers that
record every request they get: public addresses only (by literal, by name, and on the socket aiohttp actually
connects), no redirects, no environment proxies, a bounded answer; and the same verdict when a URL is set.

The servers listen on 127.0.0.1, so each refusal is shown next to the same request with the development
setting (private networks allowed) reaching the server: what stops the request is the guard, nothing else."""

from __future__ import annotations

import gzip
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from core.infra.outbound import (
    MAX_ANSWER_BYTES,
    Answer,
    GuardedClient,
    PublicOnlyResolver,
    RefusedAddress,
    check_destination,
    public_socket,
)
from worker.carriers.simulator import serve


@dataclass
class Recorder:
    """A local HTTP server's request log."""

    url: str = ""
    hits: list[str] = field(default_factory=list)


@asynccontextmanager
async def recording_server(handler: web.Response | None = None) -> AsyncIterator[Recorder]:
    recorder = Recorder()

    async def record(request: web.Request) -> web.StreamResponse:
        recorder.hits.append(f"{request.method} {request.host}{request.path_qs}")
        return handler if handler is not None else web.json_response({"result": 0})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with serve(app) as url:
        recorder.url = url
        yield recorder


class HostsFile(AbstractResolver):
    """A resolver answering from a fixed table, as /etc/hosts would: names that no real DNS has."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(f"{host} not found")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


async def post(url: str, *, private_networks: bool, resolver: AbstractResolver | None = None) -> Answer | str:
    client = GuardedClient(private_networks=private_networks, resolver=resolver)
    try:
        return await client.post(url, b"{}", {"Content-Type": "application/json"}, timeout_s=5)
    finally:
        await client.close()


async def test_a_literal_private_address_is_never_connected_to() -> None:
    async with recording_server() as rx:
        port = rx.url.rsplit(":", 1)[1]
        for host in ("127.0.0.1", "[::ffff:127.0.0.1]"):
            answer = await post(f"http://{host}:{port}/cb", private_networks=False)
            assert answer == f"refused: {host.strip('[]')} is a private or reserved address"
        assert rx.hits == []
        # The same request with private networks allowed (a development stack) does reach the server.
        assert await post(f"http://127.0.0.1:{port}/cb", private_networks=True) == Answer(
            200, b'{"result": 0}'
        )
        assert len(rx.hits) == 1


async def test_a_name_that_resolves_to_loopback_is_never_connected_to() -> None:
    async with recording_server() as rx:
        port = rx.url.rsplit(":", 1)[1]
        answer = await post(f"http://localhost:{port}/cb", private_networks=False)
        assert answer == "refused: the host resolves only to private or reserved addresses"
        assert rx.hits == []
        assert isinstance(await post(f"http://localhost:{port}/cb", private_networks=True), Answer)
        assert len(rx.hits) == 1


async def test_the_connection_goes_to_the_address_the_resolver_answered() -> None:
    """aiohttp connects to what the client's resolver answered (receiver.example exists in no DNS), so the
    address that was checked is the address that is connected: no second look-up can be rebound."""
    async with recording_server() as rx:
        port = rx.url.rsplit(":", 1)[1]
        hosts = HostsFile({"receiver.example": ["127.0.0.1"]})
        url = f"http://receiver.example:{port}/cb"
        assert await post(url, private_networks=True, resolver=hosts) == Answer(200, b'{"result": 0}')
        assert rx.hits == [f"POST receiver.example:{port}/cb"]
        # Unless private networks are allowed, the same answer is refused before any connection.
        answer = await post(url, private_networks=False, resolver=hosts)
        assert answer == "refused: the host resolves only to private or reserved addresses"
        assert len(rx.hits) == 1


async def test_the_socket_gate_refuses_a_private_address_whatever_the_resolver_answered() -> None:
    """The last gate sits on the socket aiohttp connects: given a resolver that does not filter at all, a
    connector with public_socket still never opens a connection to a private address."""
    async with recording_server() as rx:
        port = rx.url.rsplit(":", 1)[1]
        connector = aiohttp.TCPConnector(
            resolver=HostsFile({"rebound.example": ["127.0.0.1"]}), socket_factory=public_socket
        )
        async with aiohttp.ClientSession(connector=connector) as session:
            with pytest.raises(aiohttp.ClientConnectorError) as refused:
                await session.post(f"http://rebound.example:{port}/cb")
        assert isinstance(refused.value.os_error, RefusedAddress)
        assert rx.hits == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ((socket.AF_INET, ("127.0.0.1", 80)), False),
        ((socket.AF_INET, ("169.254.169.254", 80)), False),
        ((socket.AF_INET6, ("::ffff:127.0.0.1", 80, 0, 0)), False),
        ((socket.AF_INET6, ("64:ff9b::a9fe:a9fe", 80, 0, 0)), False),
        ((socket.AF_INET6, ("fe80::1", 80, 0, 2)), False),
        ((socket.AF_INET, ("8.8.8.8", 80)), True),
        ((socket.AF_INET6, ("2001:4860:4860::8888", 443, 0, 0)), True),
    ],
)
def test_public_socket_opens_a_socket_for_public_addresses_only(
    address: tuple[socket.AddressFamily, tuple[str | int, ...]], public: bool
) -> None:
    family, sockaddr = address
    addr_info = (int(family), int(socket.SOCK_STREAM), 6, "", sockaddr)
    if not public:
        with pytest.raises(RefusedAddress):
            public_socket(addr_info)
        return
    sock = public_socket(addr_info)
    try:
        assert sock.family == family
    finally:
        sock.close()


async def test_the_public_only_resolver_keeps_only_public_answers() -> None:
    resolver = PublicOnlyResolver(HostsFile({"mixed.example": ["10.0.0.1", "8.8.8.8", "::ffff:127.0.0.1"]}))
    assert [r["host"] for r in await resolver.resolve("mixed.example", 80)] == ["8.8.8.8"]
    with pytest.raises(RefusedAddress):
        await PublicOnlyResolver().resolve("localhost", 80)  # the system resolver, /etc/hosts


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_the_answer_and_is_not_followed(status: int) -> None:
    async with recording_server() as target:
        redirect = web.Response(status=status, headers={"Location": target.url + "/stolen"})
        async with recording_server(redirect) as rx:
            assert await post(rx.url + "/cb", private_networks=True) == Answer(status, b"")
            assert len(rx.hits) == 1
        assert target.hits == []


async def test_environment_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    async with recording_server() as proxy, recording_server() as rx:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        assert isinstance(await post(rx.url + "/cb", private_networks=True), Answer)
        assert len(rx.hits) == 1 and proxy.hits == []


async def test_the_answer_is_read_up_to_a_bound_and_never_decompressed() -> None:
    too_long = web.Response(body=b"x" * (MAX_ANSWER_BYTES + 1))
    async with recording_server(too_long) as rx:
        assert await post(rx.url + "/cb", private_networks=True) == Answer(200, None)
    # 20 MB of zeros in 20 kB of gzip: the compressed bytes are the answer, they are not inflated.
    bomb = gzip.compress(b"\0" * 20_000_000)
    compressed = web.Response(body=bomb, headers={"Content-Encoding": "gzip"})
    async with recording_server(compressed) as rx:
        answer = await post(rx.url + "/cb", private_networks=True)
        assert answer == Answer(200, bomb if len(bomb) <= MAX_ANSWER_BYTES else None)


async def test_numbers_that_resolvers_read_as_loopback_are_never_connected_to() -> None:
    """2130706433, 127.1, 0x7f.0.0.1 and 017700000001 all mean 127.0.0.1 to inet_aton: whichever layer catches
    them (aiohttp refuses some as URLs, the resolver filter the rest), the answer is a failure, not an
    exception, and the server gets nothing."""
    async with recording_server() as rx:
        port = rx.url.rsplit(":", 1)[1]
        for host in ("2130706433", "127.1", "0x7f.0.0.1", "017700000001"):
            answer = await post(f"http://{host}:{port}/cb", private_networks=False)
            assert isinstance(answer, str) and answer.startswith(("refused: ", "request failed: ")), answer
        assert rx.hits == []


async def test_the_check_when_a_url_is_set_gives_the_same_verdict() -> None:
    hosts = HostsFile(
        {
            "inside.example": ["10.0.0.1", "fe80::1"],
            "metadata.example": ["169.254.169.254"],
            "mixed.example": ["10.0.0.1", "8.8.8.8"],
            "customer.example": ["2001:4860:4860::8888"],
        }
    )
    verdicts = {
        url: await check_destination(url, private_networks=False, resolver=hosts)
        for url in (
            "http://inside.example/",
            "http://metadata.example/latest/meta-data/",
            "http://mixed.example/",
            "https://customer.example/alarm",
            "http://nowhere.example/",
            "http://10.0.0.1/",
            "http://[::ffff:127.0.0.1]:8080/",
            "http://8.8.8.8/",
        )
    }
    assert verdicts == {
        "http://inside.example/": "The URL's host inside.example resolves only to private or reserved"
        " addresses: the platform calls public addresses only.",
        "http://metadata.example/latest/meta-data/": "The URL's host metadata.example resolves only to private"
        " or reserved addresses: the platform calls public addresses only.",
        "http://mixed.example/": None,  # the client will use its public address only
        "https://customer.example/alarm": None,
        "http://nowhere.example/": "The URL's host nowhere.example does not resolve: check the name, or try"
        " again later.",
        "http://10.0.0.1/": "The URL's host 10.0.0.1 is a private or reserved address: the platform calls"
        " public addresses only.",
        "http://[::ffff:127.0.0.1]:8080/": "The URL's host ::ffff:127.0.0.1 is a private or reserved address:"
        " the platform calls public addresses only.",
        "http://8.8.8.8/": None,
    }
    # The system resolver: localhost is this machine; the .invalid top-level domain never resolves.
    assert "resolves only to private" in str(
        await check_destination("http://localhost/", private_networks=False)
    )
    assert "does not resolve" in str(await check_destination("http://x.invalid/", private_networks=False))
    for url in verdicts:  # a development stack may name anything
        assert await check_destination(url, private_networks=True, resolver=hosts) is None
