"""send_batch: the job intake enqueues for each accepted request; one call of the delivery service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from arq import Retry

from core.services import delivery
from worker.deps import get_deps


async def send_batch(ctx: dict[str, Any], batch_id: str, accepted_at: str) -> dict[str, int]:
    deps = get_deps(ctx)
    try:
        return await delivery.send_batch(
            deps.platform,
            deps.connector,
            uuid.UUID(batch_id),
            datetime.fromisoformat(accepted_at),
            attempt=ctx.get("job_try", 1),
            job_id=ctx.get("job_id"),
            worker_id=deps.worker_id,
        )
    except delivery.RetryLater as later:
        raise Retry(defer=later.delay_s) from later
