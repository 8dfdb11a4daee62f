"""The guarded outbound HTTP client for customers' URLs (callbacks, alarm webhooks): public addresses only,
no redirects, no environment proxies, no cookies, a bounded answer."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from core.domain.callbacks import is_public_address

USER_AGENT = "sms-platform-callbacks/1"
# The customer's answer is a tiny JSON object; a longer one is not read (and counts as a failure).
MAX_ANSWER_BYTES = 64 * 1024


class PublicOnlyResolver(AbstractResolver):
    """Resolves a customer's host name and keeps only public addresses: a callback URL must not reach the
    platform's own network (databases, admin endpoints, cloud metadata) through a name that points there."""

    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        public = [r for r in found if is_public_address(r["host"])]
        if not public:
            raise OSError(f"{host} resolves only to private or reserved addresses")
        return public

    async def close(self) -> None:
        await self._inner.close()


def new_session(*, private_networks: bool = False) -> aiohttp.ClientSession:
    """The worker's callback client. Environment proxies are ignored (trust_env=False), cookies are not kept
    between customers, and per-request timeouts come from the settings. Unless `private_networks` (a
    development setting), host names resolve to public addresses only."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=256,
            limit_per_host=8,
            keepalive_timeout=30,
            resolver=None if private_networks else PublicOnlyResolver(),
        ),
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": USER_AGENT},
    )


def refused_address(url: str, private_networks: bool) -> str | None:
    """A URL whose host is a literal private address (names go through PublicOnlyResolver)."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: the resolver decides
    if private_networks or is_public_address(host):
        return None
    return f"refused: {host} is a private or reserved address"


async def post_for_answer(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float,
    private_networks: bool,
) -> tuple[int, bytes | None] | str:
    """POST `body` to a customer's URL: (HTTP status, the answer or None when it was too long), or why the
    request did not get an answer (no numbers, no secrets in it)."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    refused = refused_address(url, private_networks)
    if refused is not None:
        return refused
    try:
        # No redirects: a redirect could lead anywhere, including places check_callback_url refuses.
        async with session.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as response:
            return response.status, await _read_limited(response, MAX_ANSWER_BYTES)
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except aiohttp.ClientError as exc:
        cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
        if "private or reserved" in f"{cause} {cause.__cause__}":
            return "refused: the host resolves only to private or reserved addresses"
        return f"request failed: {type(exc).__name__}"


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
