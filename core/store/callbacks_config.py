"""An application's callback URLs (B2, B3), their format and the state of its callback queue, for the admin API and smsctl.
The URLs are validated by the caller (core.domain.callbacks.check_callback_url)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.callbacks import CallbackFormat
from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class CallbackConfig:
    sdk_app_id: str
    status_url: str
    reply_url: str
    format: CallbackFormat
    pending: int  # queued, not yet delivered
    given_up: int  # kept failing past the give-up period

    def to_json(self) -> dict[str, Any]:
        return {
            "sdk_app_id": self.sdk_app_id,
            "status_url": self.status_url,
            "reply_url": self.reply_url,
            "format": self.format.value,
            "pending": self.pending,
            "given_up": self.given_up,
        }


async def get_callback_config(db: Db, sdk_app_id: str) -> CallbackConfig | None:
    row = await queries.fetchrow(db, "get_callback_config", sdk_app_id=sdk_app_id)
    if row is None:
        return None
    sdk_app_id, status_url, reply_url, fmt, pending, given_up = row
    return CallbackConfig(sdk_app_id, status_url, reply_url, CallbackFormat(fmt), pending, given_up)


async def set_callback_urls(
    db: Db,
    sdk_app_id: str,
    *,
    status_url: str | None,
    reply_url: str | None,
    now: datetime,
    fmt: CallbackFormat | None = None,
) -> CallbackConfig | None:
    """Change the URLs and the format given (None keeps one as it is; a URL '' turns that kind off). In the
    same statement: the pending items of a kind turned off are dropped, and when a URL or the format changes,
    the pending items it concerns are due at once (they were backing off against the old URL or answer).
    None when the application does not exist."""
    updated = await queries.fetchval(
        db,
        "set_callback_urls",
        sdk_app_id=sdk_app_id,
        status_url=status_url,
        reply_url=reply_url,
        format=fmt.value if fmt else None,
        now=now,
    )
    if not updated:
        return None
    return await get_callback_config(db, sdk_app_id)
