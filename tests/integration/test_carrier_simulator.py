"""The carrier simulator over real HTTP: submits, idempotency, batched reports and runtime controls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from worker.carriers.simulator import (
    SIMULATOR,
    Simulator,
    SimulatorConfig,
    create_simulator_app,
    serve,
)

TOKEN = "sim-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT_S = 5.0


class ReportSink:
    """The platform's report webhook, as a real aiohttp app: records every POST, answers queued statuses
    (then 200), and lets a test wait until a number of reports has been accepted."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.accepted: list[dict[str, Any]] = []  # reports from POSTs answered 200
        self.posts: list[tuple[int, int]] = []  # (status answered, reports in the body), every POST
        self.auth: list[str] = []
        self._changed = asyncio.Condition()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/reports", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        reports = (await request.json())["reports"]
        status = self.statuses.pop(0) if self.statuses else 200
        self.auth.append(request.headers.get("Authorization", ""))
        async with self._changed:
            self.posts.append((status, len(reports)))
            if status == 200:
                self.accepted.extend(reports)
            self._changed.notify_all()
        return web.json_response({}, status=status)

    async def wait_for_reports(self, count: int) -> list[dict[str, Any]]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.accepted) >= count), WAIT_S)
        return self.accepted


class SimClient:
    """A running simulator plus an HTTP session to talk to it."""

    def __init__(self, url: str, sim: Simulator, http: aiohttp.ClientSession) -> None:
        self.url, self.sim, self.http = url, sim, http

    async def call(self, method: str, path: str, body: Any = None, token: str = TOKEN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()

    async def submit(self, *phones: str, prefix: str = "r") -> list[dict[str, Any]]:
        messages = [
            {"ref": f"{prefix}{i}", "phone": p, "content": "hi", "sender_id": "S"}
            for i, p in enumerate(phones)
        ]
        status, body = await self.call("POST", "/submit", {"messages": messages})
        assert status == 200, body
        results: list[dict[str, Any]] = body["results"]
        return results

    async def stats(self) -> dict[str, int]:
        _status, body = await self.call("GET", "/stats")
        stats: dict[str, int] = body
        return stats


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[SimClient]:
    app = create_simulator_app(SimulatorConfig(token=TOKEN, **overrides))
    async with serve(app) as url, aiohttp.ClientSession() as http:
        yield SimClient(url, app[SIMULATOR], http)


@pytest.fixture
async def sink() -> AsyncIterator[tuple[ReportSink, str]]:
    receiver = ReportSink()
    async with serve(receiver.app()) as url:
        yield receiver, url + "/reports"


PHONES = ("+8613800000001", "+8613800000002", "+8613800000003")


async def test_submit_returns_one_unique_carrier_id_per_message_in_order() -> None:
    async with running() as c:
        results = await c.submit(*PHONES)
        assert [r["ref"] for r in results] == ["r0", "r1", "r2"]
        ids = [r["carrier_id"] for r in results]
        assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == 3
        assert all(r["error"] == "" for r in results)
        assert await c.stats() == {
            "submit_calls": 1,
            "messages_received": 3,
            "unique_messages": 3,
            "duplicates": 0,
            "refs_submitted_again": 0,
            "max_submissions_per_ref": 1,
            "reports_sent": 0,
            "reports_pending": 0,  # no report_url: reports are not sent
        }


async def test_resubmitting_a_ref_returns_the_same_carrier_id_counts_a_duplicate_and_sends_no_second_report(
    sink: tuple[ReportSink, str],
) -> None:
    receiver, report_url = sink
    async with running(report_url=report_url) as c:
        first = await c.submit(*PHONES)
        await receiver.wait_for_reports(3)
        second = await c.submit(*PHONES)
        assert second == first
        assert c.sim.received_refs == ["r0", "r1", "r2", "r0", "r1", "r2"]
        stats = await c.stats()
        assert stats["unique_messages"] == 3 and stats["duplicates"] == 3 and stats["messages_received"] == 6
        # Nothing new was scheduled, so a flush finds nothing to send.
        assert (await c.call("POST", "/flush"))[1] == {"sent": 0, "pending": 0}
        assert len(receiver.accepted) == 3 and (await c.stats())["reports_sent"] == 3


async def test_with_dedupe_off_a_resubmitted_ref_is_sent_again_and_counted(
    sink: tuple[ReportSink, str],
) -> None:
    """The mode of a carrier that does not dedupe on our serial (issue 14, finding 5): a second submit of a
    ref is a second message (new carrier id, its own report), and the counts per ref show it."""
    receiver, url = sink
    async with running(report_url=url, dedupe=False) as c:
        first = await c.submit(*PHONES)
        assert (await c.stats())["max_submissions_per_ref"] == 1
        second = await c.submit(PHONES[0])
        assert second[0]["carrier_id"] != first[0]["carrier_id"]
        await receiver.wait_for_reports(4)
        stats = await c.stats()
        assert (stats["refs_submitted_again"], stats["max_submissions_per_ref"]) == (1, 2)
        assert stats["reports_sent"] == 4 and stats["unique_messages"] == 3
        assert (await c.call("POST", "/control", {"dedupe": True}))[1]["dedupe"] is True
        assert (await c.submit(PHONES[0]))[0]["carrier_id"] == second[0]["carrier_id"]


async def test_reports_due_together_are_posted_in_batches_of_at_most_report_batch_size(
    sink: tuple[ReportSink, str],
) -> None:
    receiver, report_url = sink
    async with running(report_url=report_url, report_batch_size=3) as c:
        phones = [f"+86138000001{i:02d}" for i in range(7)]
        results = await c.submit(*phones)
        reports = await receiver.wait_for_reports(7)
        assert receiver.posts == [(200, 3), (200, 3), (200, 1)]
        by_ref = {r["ref"]: r for r in reports}
        assert set(by_ref) == {r["ref"] for r in results}
        for result in results:
            report = by_ref[result["ref"]]
            assert report["carrier_id"] == result["carrier_id"]
            assert report["status"] == "DELIVRD" and report["delivered"] is True and report["error"] == ""
            assert isinstance(report["report_time"], float)
        assert set(receiver.auth) == {f"Bearer {TOKEN}"}
        assert (await c.stats())["reports_sent"] == 7


async def test_undeliverable_numbers_get_undeliv_reports_and_rejected_numbers_a_per_message_error(
    sink: tuple[ReportSink, str],
) -> None:
    receiver, report_url = sink
    ok, undeliverable, rejected = PHONES
    config = {"undeliverable_numbers": frozenset({undeliverable}), "rejected_numbers": frozenset({rejected})}
    async with running(report_url=report_url, **config) as c:
        results = await c.submit(ok, undeliverable, rejected)
        assert results[2] == {"ref": "r2", "carrier_id": None, "error": "REJECTD"}
        assert results[0]["carrier_id"] and results[1]["carrier_id"]
        reports = {r["ref"]: r for r in await receiver.wait_for_reports(2)}
        assert reports["r1"]["status"] == "UNDELIV" and reports["r1"]["delivered"] is False
        assert reports["r1"]["error"] == "UNDELIV"
        assert reports["r0"]["status"] == "DELIVRD"
        assert set(reports) == {"r0", "r1"}  # a refused message gets no report
        # A resubmitted refusal stays refused, with the same error.
        assert (await c.submit(ok, undeliverable, rejected))[2]["error"] == "REJECTD"


async def test_a_failed_report_post_keeps_the_reports_and_retries_until_accepted() -> None:
    receiver = ReportSink(statuses=[500, 500])
    async with serve(receiver.app()) as sink_url, running(report_url=sink_url + "/reports") as c:
        await c.submit(*PHONES)
        reports = await receiver.wait_for_reports(3)
        assert receiver.posts == [(500, 3), (500, 3), (200, 3)]
        assert sorted(r["ref"] for r in reports) == ["r0", "r1", "r2"]
        stats = await c.stats()
        assert stats["reports_sent"] == 3 and stats["reports_pending"] == 0


async def test_an_unreachable_report_url_keeps_reports_pending_until_it_is_fixed(
    sink: tuple[ReportSink, str],
) -> None:
    receiver, report_url = sink
    # Port 1 on loopback refuses connections.
    async with running(report_url="http://127.0.0.1:1/reports") as c:
        await c.submit(*PHONES)
        status, flushed = await c.call("POST", "/flush")
        assert status == 200 and flushed == {"sent": 0, "pending": 3}
        assert (await c.call("POST", "/control", {"report_url": report_url}))[0] == 200
        await receiver.wait_for_reports(3)


async def test_flush_sends_reports_that_are_not_due_yet(sink: tuple[ReportSink, str]) -> None:
    receiver, report_url = sink
    async with running(report_url=report_url, report_delay_s=3600) as c:
        await c.submit(*PHONES)
        assert (await c.stats())["reports_pending"] == 3
        assert receiver.posts == []
        status, body = await c.call("POST", "/flush")
        assert (status, body) == (200, {"sent": 3, "pending": 0})
        assert receiver.posts == [(200, 3)]


@pytest.mark.parametrize("token", ["wrong", ""])
@pytest.mark.parametrize(("method", "path"), [("POST", "/submit"), ("GET", "/stats"), ("POST", "/control")])
async def test_a_wrong_or_missing_token_is_answered_401(token: str, method: str, path: str) -> None:
    async with running() as c:
        status, body = await c.call(method, path, {"messages": []}, token=token)
        assert (status, body) == (401, {"error": "unauthorized"})
        assert (await c.stats())["submit_calls"] == 0


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"msgs": []},
        {"messages": "x"},
        {"messages": [1]},
        {"messages": [{"ref": "", "phone": "+8613800000001", "content": "x"}]},
        {"messages": [{"ref": "a", "phone": 8613800000001, "content": "x"}]},
        {"messages": [{"ref": "a", "phone": "+8613800000001", "content": "x"}] * 1001},
    ],
)
async def test_a_malformed_submit_is_answered_400_with_a_reason(body: Any) -> None:
    async with running() as c:
        status, answer = await c.call("POST", "/submit", body)
        assert status == 400 and isinstance(answer["error"], str) and answer["error"]
        assert "8613800000001" not in answer["error"]
        assert c.sim.received_refs == []


