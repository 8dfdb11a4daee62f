"""The process supervisor with real processes: a child that crashes is restarted (and the restart logged),
SIGTERM/SIGINT to the supervisor reach the children and they stop within the grace period, a child that ignores
SIGTERM is SIGKILLed at the deadline, and `smsctl worker --processes 2` runs two workers and stops cleanly.

The children are tiny `python -c` scripts that leave marker files (`<pid>.started` once their signal
handlers are in place, `<pid>.stopped` when they handle the stop), so every wait is on an observable fact."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from redis.asyncio import Redis

from cli.supervisor import RestartBackoff
from core.infra.queue import HEALTH_PREFIX
from core.infra.settings import (
    SECRET_SETTINGS,
    Settings,
    environment_with,
    secrets_environment,
    with_secrets,
)
from tests.flow.harness import running_platform, worker_environment
from tests.keyring import CHILD_MASTER_KEY

# A child that stops on SIGTERM/SIGINT (exit 0). Given a second argument, its first run crashes with exit 3.
WELL_BEHAVED = """
import os, pathlib, signal, sys
d = pathlib.Path(sys.argv[1])
if len(sys.argv) > 2 and not (d / "crashed").exists():
    (d / "crashed").touch()
    sys.exit(3)
def stop(*_):
    (d / f"{os.getpid()}.stopped").touch()
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
(d / f"{os.getpid()}.started").touch()
while True:
    signal.pause()
"""
# A child that ignores SIGTERM.
STUBBORN = """
import os, pathlib, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
(pathlib.Path(sys.argv[1]) / f"{os.getpid()}.started").touch()
while True:
    signal.pause()
