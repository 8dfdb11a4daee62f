"""Checks a long-running command makes before it starts anything: no development secret in a production
process, and every port it will listen on free. Each failure is one line naming the setting to change."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

import click

from core.infra.settings import Settings, env_name, unsafe_secrets


def require_secrets(settings: Settings, command: str) -> None:
    """`smsctl api` / `smsctl worker` refuse to run with a secret that is empty or a development default
    (anyone who has read the source knows those)."""
    unsafe = [env_name(name) for name in unsafe_secrets(settings)]
    if unsafe:
        raise click.ClickException(
            f"smsctl {command} refuses to start: {', '.join(unsafe)} "
            f"{'is' if len(unsafe) == 1 else 'are'} empty or a development default; set "
            f"{'it' if len(unsafe) == 1 else 'each'} to a random secret (`smsctl up` generates its own)"
        )


@dataclass(frozen=True)
class PortUse:
    """A port a process will listen on, and the setting that chose it."""

    setting: str
    host: str
    port: int

    def describe(self) -> str:
        return f"port {self.port} on {self.host} ({env_name(self.setting)})"


def stack_ports(s: Settings) -> list[PortUse]:
    """Every TCP port `smsctl up` listens on: the API, the simulator, and the metrics ports that are on.
    (Its Postgres and Redis listen on unix sockets in the data folder.)"""
    uses = [
        PortUse("api_port", s.api_host, s.api_port),
        PortUse("simulator_port", s.simulator_host, s.simulator_port),
        PortUse("api_metrics_port", s.metrics_host, s.api_metrics_port),
        PortUse("worker_metrics_port", s.metrics_host, s.worker_metrics_port),
    ]
    return [use for use in uses if use.port > 0]


def conflict(uses: list[PortUse]) -> str | None:
    """Why these ports cannot all be listened on, or None: two settings on one port, or a port taken."""
    seen: dict[int, PortUse] = {}
    for use in uses:
        if use.port in seen:
            return f"{use.describe()} is also {env_name(seen[use.port].setting)}; give each its own port"
        seen[use.port] = use
    for use in uses:
        problem = _bind_problem(use.host, use.port)
        if problem:
            return f"{use.describe()} {problem}; free it or set {env_name(use.setting)} to another port"
    return None


def require_free_ports(uses: list[PortUse]) -> None:
    problem = conflict(uses)
    if problem:
        raise click.ClickException(problem)


def _bind_problem(host: str, port: int) -> str | None:
    """Try to listen as the server would (SO_REUSEADDR, as aiohttp sets it), then let go at once."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot be resolved ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
            probe.listen()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "is already in use"
            return f"cannot be listened on ({exc.strerror})"
    return None


def is_address_in_use(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE
