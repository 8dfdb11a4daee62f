"""Account-level reads and settings that belong to no other capability (sql/queries/accounts.sql)."""

from __future__ import annotations

from core.store import queries
from core.store.queries import Db


async def account_exists(db: Db, account_id: int) -> bool:
    found: bool = await queries.fetchval(db, "account_exists", account_id=account_id)
    return found


async def set_alarm_recipients(db: Db, account_id: int, phones: list[str], webhook: str) -> bool:
    updated: str = await queries.execute(
        db, "set_alarm_recipients", account_id=account_id, phones=phones, webhook=webhook
    )
    return updated.endswith(" 1")
