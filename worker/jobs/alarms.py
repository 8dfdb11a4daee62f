"""raise_alarm: the job intake enqueues when an application's limit refusals cross the threshold (L4)."""

from __future__ import annotations

from typing import Any

from core.services.alarms import raise_alarm as raise_alarm_now
from worker.deps import get_deps


async def raise_alarm(
    ctx: dict[str, Any], account_id: int, sdk_app_id: str, kind: str, window_key: str, detail: str
) -> dict[str, Any]:
    deps = get_deps(ctx)
    assert deps.http is not None, "the worker opens the guarded client on startup"
    platform = deps.platform
    raised = await raise_alarm_now(
        platform,
        deps.http,
        account_id=account_id,
        sdk_app_id=sdk_app_id,
        kind=kind,
        window_key=window_key,
        detail=detail,
        now=platform.now(),
    )
    return {"raised": raised is not None, "sms": len(raised.serials) if raised else 0}
