"""Prometheus metrics: every metric object the API and the workers update, and the scrape-time readings of
the arq queues. One registry per process (prometheus_client's default): the API serves it at GET /metrics,
each worker process on its own port (`SMS_WORKER_METRICS_PORT`, see cli/processes.py).

Updating a metric is an in-memory increment (about a microsecond): nothing here touches Redis or Postgres on
the request or job path. Only the queue gauges read Redis, once per scrape.

Label sets are bounded on purpose, so a series count never grows with traffic:
- `action`: an API action this platform knows, else "other" (the header is the client's to choose);
- `code`: the platform's error codes (an enum); `limit`: the per-number limit codes (an enum);
- `country`: ISO 3166 codes, about 250 at most ("DEF" when a number could not be placed);
- `job`, `connector`, `kind`, `result`, `queue`, `event`: fixed sets named in the code.
Never a phone number, and no application or account id either: an instance may hold thousands of
applications, which would multiply every series by that many; per-application numbers are in the statistics
(`smsctl stats`, SendStatusStatistics), which are exact and kept in Postgres."""

from __future__ import annotations

import functools
import math
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable
from typing import ParamSpec, TypeVar
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.exposition import choose_encoder
from redis.asyncio import Redis

from core.domain.phone import UNKNOWN_ISO
from core.infra.queue import CALLBACK_QUEUE

log = structlog.get_logger("core.infra.metrics")
SEND_QUEUE = "arq:queue"  # arq's default queue: send batches, alarms, cron jobs
QUEUES = (SEND_QUEUE, CALLBACK_QUEUE)

# Intake answers in milliseconds; carrier calls and jobs take longer.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

API_REQUESTS = Counter(
    "sms_api_requests", "Customer API requests, by action and the answer's code.", ["action", "code"]
)
API_REQUEST_SECONDS = Histogram(
    "sms_api_request_seconds",
    "Customer API request latency (signature check to answer), by action.",
    ["action"],
    buckets=REQUEST_BUCKETS,
)


def observe_request(label: str, code: object, started: float) -> float:
    """Count a customer API request under `label` (an action the door serves, or its "other") and the code
    it was answered with, and its duration since `started` (a time.perf_counter reading); the duration in ms,
    for the door's log line."""
    elapsed = time.perf_counter() - started
    API_REQUESTS.labels(label, str(code)).inc()
    API_REQUEST_SECONDS.labels(label).observe(elapsed)
    return round(elapsed * 1000, 2)


MESSAGES = Counter(
    "sms_messages",
    "Messages by event: accepted or refused at intake, sent (the carrier took it), delivered or failed "
    "(a carrier report, a carrier refusal or a send given up), by country.",
    ["event", "country"],
)
CARRIER_CALL_SECONDS = Histogram(
    "sms_carrier_call_seconds",
    "Carrier submit calls (up to 200 messages each), by connector.",
    ["connector"],
    buckets=CALL_BUCKETS,
)
CARRIER_ERRORS = Counter(
    "sms_carrier_errors",
    "Carrier submit calls that failed whole: transient (retried) or permanent, by connector.",
    ["connector", "kind"],
)
GATE_REFUSALS = Counter(
    "sms_gate_refusals",
    "Numbers refused by a per-number limit (frequency, caps, blocklist, countries), by the limit's code.",
    ["limit"],
)
JOBS = Counter("sms_jobs", "Worker jobs by name and result: ok, retry, error, cancelled.", ["job", "result"])
JOB_SECONDS = Histogram("sms_job_seconds", "Worker job durations, by name.", ["job"], buckets=JOB_BUCKETS)
CALLBACKS = Counter(
    "sms_callbacks",
    "Customer callback items: delivered, failed (to be retried), given up, dropped (URL removed).",
    ["result"],
)
CALLBACK_REQUESTS = Counter(
    "sms_callback_requests", "Customer callback HTTP requests, by result: ok or failed.", ["result"]
)
BILLING_RUNS = Counter(
    "sms_billing_runs",
    "Billing runs (daily deduction, arrears watch), by result: ok or error.",
    ["kind", "result"],
)
QUEUE_DEPTH = Gauge(
    "sms_queue_depth", "Jobs in the arq queue (due and deferred), read at scrape time.", ["queue"]
)
QUEUE_LAG = Gauge(
    "sms_queue_lag_seconds",
    "How long the oldest due job has waited in the arq queue (0 when none waits), read at scrape time.",
    ["queue"],
)


def country(iso_code: str) -> str:
    """The country label: the ISO code as the platform stores it, UNKNOWN_ISO when there is none."""
    return iso_code if iso_code.isascii() and iso_code.isalpha() and len(iso_code) <= 3 else UNKNOWN_ISO


def count_messages(event: str, iso_codes: Iterable[str]) -> None:
    """Count messages of one event, one increment per country (not per message)."""
    for iso, n in Tally(country(i) for i in iso_codes).items():
        MESSAGES.labels(event, iso).inc(n)


def count_refusals(codes: Iterable[str]) -> None:
    for code, n in Tally(codes).items():
        GATE_REFUSALS.labels(code).inc(n)


P = ParamSpec("P")
R = TypeVar("R")


def billing_run(kind: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Count each run of a billing step by result (ok, or error when it raises)."""

    def decorate(step: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(step)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                result = await step(*args, **kwargs)
            except Exception:
                BILLING_RUNS.labels(kind, "error").inc()
                raise
            BILLING_RUNS.labels(kind, "ok").inc()
            return result

        return run

    return decorate


async def read_queues(redis: Redis, *, now: float | None = None) -> None:
    """Set the queue gauges from Redis in ONE round trip: each queue's size, and the wait of its oldest due
    job (arq scores a job with the time it may run, in ms; a deferred retry scores in the future). Redis
    unreachable: the gauges read NaN, so a stale value never looks current."""
    now_ms = (time.time() if now is None else now) * 1000
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                pipe.zcard(queue)
                pipe.zrange(queue, 0, 0, withscores=True)
            replies = await pipe.execute()
    except Exception:
        for queue in QUEUES:
            QUEUE_DEPTH.labels(queue).set(math.nan)
            QUEUE_LAG.labels(queue).set(math.nan)
        raise
    for i, queue in enumerate(QUEUES):
        depth, oldest = replies[2 * i], replies[2 * i + 1]
        QUEUE_DEPTH.labels(queue).set(int(depth))
        QUEUE_LAG.labels(queue).set(max(now_ms - float(oldest[0][1]), 0.0) / 1000 if oldest else 0.0)


def serve_metrics(port: int, host: str) -> WSGIServer | None:
    """Serve this process's metrics at http://host:port/metrics from a daemon thread (port 0: off), so a
    scrape never waits on the event loop. The server lives as long as the process; `shutdown()` stops it."""
    if port <= 0:
        return None
    server, _thread = start_http_server(port, addr=host)
    log.info("metrics endpoint", url=f"http://{host}:{server.server_address[1]}/metrics")
    return server


def exposition(accept: str = "") -> tuple[bytes, str]:
    """This process's metrics and their content type, in the format the scraper's Accept header asks for
    (the Prometheus text format by default, OpenMetrics when asked)."""
    encode, content_type = choose_encoder(accept)
    return encode(REGISTRY), content_type
