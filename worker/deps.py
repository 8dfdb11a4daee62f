"""The worker's typed context: built once in on_startup, fetched by every job with get_deps(ctx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.infra.outbound import GuardedClient
from core.services.connectors import Connector
from core.services.platform import Platform


@dataclass
class Deps:
    platform: Platform
    connector: Connector
    # The guarded client for customers' URLs (callbacks, alarm webhooks): one per worker process, opened in
    # on_startup, closed in on_shutdown.
    http: GuardedClient | None = None
    # This process's worker identity (its health key without the prefix), recorded with every claim it makes;
    # None where no health key is kept (a job run by hand), whose claims only the lease ends.
    worker_id: str | None = None


def get_deps(ctx: dict[str, Any]) -> Deps:
    deps = ctx["deps"]
    assert isinstance(deps, Deps)
    return deps