"""
# A child that cannot start: it says why on stderr, as `smsctl api` does when its port is taken.
BROKEN = """
import pathlib, sys, os
(pathlib.Path(sys.argv[1]) / f"{os.getpid()}.started").touch()
print("some start-up chatter", file=sys.stderr)
print("Error: port 8080 on 127.0.0.1 (SMS_API_PORT) is already in use", file=sys.stderr)
sys.exit(1)
"""
# The supervisor itself, run as its own process so that signals reach it as they would in production.
SUPERVISOR = """
import json, sys
from cli.supervisor import ChildSpec, RestartBackoff, Supervisor
from core.infra.logging import configure_logging
configure_logging("INFO", json=True)
config = json.loads(sys.argv[1])
children = [ChildSpec(name, tuple(argv)) for name, argv in config["children"].items()]
backoff = RestartBackoff(initial_s=0.05, max_s=1.0)
sys.exit(Supervisor(children, grace_s=config["grace_s"], restart_backoff=backoff).run())
"""
TIMEOUT_S = 15.0
# A production process refuses development secrets.
TEST_SECRETS = with_secrets(
    Settings(), {name: f"test-{name}" for name in SECRET_SETTINGS} | {"master_key": CHILD_MASTER_KEY}
)


@dataclass
class Running:
    proc: asyncio.subprocess.Process
    markers: Path
    stderr: list[str]

    def pids(self, state: str) -> set[int]:
        return {int(p.name.split(".")[0]) for p in self.markers.glob(f"*.{state}")}

    def log_events(self) -> list[dict[str, Any]]:
        events = []
        for line in self.stderr:
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
        return events


async def _wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _collect(stream: asyncio.StreamReader, into: list[str]) -> None:
    async for line in stream:
        into.append(line.decode())


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@contextlib.asynccontextmanager
async def supervising(children: dict[str, str], grace_s: float, *extra: str) -> AsyncIterator[Running]:
    """The supervisor running `children` (name → script; each gets the marker dir and `extra` arguments)."""
    with tempfile.TemporaryDirectory(prefix="smssup") as tmp:
        markers = Path(tmp)
        config = {
            "grace_s": grace_s,
            "children": {
                name: [sys.executable, "-c", s, str(markers), *extra] for name, s in children.items()
            },
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SUPERVISOR, json.dumps(config), stderr=asyncio.subprocess.PIPE
        )
        assert proc.stderr is not None
        stderr: list[str] = []
        reader = asyncio.create_task(_collect(proc.stderr, stderr))
        running = Running(proc, markers, stderr)
        try:
            yield running
            await asyncio.wait_for(reader, TIMEOUT_S)  # EOF: the supervisor and every child have exited
        finally:
            reader.cancel()
            for pid in (proc.pid, *running.pids("started")):  # never leave a process behind a failed test
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()


async def test_a_child_that_crashes_is_restarted_after_a_backoff_and_the_restart_is_logged() -> None:
    async with supervising({"flaky": WELL_BEHAVED}, 5.0, "crash-first") as sup:
        await _wait_until(lambda: len(sup.pids("started")) == 1, "the restarted child")
        assert (sup.markers / "crashed").exists()
        sup.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(sup.proc.wait(), TIMEOUT_S) == 0
    restarts = [e for e in sup.log_events() if e.get("event") == "child exited unexpectedly; restarting"]
    assert len(restarts) == 1
    assert restarts[0]["child"] == "flaky"
    assert restarts[0]["exit_code"] == 3 and restarts[0]["reason"] == "exit code 3"
    assert restarts[0]["backoff_s"] == 0.05 and restarts[0]["level"] == "warning"


async def test_a_child_that_keeps_failing_at_start_is_given_up_with_its_cause_and_the_rest_stopped() -> None:
    """Finding 7 (issue 14): no endless restart loop. After max_start_failures quick failures in a row the
    supervisor logs the child's own last line as the cause, stops the other children and exits 1."""
    async with supervising({"broken": BROKEN, "fine": WELL_BEHAVED}, 5.0) as sup:
        assert await asyncio.wait_for(sup.proc.wait(), TIMEOUT_S) == 1
        fine = {pid for pid in sup.pids("started") if (sup.markers / f"{pid}.stopped").exists()}
        assert len(fine) == 1 and not any(_alive(pid) for pid in sup.pids("started"))
        assert len(sup.pids("started")) == RestartBackoff().max_start_failures + 1  # 5 tries, the fine one
    events = sup.log_events()
    gave_up = [e for e in events if e.get("event") == "child keeps failing at start; giving up"]
    assert len(gave_up) == 1 and gave_up[0]["level"] == "error"
    assert gave_up[0]["child"] == "broken" and gave_up[0]["failures"] == 5
    assert gave_up[0]["cause"] == "Error: port 8080 on 127.0.0.1 (SMS_API_PORT) is already in use"
    restarts = [e for e in events if e.get("event") == "child exited unexpectedly; restarting"]
    assert len(restarts) == 4 and all("SMS_API_PORT" in e["cause"] for e in restarts)
    # The children's own lines pass through whole.
    assert sum(line == "some start-up chatter\n" for line in sup.stderr) == 5


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_reaches_every_child_and_they_exit_within_the_grace_period(
    signum: signal.Signals,
) -> None:
    grace_s = 10.0
    async with supervising({"a": WELL_BEHAVED, "b": WELL_BEHAVED}, grace_s=grace_s) as sup:
        await _wait_until(lambda: len(sup.pids("started")) == 2, "both children")
        children = sup.pids("started")
        sent = time.monotonic()
        sup.proc.send_signal(signum)
        assert await asyncio.wait_for(sup.proc.wait(), TIMEOUT_S) == 0
        assert time.monotonic() - sent < grace_s
        assert sup.pids("stopped") == children  # each handled the forwarded signal itself
        assert not any(_alive(pid) for pid in children)
    events = [e.get("event") for e in sup.log_events()]
    assert "child exited unexpectedly; restarting" not in events  # a stop is not a crash
    assert not any("SIGKILL" in str(e) for e in events)


