"""Searching and exporting message records (rule B4). A search is one statement: newest first, a keyset page
(the previous page's last (accepted_at, id)), the template's text joined for masking. An export reads the same
rows through a server-side cursor in a read-only transaction, a chunk at a time, so its memory does not grow
with the number of rows.

This is the one statement of the store assembled at run time; every other one is whole and named in
sql/queries/ (core.store.queries). The filters are data-driven: each is a fixed SQL fragment below with its value
as a parameter, and only the filters given are in the statement, so each shape gets a plan that uses its index
(app and time, number hash and time) and prunes the days' partitions. Written as one statement with
`($n IS NULL OR col = $n)`, a generic plan (which asyncpg's prepared statements may switch to) could not use the
phone index, and the account filter's IN list would be planned for every shape."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.records import Record, csv_text
from core.infra.crypto import Keyring
from core.store.sealed_numbers import number_hashes, open_content, open_number

Db = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy
Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
CHUNK_ROWS = 1000

_SELECT = """
    SELECT m.id, m.accepted_at, m.serial_no, m.sdk_app_id, m.phone, m.iso_code, m.status, m.error, m.parts,
           m.sign_name, m.template_id, m.content, t.content AS template_text, m.sent_at, m.reported_at
    FROM messages m LEFT JOIN templates t ON t.id = m.template_id
    WHERE m.accepted_at >= $1 AND m.accepted_at < $2"""
_ORDER = " ORDER BY m.accepted_at DESC, m.id DESC"


def _query(
    keyring: Keyring,
    *,
    account_id: int | None,
    sdk_app_id: str | None,
    phone: str | None,
    since: datetime,
    until: datetime,
    before: tuple[datetime, int] | None = None,
) -> tuple[str, list[Any]]:
    """The statement and its parameters for these filters (without ORDER BY and LIMIT)."""
    if account_id is None and sdk_app_id is None:
        raise ValueError("a record search needs an account or an application")
    sql, args = _SELECT, [since, until]

    def where(fragment: str, *values: Any) -> None:
        nonlocal sql
        first = len(args) + 1
        args.extend(values)
        sql += " AND " + fragment.format(*(f"${first + i}" for i in range(len(values))))

    if account_id is not None:
        # messages has no account index: the account's applications lead to messages_app_time.
        where(
            "m.account_id = {0} AND m.sdk_app_id IN (SELECT sdk_app_id FROM apps WHERE account_id = {0})",
            account_id,
        )
    if sdk_app_id is not None:
        where("m.sdk_app_id = {0}", sdk_app_id)
    if phone is not None:
        # Numbers are sealed: look one up by its hashes (one per key of the ring).
        where("m.phone_hash = ANY({0}::bytea[])", number_hashes(keyring, phone))
    if before is not None:
        where("m.accepted_at <= {0} AND (m.accepted_at, m.id) < ({0}, {1})", *before)
    return sql, args


def _record(keyring: Keyring, row: asyncpg.Record) -> Record:
    # The columns are selected in the dataclass's field order; the number and content are opened.
    return replace(
        Record(*row), phone=open_number(keyring, row["phone"]), content=open_content(keyring, row["content"])
    )


async def search_records(
    db: Db,
    keyring: Keyring,
    *,
    account_id: int | None,
    sdk_app_id: str | None,
    phone: str | None,
    since: datetime,
    until: datetime,
    limit: int,
    before: tuple[datetime, int] | None,
) -> list[Record]:
    """One page of records in [since, until), newest first, starting after `before` (a previous page's last
    record's position). At least one of account_id and sdk_app_id is required."""
    sql, args = _query(
        keyring,
        account_id=account_id,
        sdk_app_id=sdk_app_id,
        phone=phone,
        since=since,
        until=until,
        before=before,
    )
    args.append(limit)
    rows = await db.fetch(f"{sql}{_ORDER} LIMIT ${len(args)}", *args)
    return [_record(keyring, r) for r in rows]


async def stream_records(
    conn: Conn,
    keyring: Keyring,
    *,
    account_id: int | None,
    sdk_app_id: str | None,
    phone: str | None,
    since: datetime,
    until: datetime,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncGenerator[list[Record], None]:
    """Every record in [since, until), newest first, in chunks of `chunk_rows`, read through a server-side
    cursor in one read-only snapshot. The connection is held until the iteration ends or is closed."""
    sql, args = _query(
        keyring, account_id=account_id, sdk_app_id=sdk_app_id, phone=phone, since=since, until=until
    )
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(sql + _ORDER, *args)
        while rows := await cursor.fetch(chunk_rows):
            yield [_record(keyring, r) for r in rows]


async def export_csv(
    conn: Conn,
    keyring: Keyring,
    write: Callable[[str], Awaitable[None]],
    *,
    account_id: int | None,
    sdk_app_id: str | None,
    phone: str | None,
    since: datetime,
    until: datetime,
) -> int:
    """Write the header line, then the masked records chunk by chunk; returns how many records were written."""
    await write(csv_text([], header=True))
    count = 0
    chunks = stream_records(
        conn, keyring, account_id=account_id, sdk_app_id=sdk_app_id, phone=phone, since=since, until=until
    )
    try:
        async for chunk in chunks:
            await write(csv_text(chunk))
            count += len(chunk)
    finally:
        await chunks.aclose()  # a failed write ends the cursor's transaction now, not when collected
    return count