async def test_fail_next_submits_answers_503_that_many_times_then_accepts() -> None:
    async with running() as c:
        status, config = await c.call("POST", "/control", {"fail_next_submits": 2})
        assert status == 200 and config["fail_next_submits"] == 2
        message = {"messages": [{"ref": "a", "phone": PHONES[0], "content": "x", "sender_id": ""}]}
        statuses = [(await c.call("POST", "/submit", message))[0] for _ in range(3)]
        assert statuses == [503, 503, 200]
        stats = await c.stats()
        assert stats["submit_calls"] == 3 and stats["unique_messages"] == 1
        assert c.sim.received_refs == ["a"]


async def test_control_updates_the_config_at_runtime_and_never_shows_the_token() -> None:
    async with running() as c:
        status, config = await c.call(
            "POST",
            "/control",
            {"latency_s": 0.01, "undeliverable_numbers": [PHONES[0]], "report_url": "http://x/r"},
        )
        assert status == 200
        assert config["latency_s"] == 0.01 and config["undeliverable_numbers"] == [PHONES[0]]
        assert config["report_url"] == "http://x/r" and "token" not in config
        assert c.sim.config.undeliverable_numbers == frozenset({PHONES[0]})
        assert (await c.call("POST", "/control", {"latency_s": "slow"}))[0] == 400
        assert (await c.call("POST", "/control", {"no_such_knob": 1}))[0] == 400


async def test_messages_listing_shows_only_the_last_four_digits() -> None:
    async with running(rejected_numbers=frozenset({PHONES[1]})) as c:
        await c.submit(PHONES[0], PHONES[1])
        status, listing = await c.call("GET", "/messages")
        assert status == 200
        assert [(m["ref"], m["phone_last4"], m["status"]) for m in listing] == [
            ("r0", "0001", "DELIVRD"),
            ("r1", "0002", "REJECTD"),
        ]
        assert PHONES[0] not in str(listing)


async def test_the_same_seed_gives_the_same_undeliverable_messages() -> None:
    phones = [f"+86138000002{i:02d}" for i in range(40)]

    async def statuses() -> list[str]:
        async with running(undeliverable_rate=0.5, seed=7) as c:
            await c.submit(*phones)
            return [r.status for r in c.sim.records.values()]

    first, second = await statuses(), await statuses()
    assert first == second and {"DELIVRD", "UNDELIV"} == set(first)


async def test_stopping_the_simulator_hands_over_pending_reports(sink: tuple[ReportSink, str]) -> None:
    receiver, report_url = sink
    async with running(report_url=report_url, report_delay_s=3600) as c:
        await c.submit(*PHONES)
    assert len(receiver.accepted) == 3
