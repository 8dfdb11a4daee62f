"""Scheduled upkeep jobs, each one call of core.services.upkeep."""

from __future__ import annotations

from typing import Any

from core.services import upkeep
from worker.deps import get_deps


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    deps = get_deps(ctx)
    return await upkeep.sweep_outbox(deps.platform, resubmit=deps.connector.dedupes_on_ref)


async def create_partitions(ctx: dict[str, Any]) -> int:
    return await upkeep.create_partitions(get_deps(ctx).platform)


async def update_usual_volumes(ctx: dict[str, Any]) -> int:
    """The usual daily volume behind the volume alarm (L4): the mean of the last 7 full platform days."""
    return await upkeep.update_usual_volumes(get_deps(ctx).platform)


async def purge_history(ctx: dict[str, Any]) -> int:
    """Daily: drop the record of scheduled-job runs older than two weeks."""
    return await upkeep.purge_history(get_deps(ctx).platform)
