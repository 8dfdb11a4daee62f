"""A stand-in Alibaba endpoint for tests: records every request exactly as received and answers a fixed
Dysmsapi JSON envelope, so unmodified Alibaba SDKs can be pointed at 127.0.0.1 and their wire output checked.

It serves from its own thread and event loop, so both the blocking SDK clients (Tea sync, legacy
aliyunsdkcore) and the async Tea client (run with asyncio.run in the test thread) can call it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
OK_ENVELOPE: dict[str, Any] = {"Code": "OK", "Message": "OK", "RequestId": "X", "BizId": "1^0"}


@dataclass(frozen=True)
class Captured:
    """One request as the server saw it."""

    method: str
    path: str  # raw path, without the query
    raw_query: str  # the query text exactly as sent (not decoded)
    headers: tuple[tuple[str, str], ...]  # (name as sent, value), every occurrence, in order
    body: bytes

    def header_lists(self) -> dict[str, list[str]]:
        """Lower-case name -> every value received."""
        lists: dict[str, list[str]] = {}
        for name, value in self.headers:
            lists.setdefault(name.lower(), []).append(value)
        return lists

    def header(self, name: str) -> str:
        """The single value of a header (AssertionError if absent or repeated)."""
        values = self.header_lists().get(name.lower(), [])
        assert len(values) == 1, (name, values)
        return values[0]

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query, form-decoded (`+` is a space), every pair kept."""
        return parse_qsl(self.raw_query, keep_blank_values=True)

    def form_pairs(self) -> list[tuple[str, str]]:
        """The body's parameters when it is a form (signed content type), else none."""
        content_types = self.header_lists().get("content-type", [])
        if not any(value.split(";")[0].strip().lower() == FORM_CONTENT_TYPE for value in content_types):
            return []
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)


Answer = Callable[[Captured], tuple[int, dict[str, Any]]]


def _ok(_: Captured) -> tuple[int, dict[str, Any]]:
    return 200, OK_ENVELOPE


@dataclass
class CaptureServer:
    """`with CaptureServer() as server:` point an SDK at server.endpoint ("127.0.0.1:<port>"), then read
    server.requests. answer decides the status and JSON body of each reply (default: SendSms OK)."""

    answer: Answer = _ok
    requests: list[Captured] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        captured = Captured(
            method=request.method,
            path=request.rel_url.raw_path,
            raw_query=request.rel_url.raw_query_string,
            headers=tuple(request.headers.items()),
            body=await request.read(),
        )
        self.requests.append(captured)
        status, body = self.answer(captured)
        return web.Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            content_type="application/json",
            charset="utf-8",
        )

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __enter__(self) -> CaptureServer:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="alibaba-capture", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=10)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._loop is not None and self._thread is not None and self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def only(self) -> Captured:
        """The one request received (AssertionError otherwise)."""
        assert len(self.requests) == 1, [(r.method, r.raw_query) for r in self.requests]
        return self.requests[0]
