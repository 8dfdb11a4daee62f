"""An application's sending policy (rules L1, L4) and its allowlist of test/alarm numbers exempt from the
per-number limits (L2), as stored in `apps` and `app_allowlist` (migration 0003). The rules themselves live in
`core.domain.frequency`; this module only reads and writes them, each change in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from core.domain.errors import Rejection
from core.domain.frequency import DEFAULT_POLICY, FrequencyPolicy, policy_for, validate_policy
from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy
Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
T = TypeVar("T")

MAX_ALLOWLIST = 100  # entries per application
# Refusals shared by the admin API and smsctl; neither is one of the platform's send codes.
INDIVIDUAL_POLICY_CODE = "UnauthorizedOperation.IndividualUserPolicyPermissionDeny"
INDIVIDUAL_POLICY_MESSAGE = (
    "Individual accounts keep the default sending policy (rule L1); it cannot be changed."
)
ALLOWLIST_LIMIT_CODE = "FailedOperation.AllowlistNumberLimit"

# Column -> FrequencyPolicy field.
COLUMNS: dict[str, str] = {
    "limit_same_content_30s": "same_content_30s",
    "limit_one_hour": "one_hour",
    "limit_daily": "daily",
    "limit_same_content_daily": "same_content_daily",
    "cap_daily": "cap_daily",
    "cap_daily_mainland": "cap_daily_mainland",
    "cap_daily_international": "cap_daily_international",
}


class AppNotFound(LookupError):
    def __init__(self, sdk_app_id: str) -> None:
        super().__init__(f"Application {sdk_app_id} does not exist.")


class IndividualPolicy(PermissionError):
    """L1: an individual account's application keeps the default policy."""

    code = INDIVIDUAL_POLICY_CODE

    def __init__(self) -> None:
        super().__init__(INDIVIDUAL_POLICY_MESSAGE)


class AllowlistFull(ValueError):
    code = ALLOWLIST_LIMIT_CODE

    def __init__(self, existing: int, adding: int) -> None:
        super().__init__(
            f"An application's allowlist holds at most {MAX_ALLOWLIST} numbers: it has {existing}, "
            f"and {adding} more would exceed that."
        )
        self.existing = existing
        self.adding = adding


@dataclass(frozen=True)
class AppPolicy:
    sdk_app_id: str
    account_kind: str
    app_status: str
    stored: FrequencyPolicy
    updated_at: datetime | None

    @property
    def effective(self) -> FrequencyPolicy:
        return policy_for(self.account_kind, self.stored)

    def to_json(self) -> dict[str, Any]:
        """What the admin API and smsctl show: the stored policy, the one in force, and why they differ."""
        note = None
        if self.account_kind != "organization":
            note = (
                "Individual account: the default policy is in force (rule L1); the stored policy is not."
                if self.stored != DEFAULT_POLICY
                else "Individual account: the default policy is in force and cannot be changed (rule L1)."
            )
        return {
            "sdk_app_id": self.sdk_app_id,
            "account_kind": self.account_kind,
            "app_status": self.app_status,
            "stored": self.stored.to_json(),
            "effective": self.effective.to_json(),
            "policy_updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "note": note,
        }


@dataclass(frozen=True)
class AllowEntry:
    phone: str
    note: str
    added_by: str
    added_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "note": self.note,
            "added_by": self.added_by,
            "added_at": self.added_at.isoformat(),
        }


def _policy(row: asyncpg.Record) -> FrequencyPolicy:
    return FrequencyPolicy(**{field: row[column] for column, field in COLUMNS.items()})


async def _in_transaction(db: Db, work: Callable[[Conn], Awaitable[T]]) -> T:
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            return await work(conn)
    async with db.transaction():
        return await work(db)


async def load_app_policy(db: Db, sdk_app_id: str, *, lock: bool = False) -> AppPolicy | None:
    row = await queries.fetchrow(db, "lock_app_policy" if lock else "load_app_policy", sdk_app_id=sdk_app_id)
    if row is None:
        return None
    return AppPolicy(
        row["sdk_app_id"], row["account_kind"], row["status"], _policy(row), row["policy_updated_at"]
    )


