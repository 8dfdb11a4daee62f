"""Customer callbacks (B2, B3): where an application's reports and replies go (checked URLs) and in which
format (CallbackFormat: the platform's own, or Alibaba's batch push, issue 15); deliver its queued status reports and replies to its URLs, in
queue order, signed with its AppKey; find the applications whose queue head is due; purge pull-queue items
nobody pulled.

Delivery is at least once and in order per application:
- one job per application at a time (its job id, core.infra.queue.enqueue_callbacks), reading the head of the
  queue and deleting items only after the customer acknowledged them (core.domain.callbacks.is_acknowledged:
  {"result": 0} in the platform's format, HTTP 200 with a numeric "code" in Alibaba's);
- a failed request (no acknowledgement, a timeout, a connection error) puts its items back to wait (an
  exponential backoff; Alibaba's format: 1, 5, 10 minutes, then given up) and ends the delivery, so nothing
  behind them overtakes them; the
  queue head's retry time holds back the whole application (core.store.report_feed.next_callbacks), and the
  sweep starts delivery again when it is due. No queue retry: the wait is in Postgres, on the platform's
  clock, and a lost job loses nothing.
- items still failing callback_give_up_s after they were queued are given up (kept, counted); so are
  Alibaba-format items whose three retries failed."""

from __future__ import annotations

import time
from collections.abc import Set as AbstractSet
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import structlog

from core.domain.callbacks import (
    CallbackFormat,
    QueuedItem,
    build_requests,
    expected_answer,
    is_acknowledged,
    retry_after_s,
    signed_headers,
)
from core.infra.metrics import CALLBACK_REQUESTS, CALLBACKS
from core.infra.outbound import GuardedClient
from core.infra.queue import enqueue_callbacks
from core.services.customer_urls import url_problem
from core.services.platform import Platform
from core.store.callbacks_config import CallbackConfig, get_callback_config, set_callback_urls
from core.store.policy import AppNotFound
from core.store.report_feed import (
    apps_with_due_callbacks,
    callback_target,
    callbacks_delivered,
    callbacks_failed,
    drop_callbacks,
    messages_for_push,
    next_callbacks,
)
from core.store.report_feed import purge_pull_queue as purge_pull_queue_before

__all__ = ["AppNotFound", "CallbackConfig", "CallbackFormat", "InvalidCallbackUrl"]
FIELDS = {"status_url": "status report", "reply_url": "reply"}
FORMATS = tuple(f.value for f in CallbackFormat)

log = structlog.get_logger("core.services.callbacks")


class InvalidCallbackUrl(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"`{field}` ({FIELDS[field]} callback): {problem}")
        self.field = field
        self.problem = problem


async def config(platform: Platform, sdk_app_id: str) -> CallbackConfig:
    """An application's callback URLs, their format and its queue (pending, given up). Raises AppNotFound."""
    found = await get_callback_config(platform.db, sdk_app_id)
    if found is None:
        raise AppNotFound(sdk_app_id)
    return found


async def configure(
    platform: Platform,
    sdk_app_id: str,
    *,
    status_url: str | None,
    reply_url: str | None,
    also_hosts: AbstractSet[str] = frozenset(),
    also_ports: AbstractSet[int] = frozenset(),
    format: CallbackFormat | None = None,
) -> CallbackConfig:
    """Set the URLs and the format given (None leaves one as it is, a URL '' turns it off). What is still
    queued goes in the new format, and at once when the format changed. A URL must be http(s), short, without
    credentials, not aimed at the platform itself (its configured endpoints, plus `also_hosts` and
    `also_ports`: where the caller's own request arrived), and lead to a public address
    (core.services.customer_urls). Raises InvalidCallbackUrl or AppNotFound."""
    for field, value in (("status_url", status_url), ("reply_url", reply_url)):
        problem = (
            await url_problem(platform, value, also_hosts=also_hosts, also_ports=also_ports)
            if value
            else None
        )
        if problem:
            raise InvalidCallbackUrl(field, problem)
    found = await set_callback_urls(
        platform.db,
        sdk_app_id,
        status_url=status_url,
        reply_url=reply_url,
        fmt=format,
        now=platform.utc_now(),
    )
    if found is None:
        raise AppNotFound(sdk_app_id)
    return found


