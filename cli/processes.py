"""Process management for `smsctl worker` and `smsctl api`: the graceful stop of one worker process, and
`--processes N`, which runs N single-process children of the same command under one `Supervisor`."""

from __future__ import annotations

import asyncio
import signal

from arq.worker import Worker

from cli.runtime import resolve
from cli.supervisor import STOP_MARGIN_S, ChildSpec, Supervisor
from core.infra.settings import Settings, environment_with


class GracefulStop:
    """SIGTERM/SIGINT in a worker process: the callback worker stops taking jobs together with the main one
    (arq's own handler only knows the main worker), and running jobs of both get `grace_s` to finish."""

    def __init__(self, main_worker: Worker, callback_worker: Worker, grace_s: float) -> None:
        self.main_worker = main_worker
        self.callback_worker = callback_worker
        self.grace_s = grace_s
        self.deadline: float | None = None

    def install(self) -> None:
        """Take over SIGINT/SIGTERM from arq's handlers (one handler per signal and loop)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.on_signal, sig)

    def on_signal(self, sig: signal.Signals) -> None:
        if self.deadline is not None:
            return  # already stopping; the first signal's deadline stands
        self.deadline = asyncio.get_running_loop().time() + self.grace_s
        self.callback_worker.allow_pick_jobs = False
        if self.grace_s > 0:
            self.main_worker.handle_sig_wait_for_completion(sig)  # waits, then cancels what still runs
        else:
            self.main_worker.handle_sig(sig)

    async def drain_callbacks(self) -> None:
        """After a signal, wait until the callback worker's running deliveries finish or the deadline passes
        (then its close() cancels them; an undelivered item stays queued and is retried)."""
        if self.deadline is None:
            return
        running = [task for task in self.callback_worker.tasks.values() if not task.done()]
        if running:
            await asyncio.wait(running, timeout=max(self.deadline - asyncio.get_running_loop().time(), 0))


def supervise_workers(settings: Settings, processes: int) -> int:
    """`smsctl worker --processes N`: N `smsctl worker` children, restarted when they crash."""
    runtime = resolve(settings)  # embedded servers start here once, not racing in N children
    try:
        env = _child_environment(runtime.settings)
        children = [
            ChildSpec.smsctl(
                f"worker-{i}",
                "worker",
                env={**env, **metrics_port_env("WORKER", runtime.settings.worker_metrics_port, i)},
            )
            for i in range(1, processes + 1)
        ]
        return Supervisor(children, grace_s=runtime.settings.shutdown_grace_s + STOP_MARGIN_S).run()
    finally:
        runtime.stop()


def supervise_api(settings: Settings, processes: int, *, host: str | None, port: int | None) -> int:
    """`smsctl api --processes N`: N `smsctl api` children sharing one port through SO_REUSEPORT."""
    runtime = resolve(settings)
    try:
        env = _child_environment(runtime.settings, SMS_API_REUSE_PORT="1")
        args = ["api", *(["--host", host] if host else []), *(["--port", str(port)] if port else [])]
        children = [
            ChildSpec.smsctl(
                f"api-{i}",
                *args,
                env={**env, **metrics_port_env("API", runtime.settings.api_metrics_port, i)},
            )
            for i in range(1, processes + 1)
        ]
        return Supervisor(children, grace_s=runtime.settings.shutdown_grace_s + STOP_MARGIN_S).run()
    finally:
        runtime.stop()


def metrics_port_env(role: str, base_port: int, index: int) -> dict[str, str]:
    """Child `index` (1-based) of a role (WORKER, API) serves its metrics on base_port + index - 1, so N
    children on one host never collide; nothing when that role's metrics port is off (0)."""
    if base_port <= 0:
        return {}
    return {f"SMS_{role}_METRICS_PORT": str(base_port + index - 1)}


def _child_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """Ours, with the resolved database and Redis URLs, so every child uses the same servers."""
    return environment_with(DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url, **extra)


async def live_workers(redis_url: str) -> dict[str, int]:
    """How many worker processes of each role (main, callbacks) kept their health key alive."""
    from redis.asyncio import Redis

    from core.infra.queue import HEALTH_PREFIX

    redis = Redis.from_url(redis_url)
    try:
        counts = {"main": 0, "callbacks": 0}
        async for key in redis.scan_iter(f"{HEALTH_PREFIX}:*", count=1000):
            role = key.decode().removeprefix(HEALTH_PREFIX + ":").split(":", 1)[0]
            counts[role] = counts.get(role, 0) + 1
        return counts
    finally:
        await redis.aclose()
