"""An application's callback URLs (B2, B3) and the state of its callback queue, for the admin API and smsctl.
The URLs are validated by the caller (core.domain.callbacks.check_callback_url)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class CallbackConfig:
    sdk_app_id: str
    status_url: str
    reply_url: str
    pending: int  # queued, not yet delivered
    given_up: int  # kept failing past the give-up period

    def to_json(self) -> dict[str, Any]:
        return {
            "sdk_app_id": self.sdk_app_id,
            "status_url": self.status_url,
            "reply_url": self.reply_url,
            "pending": self.pending,
            "given_up": self.given_up,
        }


async def get_callback_config(db: Db, sdk_app_id: str) -> CallbackConfig | None:
    row = await queries.fetchrow(db, "get_callback_config", sdk_app_id=sdk_app_id)
    return CallbackConfig(*row) if row else None


async def set_callback_urls(
    db: Db, sdk_app_id: str, *, status_url: str | None, reply_url: str | None, now: datetime
) -> CallbackConfig | None:
    """Change the URLs given (None keeps one as it is; '' turns that kind off). In the same statement: the
    pending items of a kind turned off are dropped, and when a URL changes, its pending items are due at
    once (they were backing off against the old URL). None when the application does not exist."""
    updated = await queries.fetchval(
        db, "set_callback_urls", sdk_app_id=sdk_app_id, status_url=status_url, reply_url=reply_url, now=now
    )
    if not updated:
        return None
    return await get_callback_config(db, sdk_app_id)
