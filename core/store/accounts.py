"""Account-level reads and settings that belong to no other capability."""

from __future__ import annotations

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool


async def account_exists(db: Db, account_id: int) -> bool:
    found: bool = await db.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)", account_id)
    return found


async def set_alarm_recipients(db: Db, account_id: int, phones: list[str], webhook: str) -> bool:
    updated: str = await db.execute(
        "UPDATE accounts SET alarm_phones = $2, alarm_webhook = $3 WHERE id = $1", account_id, phones, webhook
    )
    return updated.endswith(" 1")
