"""Messages whose submit outcome is unknown (sql/queries/unknown_outcomes.sql): the operator's list, the resend
and the fail that settle them. The dead worker's batches are marked in core/store/messages.py (the sweep)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from core.domain.reports import submit_failure_outcome
from core.domain.serial import SerialRef
from core.domain.unknown_outcomes import UnknownOutcome
from core.infra.crypto import Keyring
from core.store import queries
from core.store.sealed_numbers import open_number

Db = asyncpg.Connection | asyncpg.Pool

_START = datetime(1970, 1, 1, tzinfo=UTC)


async def list_unknown(
    db: Db,
    keyring: Keyring,
    *,
    sdk_app_id: str | None,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[UnknownOutcome]:
    """Oldest first, after the `after` cursor (marked_at, message id) of the previous page; numbers opened."""
    after_at, after_id = after or (_START, 0)
    rows = await queries.fetch(
        db,
        "list_unknown_outcomes",
        sdk_app_id=sdk_app_id,
        after_at=after_at,
        after_id=after_id,
        limit=limit,
    )
    return [
        UnknownOutcome(
            serial_no=r["serial_no"],
            sdk_app_id=r["sdk_app_id"],
            account_id=r["account_id"],
            phone=open_number(keyring, r["phone"]),
            iso_code=r["iso_code"],
            accepted_at=r["accepted_at"],
            claimed_at=r["claimed_at"],
            marked_at=r["marked_at"],
            worker_id=r["worker_id"],
            attempts=r["attempts"],
            fresh_refs=r["ref_generation"],
            message_id=r["message_id"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Requeued:
    batch_id: uuid.UUID
    accepted_at: datetime
    serials: list[str]


def _bounds(refs: Sequence[tuple[str, SerialRef]]) -> dict[str, object]:
    return {
        "ids": [ref.message_id for _, ref in refs],
        "serials": [serial for serial, _ in refs],
        "first_day": min(ref.day_start for _, ref in refs),
        "end_day": max(ref.day_end for _, ref in refs),
    }


async def resend_unknown(
    db: Db, refs: Sequence[tuple[str, SerialRef]], *, fresh_ref: bool, due_at: datetime
) -> list[Requeued]:
    """Requeue the `unknown` messages among `refs` (serial, parsed serial) in ONE statement: each original
    batch's rows move to a new batch with its own outbox row (due at `due_at`, for the sweep), and leave the
    list. With `fresh_ref` the carrier gets a new reference for each. Returns the new batches."""
    if not refs:
        return []
    rows = await queries.fetch(db, "resend_unknown", fresh_ref=fresh_ref, due_at=due_at, **_bounds(refs))
    return [Requeued(r["batch_id"], r["accepted_at"], list(r["serials"])) for r in rows]


@dataclass(frozen=True)
class Failed:
    serials: list[str]
    callback_apps: list[str]


async def fail_unknown(
    db: Db, refs: Sequence[tuple[str, SerialRef]], *, reason: str, now: datetime, usage_day: date
) -> Failed:
    """Fail the `unknown` messages among `refs` in ONE statement, as a submit the carrier refused: final
    status published, cost out of the usage on `usage_day`. Returns the serials failed and the applications
    with callbacks to deliver."""
    if not refs:
        return Failed([], [])
    row = await queries.fetchrow(
        db,
        "fail_unknown",
        reason=reason[:500],
        now=now,
        usage_day=usage_day,
        outcome=submit_failure_outcome().value,
        **_bounds(refs),
    )
    assert row is not None
    return Failed(list(row["serials"] or []), list(row["apps"] or []))
