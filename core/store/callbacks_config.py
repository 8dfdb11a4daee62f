"""An application's callback URLs (B2, B3) and the state of its callback queue, for the admin API and smsctl.
The URLs are validated by the caller (core.domain.callbacks.check_callback_url)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

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


_SELECT = """
    SELECT a.sdk_app_id, a.status_callback_url, a.reply_callback_url,
           (SELECT count(*) FROM callback_queue q WHERE q.sdk_app_id = a.sdk_app_id AND q.state = 'pending'),
           (SELECT count(*) FROM callback_queue q WHERE q.sdk_app_id = a.sdk_app_id AND q.state = 'given_up')
    FROM apps a WHERE a.sdk_app_id = $1
"""


async def get_callback_config(db: Db, sdk_app_id: str) -> CallbackConfig | None:
    row = await db.fetchrow(_SELECT, sdk_app_id)
    return CallbackConfig(*row) if row else None


async def set_callback_urls(
    db: Db, sdk_app_id: str, *, status_url: str | None, reply_url: str | None, now: datetime
) -> CallbackConfig | None:
    """Change the URLs given (None keeps one as it is; '' turns that kind off). In the same statement: the
    pending items of a kind turned off are dropped, and when a URL changes, its pending items are due at
    once (they were backing off against the old URL). None when the application does not exist."""
    updated = await db.fetchval(
        """
        WITH old AS (
            SELECT sdk_app_id, status_callback_url, reply_callback_url FROM apps
            WHERE sdk_app_id = $1 FOR UPDATE
        ), changed AS (
            UPDATE apps a SET status_callback_url = COALESCE($2, a.status_callback_url),
                              reply_callback_url = COALESCE($3, a.reply_callback_url)
            FROM old WHERE a.sdk_app_id = old.sdk_app_id
            RETURNING a.sdk_app_id,
                      a.status_callback_url <> old.status_callback_url AS status_changed,
                      a.reply_callback_url <> old.reply_callback_url AS reply_changed,
                      a.status_callback_url = '' AS status_off, a.reply_callback_url = '' AS reply_off
        ), dropped AS (
            DELETE FROM callback_queue q USING changed c
            WHERE q.sdk_app_id = c.sdk_app_id AND q.state = 'pending'
              AND ((q.kind = 'status' AND c.status_off) OR (q.kind = 'reply' AND c.reply_off))
        ), rescheduled AS (
            UPDATE callback_queue q SET next_at = LEAST(q.next_at, $4) FROM changed c
            WHERE q.sdk_app_id = c.sdk_app_id AND q.state = 'pending'
              AND ((q.kind = 'status' AND c.status_changed AND NOT c.status_off)
                OR (q.kind = 'reply' AND c.reply_changed AND NOT c.reply_off))
        )
        SELECT count(*) FROM changed
        """,
        sdk_app_id,
        status_url,
        reply_url,
        now,
    )
    if not updated:
        return None
    return await get_callback_config(db, sdk_app_id)
