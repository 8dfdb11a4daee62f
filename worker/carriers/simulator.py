"""The carrier simulator: a real HTTP server speaking the carrier wire protocol that `HttpConnector` calls.

It accepts submits (idempotent on ref unless `dedupe` is off, as with a real carrier or SMPP that sends every
submit it gets), answers with carrier ids, and later POSTs delivery reports in batches
to the platform's webhook. Failures, latency and undeliverable numbers are configurable, at start and at
runtime through `POST /control`, so tests and benchmarks can drive every path the worker must handle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
import random
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

MAX_SUBMIT_MESSAGES = 1000
# Report POST retries back off from the first to the last value, doubling: short, but never a busy loop.
_RETRY_BACKOFF_MIN_S = 0.05
_RETRY_BACKOFF_MAX_S = 2.0
_REPORT_POST_TIMEOUT_S = 10.0
# On shutdown, one last attempt to hand over pending reports, bounded so stopping never hangs.
_FINAL_FLUSH_TIMEOUT_S = 2.0


@dataclass
class SimulatorConfig:
    token: str
    # The platform webhook reports are POSTed to; "" means reports are not sent.
    report_url: str = ""
    latency_s: float = 0.0
    # Share of submit calls answered 503.
    failure_rate: float = 0.0
    # Share of accepted messages whose report says UNDELIV.
    undeliverable_rate: float = 0.0
    undeliverable_numbers: frozenset[str] = frozenset()
    # Numbers refused at submit time, per message, with error "REJECTD".
    rejected_numbers: frozenset[str] = frozenset()
    report_delay_s: float = 0.0
    report_batch_size: int = 500
    seed: int | None = None
    # The platform webhook replies (mobile-originated messages) are POSTed to; "" means replies are refused.
    reply_url: str = ""
    # True: a ref submitted again gets the first answer and nothing is sent twice. False: every submit is a
    # new message to send (a new carrier id and report), as a carrier that does not dedupe does.
    dedupe: bool = True


@dataclass
class _Record:
    ref: str
    carrier_id: str | None
    phone: str
    # DELIVRD / UNDELIV (the report to come, or sent) or REJECTD (refused at submit, no report).
    status: str
    error: str
    reported: bool = False


@dataclass(order=True)
class _PendingReport:
    due: float  # loop.time()
    seq: int
    report: dict[str, Any] = field(compare=False)


class Simulator:
    """The simulator's state: message records, pending reports and counters. One per app."""

    def __init__(self, config: SimulatorConfig) -> None:
        # A private copy: /control mutates it, the caller's object stays as given.
        self.config = dataclasses.replace(config)
        self.rng = random.Random(config.seed)
        self.fail_next_submits = 0
        self.records: dict[str, _Record] = {}
        # Every ref of every accepted submit call, in arrival order (duplicates included).
        self.received_refs: list[str] = []
        self.submit_calls = 0
        self.messages_received = 0
        self.duplicates = 0
        # Accepted submits per ref: with dedupe off, a ref seen more than once was sent more than once.
        self.submissions: dict[str, int] = {}
        self.reports_sent = 0
        self._pending: list[_PendingReport] = []  # a heap ordered by due time
        self._seq = 0
        self._issued = 0  # carrier ids handed out
        self._run_id = uuid.uuid4().hex[:8]
        self._wake = asyncio.Event()
        # Serialises sending so /flush and the background flusher never post the same report twice.
        self._send_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._flusher: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_REPORT_POST_TIMEOUT_S))
        self._flusher = asyncio.create_task(self._flush_loop(), name="simulator-report-flusher")

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self._session is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), _FINAL_FLUSH_TIMEOUT_S)
            if self._pending:
                log.warning("simulator stopping with %d reports undelivered", len(self._pending))
            await self._session.close()
            self._session = None

    # -- submit --------------------------------------------------------------------------------------------

    def should_fail_submit(self) -> bool:
        if self.fail_next_submits > 0:
            self.fail_next_submits -= 1
            return True
        return self.rng.random() < self.config.failure_rate

    def accept(self, messages: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Record one submit call's messages and schedule their reports; one result per message."""
        results = []
        for msg in messages:
            ref = msg["ref"]
            self.received_refs.append(ref)
            self.messages_received += 1
            self.submissions[ref] = self.submissions.get(ref, 0) + 1
            record = self.records.get(ref)
            if record is not None:
                self.duplicates += 1
            if record is None or not self.config.dedupe:
                record = self._new_record(msg)
                self.records[ref] = record
            results.append({"ref": ref, "carrier_id": record.carrier_id, "error": record.error})
        return results

    def _new_record(self, msg: dict[str, str]) -> _Record:
        phone = msg["phone"]
        if phone in self.config.rejected_numbers:
            return _Record(msg["ref"], None, phone, "REJECTD", "REJECTD")
        self._issued += 1
        carrier_id = f"SIM{self._run_id}{self._issued:010d}"
        undeliverable = phone in self.config.undeliverable_numbers or (
            self.rng.random() < self.config.undeliverable_rate
        )
        record = _Record(msg["ref"], carrier_id, phone, "UNDELIV" if undeliverable else "DELIVRD", "")
        if self.config.report_url:
            self._schedule_report(record)
        return record

    def _schedule_report(self, record: _Record) -> None:
        assert record.carrier_id is not None
        delay = self.config.report_delay_s
        delivered = record.status == "DELIVRD"
        report = {
            "ref": record.ref,
            "carrier_id": record.carrier_id,
            "status": record.status,
            "delivered": delivered,
            "error": "" if delivered else record.status,
            "report_time": time.time() + delay,
        }
        self._seq += 1
        due = asyncio.get_running_loop().time() + delay
        heapq.heappush(self._pending, _PendingReport(due, self._seq, report))
        self._wake.set()

    # -- reports -------------------------------------------------------------------------------------------

    @property
    def reports_pending(self) -> int:
        return len(self._pending)

    def wake(self) -> None:
        self._wake.set()

    async def flush(self) -> int:
        """Send every pending report now, due or not; return how many the platform accepted."""
        sent, _ok = await self._send(due_before=float("inf"))
        return sent

    async def _flush_loop(self) -> None:
        backoff = _RETRY_BACKOFF_MIN_S
        while True:
            wait_s = self._next_wait()
            if wait_s is None or wait_s > 0:
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait_s)
                continue
            _sent, ok = await self._send(due_before=asyncio.get_running_loop().time())
            if ok:
                backoff = _RETRY_BACKOFF_MIN_S
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _RETRY_BACKOFF_MAX_S)

    def _next_wait(self) -> float | None:
        """Seconds until the next report is due; None when there is nothing to send (wait for a wake)."""
        if not self._pending or not self.config.report_url:
            return None
        return self._pending[0].due - asyncio.get_running_loop().time()

    async def _send(self, due_before: float) -> tuple[int, bool]:
        """POST due reports in batches; on a failed POST keep its batch pending and stop. -> (sent, ok)."""
        sent = 0
        async with self._send_lock:
            while self._pending and self._pending[0].due <= due_before:
                batch: list[_PendingReport] = []
                while (
                    self._pending
                    and self._pending[0].due <= due_before
                    and len(batch) < self.config.report_batch_size
                ):
                    batch.append(heapq.heappop(self._pending))
                ok = False
                try:
                    ok = await self._post_reports([p.report for p in batch])
                finally:
                    # Also on cancellation (shutdown mid-POST): a report is dropped only once accepted.
                    if not ok:
                        for pending in batch:
                            heapq.heappush(self._pending, pending)
                if not ok:
                    return sent, False
                for pending in batch:
                    self.records[pending.report["ref"]].reported = True
                sent += len(batch)
                self.reports_sent += len(batch)
        return sent, True

    async def _post_reports(self, reports: list[dict[str, Any]]) -> bool:
        url = self.config.report_url
        if self._session is None or not url:
            return False
        headers = {"Authorization": f"Bearer {self.config.token}"}
        try:
            async with self._session.post(url, json={"reports": reports}, headers=headers) as resp:
                await resp.read()
                if resp.status == 200:
                    return True
                log.warning("report POST answered %d; %d reports kept for retry", resp.status, len(reports))
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "report POST failed (%s); %d reports kept for retry", type(exc).__name__, len(reports)
            )
        return False

    # -- inspection ----------------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        return {
            "submit_calls": self.submit_calls,
            "messages_received": self.messages_received,
            "unique_messages": len(self.records),
            "duplicates": self.duplicates,
            # Refs accepted more than once, and the most submits of one ref: with dedupe off, each such ref
            # went out to the subscriber more than once.
            "refs_submitted_again": sum(1 for n in self.submissions.values() if n > 1),
            "max_submissions_per_ref": max(self.submissions.values(), default=0),
            "reports_sent": self.reports_sent,
            "reports_pending": self.reports_pending,
        }

    def config_view(self) -> dict[str, Any]:
        """The current configuration, without the token."""
        view = dataclasses.asdict(self.config)
        del view["token"]
        for key in ("undeliverable_numbers", "rejected_numbers"):
            view[key] = sorted(view[key])
        view["fail_next_submits"] = self.fail_next_submits
        return view