async def deliver(
    platform: Platform, http: GuardedClient, sdk_app_id: str, *, job_id: str | None = None
) -> dict[str, int]:
    """Deliver what is due for one application, until its queue is empty, a request fails, or half the job
    timeout has passed (what is left is due, and the sweep starts the next delivery)."""
    settings = platform.settings
    db = platform.db
    tz = ZoneInfo(settings.timezone)
    bound = log.bind(job_id=job_id, app=sdk_app_id)
    counts = {"requests": 0, "delivered": 0, "failed": 0, "given_up": 0, "dropped": 0}
    deadline = time.monotonic() + settings.job_timeout_s / 2
    while time.monotonic() < deadline:
        target = await callback_target(db, platform.keyring, sdk_app_id)
        if target is None:
            break
        queued = await next_callbacks(
            db, platform.keyring, sdk_app_id, now=platform.utc_now(), limit=settings.callback_batch
        )
        if not queued:
            break
        urls = {"status": target.status_url, "reply": target.reply_url}
        turned_off = sorted({q.kind for q in queued if not urls.get(q.kind)})
        if turned_off:  # the customer removed the URL since these were queued
            for kind in turned_off:
                dropped = await drop_callbacks(db, sdk_app_id, kind)
                counts["dropped"] += dropped
                CALLBACKS.labels("dropped").inc(dropped)
            continue
        attempts = {q.id: q.attempts for q in queued}
        fmt = target.format
        messages = (
            await messages_for_push(db, [q.item["serial_no"] for q in queued if q.kind == "status"])
            if fmt is CallbackFormat.ALIBABA
            else None
        )
        requests = build_requests(
            [QueuedItem(q.id, q.kind, q.item) for q in queued],
            tz,
            max_reports=settings.callback_batch,
            fmt=fmt,
            messages=messages,
        )
        for request in requests:
            url = urls[request.kind]
            error = await _post(platform, http, url, target.app_key, request.body, fmt)
            counts["requests"] += 1
            if error is None:
                await callbacks_delivered(db, sdk_app_id, request.ids, now=platform.utc_now())
                counts["delivered"] += len(request.ids)
                CALLBACK_REQUESTS.labels("ok").inc()
                CALLBACKS.labels("delivered").inc(len(request.ids))
                continue
            failed_at = platform.utc_now()
            delay = retry_after_s(
                fmt,
                max(attempts[i] for i in request.ids) + 1,
                base_s=settings.callback_retry_base_s,
                max_s=settings.callback_retry_max_s,
            )
            given_up = await callbacks_failed(
                db,
                sdk_app_id,
                request.ids,
                error=error,
                next_at=failed_at + timedelta(seconds=delay or 0),
                give_up_created_before=failed_at - timedelta(seconds=settings.callback_give_up_s),
                now=failed_at,
                give_up=delay is None,
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


async def _post(
    platform: Platform, http: GuardedClient, url: str, app_key: str, body: bytes, fmt: CallbackFormat
) -> str | None:
    """POST one signed callback; None when the customer took it, else why not (no numbers, no secrets)."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        **signed_headers(app_key, int(platform.now()), body),
    }
    answer = await http.post(url, body, headers, timeout_s=platform.settings.callback_timeout_s)
    if isinstance(answer, str):
        return answer
    if is_acknowledged(fmt, answer.status, answer.body):
        return None
    if not 200 <= answer.status < 300:  # a 3xx too: redirects are not followed
        return f"HTTP {answer.status}"
    return f"HTTP {answer.status}, expected {expected_answer(fmt)}"


async def sweep(platform: Platform) -> int:
    """Cron: start delivery for every application whose queue head is due (retries whose wait is over,
    and anything an enqueue missed while that application's job was running)."""
    apps = await apps_with_due_callbacks(platform.db, now=platform.utc_now())
    if apps:
        await enqueue_callbacks(platform.queue, apps)
    return len(apps)


async def purge_pull_queue(platform: Platform) -> int:
    """Cron (daily): drop pull-queue items older than the retention period."""
    before = platform.utc_now() - timedelta(days=platform.settings.pull_retention_days)
    purged = await purge_pull_queue_before(platform.db, before=before)
    if purged:
        log.info("purged unpulled reports and replies", purged=purged)
    return purged
