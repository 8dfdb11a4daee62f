"""The one guarded HTTP client for every request to a URL a customer gave (callbacks, alarm webhooks; later the
Alibaba and UCloud pushes), so such a URL cannot reach the platform's own network (server-side request
forgery):

- public addresses only, by name or by literal (core.domain.customer_urls.is_public_address): a name's
  addresses are filtered when it is resolved, and the connection is opened to an address the resolver
  answered, checked once more on the socket itself, so no literal form, re-resolution or DNS rebinding
  between the check and the connection gets past;
- no redirects (a 3xx is the answer, and the caller counts it as a failure), no environment proxies, no
  cookies kept between customers, no compressed answers, an answer read up to a bound;
- check_destination gives the same verdict when the URL is set, so the customer hears of it at once.

`private_networks` (a development setting, SMS_CALLBACK_PRIVATE_NETWORKS) lifts the address rule only."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from core.domain.customer_urls import is_public_address, parse_address, refused_address_message

USER_AGENT = "sms-platform-callbacks/1"
# The customer's answer is a tiny JSON object; a longer one is not read (and counts as a failure).
MAX_ANSWER_BYTES = 64 * 1024
# How long the check at configuration time waits for a name to resolve.
RESOLVE_TIMEOUT_S = 5.0
# A socket's address as the connector hands it to the socket factory: (family, type, proto, name, sockaddr).
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]


class RefusedAddress(OSError):
    """The guard refused to connect. Its text names no address: it may be one a customer's name resolved to
    inside the platform's network."""

    def __init__(self) -> None:
        super().__init__("refused: a private or reserved address")


def public_socket(addr_info: AddrInfo) -> socket.socket:
    """The connector's socket factory: the last gate, on the very address about to be connected to (a literal
    from the URL, or what the resolver answered)."""
    family, kind, proto, _, address = addr_info
    if not is_public_address(str(address[0])):
        raise RefusedAddress
    return socket.socket(family, kind, proto)


class PublicOnlyResolver(AbstractResolver):
    """Resolves a customer's host name (with `inner`, the system resolver by default) and keeps only public
    addresses: a name that points inside the platform's network resolves to nothing."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        public = [r for r in found if is_public_address(r["host"])]
        if not public:
            raise RefusedAddress
        return public

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes | None  # None: longer than MAX_ANSWER_BYTES, not read


class GuardedClient:
    """One per worker process (opened on startup, closed on shutdown). `resolver` answers host names (the
    system resolver by default); unless `private_networks`, only its public answers are used."""

    def __init__(self, *, private_networks: bool = False, resolver: AbstractResolver | None = None) -> None:
        self.private_networks = private_networks
        if private_networks:
            connector = aiohttp.TCPConnector(
                limit=256, limit_per_host=8, keepalive_timeout=30, resolver=resolver
            )
        else:
            connector = aiohttp.TCPConnector(
                limit=256,
                limit_per_host=8,
                keepalive_timeout=30,
                resolver=PublicOnlyResolver(resolver),
                socket_factory=public_socket,
            )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # no HTTP(S)_PROXY: a proxy would connect wherever the URL says
            auto_decompress=False,  # a small compressed answer must not grow past the bound in memory
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float
    ) -> Answer | str:
        """POST `body` to a customer's URL: the answer (a 3xx included: redirects are not followed), or why
        there is none, in words fit for the customer (no addresses a name resolved to, no numbers, no
        secrets)."""
        try:
            async with self._session.post(
                url,
                data=body,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                allow_redirects=False,
            ) as response:
                return Answer(response.status, await _read_limited(response, MAX_ANSWER_BYTES))
        except TimeoutError:
            return f"no answer within {timeout_s:g} s"
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedAddress):
                return _refusal(url)
            return f"request failed: {type(exc).__name__}"
        except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp cannot use
            return f"request failed: {type(exc).__name__}"

    async def close(self) -> None:
        await self._session.close()


def _refusal(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if parse_address(host) is not None:
        return f"refused: {host} is a private or reserved address"
    return "refused: the host resolves only to private or reserved addresses"


async def check_destination(
    url: str, *, private_networks: bool, resolver: AbstractResolver | None = None
) -> str | None:
    """At configuration time: why the guarded client would refuse `url`'s host, or None. A literal address
    must be public; a name must resolve, and to at least one public address (the client uses only those).
    `url` has passed core.domain.customer_urls.check_customer_url."""
    if private_networks:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if parse_address(host) is not None:
        return None if is_public_address(host) else refused_address_message(host)
    inner = resolver or ThreadedResolver()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            found = await inner.resolve(host, 0, socket.AF_UNSPEC)
    except (OSError, TimeoutError):
        return f"The URL's host {host} does not resolve: check the name, or try again later."
    finally:
        if resolver is None:
            await inner.close()
    if not any(is_public_address(r["host"]) for r in found):
        return (
            f"The URL's host {host} resolves only to private or reserved addresses: the platform calls"
            " public addresses only."
        )
    return None


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