async def test_a_child_that_ignores_sigterm_is_sigkilled_after_the_grace_period() -> None:
    grace_s = 0.5
    async with supervising({"polite": WELL_BEHAVED, "stubborn": STUBBORN}, grace_s=grace_s) as sup:
        await _wait_until(lambda: len(sup.pids("started")) == 2, "both children")
        children = sup.pids("started")
        sent = time.monotonic()
        sup.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(sup.proc.wait(), TIMEOUT_S) == 1  # not a clean stop
        assert time.monotonic() - sent >= grace_s
        assert len(sup.pids("stopped")) == 1  # the polite one stopped by itself
        assert not any(_alive(pid) for pid in children)
    killed = [e for e in sup.log_events() if "SIGKILL" in e.get("event", "")]
    assert [e["child"] for e in killed] == ["stubborn"]
    stopped = next(e for e in sup.log_events() if e.get("event") == "supervisor stopped")
    assert stopped["unclean"] == ["stubborn"]


async def test_smsctl_worker_with_two_processes_runs_two_workers_and_stops_cleanly_on_sigterm(
    database_url: str, redis_url: str
) -> None:
    env = environment_with(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SMS_LOG_JSON="1",
        SMS_SHUTDOWN_GRACE_S="5",
        **secrets_environment(TEST_SECRETS),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "worker", "--processes", "2", env=env, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    stderr: list[str] = []
    reader = asyncio.create_task(_collect(proc.stderr, stderr))
    supervisor = psutil.Process(proc.pid)
    redis = Redis.from_url(redis_url)
    health_keys = f"{HEALTH_PREFIX}:*"  # one per arq worker of each process
    try:
        # Each process runs two arq workers (sends and callbacks), and each logs its start.
        await _wait_until(
            lambda: sum("Starting worker for" in line for line in stderr) == 4, "4 arq workers", 30
        )
        workers = supervisor.children()
        assert len(workers) == 2
        assert all(w.cmdline()[-1] == "worker" for w in workers)
        deadline = time.monotonic() + TIMEOUT_S
        while len([k async for k in redis.scan_iter(health_keys)]) < 4:  # 2 processes x (main, callbacks)
            assert time.monotonic() < deadline, "no arq health check recorded"
            await asyncio.sleep(0.05)

        assert await _check(env) == (0, {"main": 2, "callbacks": 2})

        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
        await asyncio.wait_for(reader, TIMEOUT_S)
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
        assert [k async for k in redis.scan_iter(health_keys)] == []  # each worker closed properly
        assert await _check(env) == (1, {"main": 0, "callbacks": 0})
        events = [json.loads(line) for line in stderr if line.startswith("{")]
        assert not any(e.get("event") == "child exited unexpectedly; restarting" for e in events)
        assert next(e for e in events if e.get("event") == "supervisor stopped")["exit_code"] == 0
    finally:
        reader.cancel()
        await redis.aclose()
        for p in [supervisor, *supervisor.children(recursive=True)] if proc.returncode is None else []:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        with contextlib.suppress(ProcessLookupError):
            await proc.wait()


async def test_sigterm_lets_a_batch_in_flight_finish_within_the_grace_period(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        phones = [f"+86138001380{i:02d}" for i in range(5)]
        resp = await platform.send_sms(tenant, phones, ["1234", "5"])
        assert all(s.Code == "Ok" for s in resp.SendStatusSet)
        # The carrier holds its answer, so the worker is surely inside the call when the SIGTERM comes.
        await platform.simulator("/control", {"latency_s": 1.5, "report_delay_s": 3600})
        env = worker_environment(platform.settings, SMS_LOG_JSON="1", SMS_SHUTDOWN_GRACE_S="20")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", "worker", env=env, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 30
            while (await platform.simulator("/stats"))["submit_calls"] < 1:
                assert time.monotonic() < deadline, "the worker never called the carrier"
                await asyncio.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 20) == 0
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        # The batch finished before the worker exited: sent whole, with the carrier's ids recorded.
        rows = await platform.statuses(tenant)
        assert {r["status"] for r in rows.values()} == {"sent"}
        assert (await platform.simulator("/stats"))["submit_calls"] == 1


async def _check(env: dict[str, str]) -> tuple[int, dict[str, int]]:
    """`smsctl worker --check`: its exit code and the live workers it counted."""
    check = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "worker", "--check", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await check.communicate()
    assert check.returncode is not None
    return check.returncode, json.loads(out)["live"]