async def get_policy(db: Db, sdk_app_id: str) -> tuple[str, FrequencyPolicy] | None:
    """(account kind, stored policy), or None for an unknown application. `policy_for` gives what is in force."""
    found = await load_app_policy(db, sdk_app_id)
    return None if found is None else (found.account_kind, found.stored)


async def set_policy(db: Db, sdk_app_id: str, policy: FrequencyPolicy) -> None:
    """Store a (validated) policy as a whole. Raises AppNotFound."""
    values = policy.to_json()
    result = await queries.execute(
        db, "set_policy", sdk_app_id=sdk_app_id, **{column: values[f] for column, f in COLUMNS.items()}
    )
    if not result.endswith(" 1"):
        raise AppNotFound(sdk_app_id)


async def update_policy(db: Db, sdk_app_id: str, values: Mapping[str, Any]) -> AppPolicy | Rejection:
    """Apply a partial update (field -> int or None) under a row lock, so concurrent updates do not lose each
    other's fields. Bad values are a Rejection and nothing is written. Raises AppNotFound, IndividualPolicy."""

    async def work(conn: Conn) -> AppPolicy | Rejection:
        found = await load_app_policy(conn, sdk_app_id, lock=True)
        if found is None:
            raise AppNotFound(sdk_app_id)
        if found.account_kind != "organization":
            raise IndividualPolicy
        policy = validate_policy(values, found.stored)
        if isinstance(policy, Rejection):
            return policy
        await set_policy(conn, sdk_app_id, policy)
        updated = await load_app_policy(conn, sdk_app_id)
        assert updated is not None
        return updated

    return await _in_transaction(db, work)


async def app_exists(db: Db, sdk_app_id: str) -> bool:
    found: bool = await queries.fetchval(db, "app_exists", sdk_app_id=sdk_app_id)
    return found


async def list_allowlist(db: Db, sdk_app_id: str) -> list[AllowEntry]:
    rows = await queries.fetch(db, "list_allowlist", sdk_app_id=sdk_app_id)
    return [AllowEntry(r["phone"], r["note"], r["added_by"], r["added_at"]) for r in rows]


async def add_allowlist(db: Db, sdk_app_id: str, phones: list[str], note: str, added_by: str) -> int:
    """Add E.164 numbers (already normalized); those already listed are left as they are. Returns how many were
    added. Raises AllowlistFull (nothing written) past MAX_ALLOWLIST entries, AppNotFound for an unknown app."""
    wanted = sorted(set(phones))

    async def work(conn: Conn) -> int:
        # The app's row lock serializes additions, so two concurrent ones cannot together pass the limit.
        if await queries.fetchval(conn, "lock_app", sdk_app_id=sdk_app_id) is None:
            raise AppNotFound(sdk_app_id)
        present = {r["phone"] for r in await queries.fetch(conn, "allowlist_phones", sdk_app_id=sdk_app_id)}
        new = [p for p in wanted if p not in present]
        if len(present) + len(new) > MAX_ALLOWLIST:
            raise AllowlistFull(len(present), len(new))
        if not new:
            return 0
        result = await queries.execute(
            conn, "add_allowlist", sdk_app_id=sdk_app_id, phones=new, note=note, added_by=added_by
        )
        return int(result.rsplit(" ", 1)[1])

    return await _in_transaction(db, work)


async def remove_allowlist(db: Db, sdk_app_id: str, phones: list[str]) -> int:
    """Remove numbers; returns how many were listed."""
    result = await queries.execute(db, "remove_allowlist", sdk_app_id=sdk_app_id, phones=sorted(set(phones)))
    return int(result.rsplit(" ", 1)[1])


async def set_intl_countries(db: Db, sdk_app_id: str, countries: list[str] | None) -> bool:
    """The countries and regions the app may send international SMS to (None: all). False if no such app."""
    result = await queries.execute(db, "set_intl_countries", sdk_app_id=sdk_app_id, countries=countries)
    return result.endswith(" 1")
