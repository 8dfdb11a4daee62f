"""Customer callbacks (B2, B3): deliver_callbacks POSTs an application's queued status reports and replies to
its URLs, in queue order, signed with its AppKey; the sweep restarts delivery whenever items are due; a daily
cron purges pull-queue items nobody pulled.

Delivery is at least once and in order per application:
- one job per application at a time (its job id, core.infra.queue.enqueue_callbacks), reading the head of the
  queue and deleting items only after the customer answered {"result": 0};
- a failed request (non-2xx, an answer other than {"result": 0}, a timeout, a connection error) puts its
  items back with an exponential backoff and ends the job, so nothing behind them overtakes them; the queue
  head's retry time holds back the whole application (core.store.report_feed.next_callbacks), and the sweep
  starts the job again when it is due. No arq retry: the wait is in Postgres, on the worker's clock, and a
  lost job loses nothing.
- items still failing callback_give_up_s after they were queued are given up (kept, counted)."""

from __future__ import annotations

import ipaddress
import socket
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import structlog
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from core.domain.callbacks import QueuedItem, build_requests, is_public_address, is_success, signed_headers
from core.infra.metrics import CALLBACK_REQUESTS, CALLBACKS
from core.infra.queue import enqueue_callbacks
from core.store.report_feed import (
    apps_with_due_callbacks,
    callback_target,
    callbacks_delivered,
    callbacks_failed,
    drop_callbacks,
    next_callbacks,
)
from core.store.report_feed import purge_pull_queue as purge_pull_queue_before
from worker.deps import Deps, get_deps, get_redis
from worker.jobs.send import retry_delay

USER_AGENT = "sms-platform-callbacks/1"
# The customer's answer is a tiny JSON object; a longer one is not read (and counts as a failure).
MAX_ANSWER_BYTES = 64 * 1024
log = structlog.get_logger("worker.callbacks")


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


def _refused_address(url: str, private_networks: bool) -> str | None:
    """A URL whose host is a literal private address (names go through PublicOnlyResolver)."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: the resolver decides
    if private_networks or is_public_address(host):
        return None
    return f"refused: {host} is a private or reserved address"


async def deliver_callbacks(ctx: dict[str, Any], sdk_app_id: str) -> dict[str, int]:
    deps = get_deps(ctx)
    settings = deps.settings
    tz = ZoneInfo(settings.timezone)
    bound = log.bind(job_id=ctx.get("job_id"), app=sdk_app_id)
    counts = {"requests": 0, "delivered": 0, "failed": 0, "given_up": 0, "dropped": 0}
    # Leave the job well inside its timeout; what is left is due, and the sweep starts the next job.
    deadline = time.monotonic() + settings.job_timeout_s / 2
    while time.monotonic() < deadline:
        target = await callback_target(deps.db, sdk_app_id)
        if target is None:
            break
        queued = await next_callbacks(deps.db, sdk_app_id, now=deps.now(), limit=settings.callback_batch)
        if not queued:
            break
        urls = {"status": target.status_url, "reply": target.reply_url}
        turned_off = sorted({q.kind for q in queued if not urls.get(q.kind)})
        if turned_off:  # the customer removed the URL since these were queued
            for kind in turned_off:
                dropped = await drop_callbacks(deps.db, sdk_app_id, kind)
                counts["dropped"] += dropped
                CALLBACKS.labels("dropped").inc(dropped)
            continue
        attempts = {q.id: q.attempts for q in queued}
        requests = build_requests(
            [QueuedItem(q.id, q.kind, q.item) for q in queued], tz, max_reports=settings.callback_batch
        )
        for request in requests:
            url = urls[request.kind]
            error = await _post(deps, url, target.app_key, request.body)
            counts["requests"] += 1
            if error is None:
                await callbacks_delivered(deps.db, sdk_app_id, request.ids, now=deps.now())
                counts["delivered"] += len(request.ids)
                CALLBACK_REQUESTS.labels("ok").inc()
                CALLBACKS.labels("delivered").inc(len(request.ids))
                continue
            failed_at = deps.now()
            delay = retry_delay(
                max(attempts[i] for i in request.ids) + 1,
                base_s=settings.callback_retry_base_s,
                max_s=settings.callback_retry_max_s,
            )
            given_up = await callbacks_failed(
                deps.db,
                sdk_app_id,
                request.ids,
                error=error,
                next_at=failed_at + timedelta(seconds=delay),
                give_up_created_before=failed_at - timedelta(seconds=settings.callback_give_up_s),
                now=failed_at,
            )
            counts["failed"] += len(request.ids) - given_up
            counts["given_up"] += given_up
            CALLBACK_REQUESTS.labels("failed").inc()
            CALLBACKS.labels("failed").inc(len(request.ids) - given_up)
            CALLBACKS.labels("given_up").inc(given_up)
            bound.warning(
                "callback failed",
                kind=request.kind,
                host=urlsplit(url).hostname,
                error=error,
                items=len(request.ids),
                retry_in_s=delay,
                **counts,
            )
            return counts  # the rest waits behind the failed items
    if counts["requests"] or counts["dropped"]:
        bound.info("callbacks delivered", **counts)
    return counts


async def _post(deps: Deps, url: str, app_key: str, body: bytes) -> str | None:
    """POST one signed callback; None when the customer took it, else why not (no numbers, no secrets)."""
    session = deps.http
    assert session is not None, "the worker opens the callback session on startup"
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        **signed_headers(app_key, int(deps.clock()), body),
    }
    timeout = aiohttp.ClientTimeout(total=deps.settings.callback_timeout_s)
    refused = _refused_address(url, deps.settings.callback_private_networks)
    if refused is not None:
        return refused
    try:
        # No redirects: a redirect could lead anywhere, including places check_callback_url refuses.
        async with session.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as response:
            answer = await _read_limited(response, MAX_ANSWER_BYTES)
            if not 200 <= response.status < 300:
                return f"HTTP {response.status}"
            if answer is None or not is_success(answer):
                return f'HTTP {response.status}, the answer is not {{"result": 0}}'
            return None
    except TimeoutError:
        return f"no answer within {deps.settings.callback_timeout_s:g} s"
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


async def sweep_callbacks(ctx: dict[str, Any]) -> int:
    """Cron: start delivery for every application whose queue head is due (retries whose wait is over,
    and anything an enqueue missed while that application's job was running)."""
    deps = get_deps(ctx)
    apps = await apps_with_due_callbacks(deps.db, now=deps.now())
    if apps:
        await enqueue_callbacks(get_redis(ctx), apps)
    return len(apps)


async def purge_pull_queue(ctx: dict[str, Any]) -> int:
    """Cron (daily): drop pull-queue items older than the retention period."""
    deps = get_deps(ctx)
    before = deps.now() - timedelta(days=deps.settings.pull_retention_days)
    purged = await purge_pull_queue_before(deps.db, before=before)
    if purged:
        log.info("purged unpulled reports and replies", purged=purged)
    return purged
