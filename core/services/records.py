"""Message records (B4): search, newest first in keyset pages, and the streamed CSV export; numbers and
template variables are masked wherever a record is shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime

from core.domain.records import Record, RecordFilter
from core.services.platform import Platform
from core.store import records


async def search(
    platform: Platform, where: RecordFilter, *, limit: int, before: tuple[datetime, int] | None = None
) -> list[Record]:
    """One page, starting after `before` (the position of a previous page's last record)."""
    return await records.search_records(
        platform.db, platform.keyring, **asdict(where), limit=limit, before=before
    )


async def export_csv(platform: Platform, where: RecordFilter, write: Callable[[str], Awaitable[None]]) -> int:
    """Write the header line, then every record chunk by chunk through a server-side cursor (one connection,
    held until the export ends); returns how many records were written."""
    async with platform.db.acquire() as conn:
        return await records.export_csv(conn, platform.keyring, write, **asdict(where))
