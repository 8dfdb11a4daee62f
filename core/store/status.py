"""What `smsctl status` shows from Postgres: the last hour's messages by minute and status, the outbox and
callback backlogs, and accounts in arrears or suspended. Each is one cheap query."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool


async def messages_by_minute(db: Db, *, now: datetime) -> list[dict[str, Any]]:
    """Messages accepted in each minute of the last hour, by their status now (newest minute first)."""
    rows = await queries.fetch(db, "messages_by_minute", since=now - timedelta(hours=1), until=now)
    minutes: dict[datetime, dict[str, Any]] = {}
    for r in rows:
        minutes.setdefault(r["minute"], {"minute": r["minute"].isoformat()})[r["status"]] = r["messages"]
    return list(minutes.values())


async def backlogs(db: Db, *, now: datetime) -> dict[str, Any]:
    row = await queries.fetchrow(db, "backlogs")
    assert row is not None

    def age(oldest: datetime | None) -> float | None:
        return round((now - oldest).total_seconds(), 1) if oldest else None

    return {
        "outbox": {"batches": row["outbox"], "oldest_age_s": age(row["outbox_oldest"])},
        "callbacks": {
            "pending": row["callbacks_pending"],
            "oldest_age_s": age(row["callbacks_oldest"]),
            "given_up": row["callbacks_given_up"],
        },
        "accounts": {"arrears": row["arrears"], "suspended": row["suspended"]},
    }
