"""What the operator on call reads (`smsctl status`): the last hour's messages per minute by status, and the
backlogs (outbox, callbacks, accounts in arrears and suspended)."""

from __future__ import annotations

from typing import Any

from core.services.platform import Platform
from core.store import status


async def messages_by_minute(platform: Platform) -> list[dict[str, Any]]:
    return await status.messages_by_minute(platform.db, now=platform.utc_now())


async def backlogs(platform: Platform) -> dict[str, Any]:
    return await status.backlogs(platform.db, now=platform.utc_now())