SIMULATOR = web.AppKey("simulator", Simulator)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def _auth_and_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    expected = f"Bearer {request.app[SIMULATOR].config.token}"
    if not secrets.compare_digest(request.headers.get("Authorization", "").encode(), expected.encode()):
        return _error(401, "unauthorized")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        return _error(exc.status, exc.reason)


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(reason="body is not valid JSON") from None


def _parse_submit(body: Any) -> list[dict[str, str]]:
    """Validate a submit body; raise 400 with the reason. Error texts never echo phone numbers."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise web.HTTPBadRequest(reason='expected {"messages": [...]}')
    items: list[Any] = body["messages"]
    if len(items) > MAX_SUBMIT_MESSAGES:
        raise web.HTTPBadRequest(reason=f"at most {MAX_SUBMIT_MESSAGES} messages per submit")
    messages = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise web.HTTPBadRequest(reason=f"messages[{i}] is not an object")
        for key in ("ref", "phone", "content", "sender_id"):
            if not isinstance(item.get(key, ""), str):
                raise web.HTTPBadRequest(reason=f"messages[{i}].{key} must be a string")
        if not item.get("ref") or not item.get("phone"):
            raise web.HTTPBadRequest(reason=f"messages[{i}] needs a non-empty ref and phone")
        messages.append({key: item.get(key, "") for key in ("ref", "phone", "content", "sender_id")})
    return messages


async def _submit(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR]
    messages = _parse_submit(await _json_body(request))
    sim.submit_calls += 1
    if sim.should_fail_submit():
        await asyncio.sleep(sim.config.latency_s)
        return _error(503, "carrier unavailable")
    # Record before the latency: a client that times out meanwhile still got its messages accepted,
    # as with a real carrier, so its retry exercises idempotency.
    results = sim.accept(messages)
    await asyncio.sleep(sim.config.latency_s)
    return web.json_response({"results": results})


async def _replies(request: web.Request) -> web.Response:
    """Inject replies as if subscribers had sent them: forwarded to the platform at once. The answer says
    whether the platform took them, so an injector never believes a reply arrived when it did not."""
    sim = request.app[SIMULATOR]
    body = await _json_body(request)
    items = body.get("replies") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or len(items) > MAX_SUBMIT_MESSAGES:
        return _error(400, f"replies must be a list of 1 to {MAX_SUBMIT_MESSAGES} objects")
    if not all(isinstance(i, dict) and isinstance(i.get("phone"), str) for i in items):
        return _error(400, "each reply needs a phone")
    url = sim.config.reply_url
    if sim._session is None or not url:
        return _error(503, "no reply_url configured")
    now = time.time()
    replies = [
        {"phone": i["phone"], "text": str(i.get("text", "")), "sign": str(i.get("sign", "")),
         "extend": str(i.get("extend", "")), "time": float(i.get("time", now))}
        for i in items
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {sim.config.token}"}
    try:
        async with sim._session.post(url, json={"replies": replies}, headers=headers) as resp:
            if resp.status != 200:
                return _error(502, f"platform answered {resp.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return _error(502, f"platform unreachable: {type(exc).__name__}")
    return web.json_response({"forwarded": len(replies)})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIMULATOR].stats())


async def _messages(request: web.Request) -> web.Response:
    # Only the last 4 digits: this listing ends up in test output and operator terminals.
    records = request.app[SIMULATOR].records.values()
    return web.json_response(
        [
            {
                "ref": r.ref,
                "carrier_id": r.carrier_id,
                "phone_last4": r.phone[-4:],
                "status": r.status,
                "error": r.error,
                "reported": r.reported,
            }
            for r in records
        ]
    )


_NUMBER_SETS = ("undeliverable_numbers", "rejected_numbers")
_FLOATS = ("latency_s", "failure_rate", "undeliverable_rate", "report_delay_s")


async def _control(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR]
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="expected a JSON object")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key in _FLOATS and isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            changes[key] = float(value)
        elif key in _NUMBER_SETS and isinstance(value, list) and all(isinstance(v, str) for v in value):
            changes[key] = frozenset(value)
        elif (
            (key in ("report_url", "reply_url") and isinstance(value, str))
            or (key == "dedupe" and isinstance(value, bool))
            or (key in ("report_batch_size", "fail_next_submits") and type(value) is int and value >= 0)
        ):
            changes[key] = value
        else:
            raise web.HTTPBadRequest(reason=f"unknown control or bad value: {key}")
    if changes.get("report_batch_size") == 0:
        raise web.HTTPBadRequest(reason="report_batch_size must be positive")
    sim.fail_next_submits = changes.pop("fail_next_submits", sim.fail_next_submits)
    sim.config = dataclasses.replace(sim.config, **changes)
    sim.wake()  # a new report_url may unblock pending reports
    return web.json_response(sim.config_view())


async def _flush(request: web.Request) -> web.Response:
    sent = await request.app[SIMULATOR].flush()
    return web.json_response({"sent": sent, "pending": request.app[SIMULATOR].reports_pending})


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    # Owns the report session and the flusher task; cleanup runs only if start succeeded.
    sim = app[SIMULATOR]
    await sim.start()
    yield
    await sim.stop()


def create_simulator_app(config: SimulatorConfig) -> web.Application:
    app = web.Application(middlewares=[_auth_and_errors], client_max_size=8 * 1024 * 1024)
    app[SIMULATOR] = Simulator(config)
    app.router.add_post("/submit", _submit)
    app.router.add_get("/stats", _stats)
    app.router.add_get("/messages", _messages)
    app.router.add_post("/control", _control)
    app.router.add_post("/flush", _flush)
    app.router.add_post("/replies", _replies)
    app.cleanup_ctx.append(_lifecycle)
    return app


@asynccontextmanager
async def serve(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, *, shutdown_timeout: float = 5.0
) -> AsyncIterator[str]:
    """Serve `app` while the block runs; yield its base URL (port 0 picks a free port)."""
    # The server keeps idle connections longer than clients do (90 s, rule C1), so the client side closes
    # them and never reuses a socket the server is closing at the same moment.
    runner = web.AppRunner(app, keepalive_timeout=120.0, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


async def run_simulator(config: SimulatorConfig, host: str, port: int) -> None:
    """Serve the simulator until cancelled."""
    async with serve(create_simulator_app(config), host, port) as url:
        log.info("carrier simulator listening on %s", url)
        await asyncio.Event().wait()
