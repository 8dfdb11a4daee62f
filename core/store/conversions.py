"""Conversion reports (sql/queries/conversions.sql): the message a report names, scoped to the reporting
account, and the report recorded with its count in the hourly statistics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.domain.serial import SerialRef, session_last
from core.infra.crypto import Keyring
from core.store import queries
from core.store.sealed_numbers import number_hashes

Db = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class ConversionTarget:
    """A message a conversion report may name, with its conversion if one is recorded."""

    message_id: int
    accepted_at: datetime
    sdk_app_id: str
    iso_code: str
    converted_at: datetime | None


async def find_target(
    db: Db, *, account_id: int, sdk_app_id: str | None, ref: SerialRef, serial_no: str
) -> ConversionTarget | None:
    """The message `serial_no` (parsed as `ref`) names, if it is `account_id`'s (and `sdk_app_id`'s, when
    given); None otherwise."""
    row = await queries.fetchrow(
        db,
        "find_conversion_target",
        message_id=ref.message_id,
        day_start=ref.day_start,
        day_end=ref.day_end,
        serial_no=serial_no,
        account_id=account_id,
        sdk_app_id=sdk_app_id,
    )
    if row is None:
        return None
    return ConversionTarget(
        row["id"], row["accepted_at"], row["sdk_app_id"], row["iso_code"], row["converted_at"]
    )


async def insert_conversion(
    db: Db,
    target: ConversionTarget,
    *,
    account_id: int,
    serial_no: str,
    dialect: str,
    converted_at: datetime,
    reported_at: datetime,
) -> bool:
    """Record the target's conversion and count it, in one statement; False when it has one already."""
    recorded: bool = await queries.fetchval(
        db,
        "insert_conversion",
        message_id=target.message_id,
        accepted_at=target.accepted_at,
        account_id=account_id,
        sdk_app_id=target.sdk_app_id,
        iso_code=target.iso_code,
        serial_no=serial_no,
        dialect=dialect,
        converted_at=converted_at,
        reported_at=reported_at,
    )
    return recorded


async def serial_in_session(
    db: asyncpg.Pool | asyncpg.Connection,
    keyring: Keyring,
    *,
    account_id: int,
    session: uuid.UUID,
    phone: str,
) -> str | None:
    """The serial of the account's message to `phone` (E.164) in the send whose session is `session`."""
    found: str | None = await queries.fetchval(
        db,
        "serial_in_session",
        first_id=session,
        last_id=session_last(session),
        account_id=account_id,
        phone_hashes=number_hashes(keyring, phone),
    )
    return found
